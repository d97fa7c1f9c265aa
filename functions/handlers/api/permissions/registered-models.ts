import { z } from 'zod';
import {
  type AccessControlEntry,
  changeObjectPermissions,
  getObjectPermissions,
  ROOT_OBJECT_ID,
} from '#domain/acl.ts';
import { InvalidParameterValueError } from '#domain/errors.ts';
import {
  type Grant,
  type Grantee,
  granteeKey,
  PERMISSION_LEVEL_DESCRIPTIONS,
  PERMISSION_LEVELS,
  type RootPermissionLevel,
} from '#domain/permissions.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields } from '#http/validation.ts';
import type { ModelRegistryStore } from '#ports/model-registry-store.ts';

const ROOT_LEVELS = [
  ...PERMISSION_LEVELS,
  'CAN_CREATE_REGISTERED_MODEL',
] as const;

const grantSchema = z.object({
  permission_level: z.enum(ROOT_LEVELS),
  inherited: z.boolean(),
  inherited_from_object: z.array(z.string()).optional(),
});

export const permissionsSchema = z
  .object({
    object_id: z.string().meta({
      description: '`/registered-models/<id>` or `/registered-models/root`.',
    }),
    object_type: z.enum(['registered-model', 'registered-models']),
    access_control_list: z.array(
      z.object({
        user_name: z.string().optional(),
        group_name: z.string().optional(),
        service_principal_name: z.string().optional(),
        all_permissions: z.array(grantSchema),
      })
    ),
  })
  .meta({ id: 'RegisteredModelPermissions' });

export const permissionLevelsSchema = z.object({
  permission_levels: z.array(
    z.object({
      permission_level: z.enum(ROOT_LEVELS),
      description: z.string(),
    })
  ),
});

export interface PermissionsDependencies {
  readonly store: ModelRegistryStore;
}
type Context = OperationContext<PermissionsDependencies>;

const accessControlRequest = z.object({
  user_name: fields.optionalString(),
  group_name: fields.optionalString(),
  service_principal_name: fields.optionalString(),
  permission_level: z.enum(ROOT_LEVELS),
});

const changeInput = z.object({
  registered_model_id: fields.string(),
  access_control_list: z.array(accessControlRequest).optional(),
});

function toGrant(
  entry: z.infer<typeof accessControlRequest>
): Grant<RootPermissionLevel> {
  const named = [
    entry.user_name !== undefined &&
      ({ kind: 'user', name: entry.user_name } as const),
    entry.group_name !== undefined &&
      ({ kind: 'group', name: entry.group_name } as const),
    entry.service_principal_name !== undefined &&
      ({
        kind: 'service_principal',
        name: entry.service_principal_name,
      } as const),
  ].filter((g): g is Grantee => g !== false);
  const [grantee] = named;
  if (named.length !== 1 || !grantee || grantee.name === '') {
    throw new InvalidParameterValueError(
      'Each access control entry names exactly one of user_name, group_name or service_principal_name.'
    );
  }
  return { grantee, level: entry.permission_level };
}

const NAME_FIELD = {
  user: 'user_name',
  group: 'group_name',
  service_principal: 'service_principal_name',
} as const;

/** Databricks' `RegisteredModelPermissions`: one entry per grantee. */
function permissionsJson(
  objectId: string,
  entries: readonly AccessControlEntry[]
): z.infer<typeof permissionsSchema> {
  const byGrantee = new Map<
    string,
    { grantee: Grantee; all: z.infer<typeof grantSchema>[] }
  >();
  for (const { grant, inheritedFrom } of entries) {
    const key = granteeKey(grant.grantee);
    const slot = byGrantee.get(key) ?? { grantee: grant.grantee, all: [] };
    slot.all.push({
      permission_level: grant.level,
      inherited: inheritedFrom !== undefined,
      ...(inheritedFrom === 'root'
        ? { inherited_from_object: ['/registered-models/root'] }
        : {}),
    });
    byGrantee.set(key, slot);
  }
  return {
    object_id: `/registered-models/${objectId}`,
    object_type:
      objectId === ROOT_OBJECT_ID ? 'registered-models' : 'registered-model',
    access_control_list: [...byGrantee.values()].map(({ grantee, all }) => ({
      [NAME_FIELD[grantee.kind]]: grantee.name,
      all_permissions: all,
    })),
  };
}

export const getPermissionsOperation = defineOperation({
  operation: 'getPermissions',
  summary: "Get a registered model's (or root's) access control list",
  output: permissionsSchema,
  input: z.object({ registered_model_id: fields.string() }),
  run: async (input, { deps }: Context) => {
    const permissions = await getObjectPermissions(
      deps.store,
      input.registered_model_id
    );
    return permissionsJson(permissions.objectId, permissions.entries);
  },
});

async function change(
  deps: PermissionsDependencies,
  input: z.infer<typeof changeInput>,
  mode: 'replace' | 'merge'
) {
  const permissions = await changeObjectPermissions(
    deps.store,
    input.registered_model_id,
    (input.access_control_list ?? []).map(toGrant),
    mode
  );
  return permissionsJson(permissions.objectId, permissions.entries);
}

/** PUT: the request's list becomes the object's direct grants. */
export const setPermissionsOperation = defineOperation({
  operation: 'setPermissions',
  summary: "Replace a registered model's (or root's) direct grants",
  output: permissionsSchema,
  input: changeInput,
  run: async (input, { deps }: Context) => change(deps, input, 'replace'),
});

/** PATCH: the request's grants are added (or change a grantee's level). */
export const updatePermissionsOperation = defineOperation({
  operation: 'updatePermissions',
  summary: 'Add grants to a registered model (or root)',
  output: permissionsSchema,
  input: changeInput,
  run: async (input, { deps }: Context) => change(deps, input, 'merge'),
});

export const getPermissionLevelsOperation = defineOperation({
  operation: 'getPermissionLevels',
  summary: 'List the permission levels a registered model (or root) takes',
  output: permissionLevelsSchema,
  input: z.object({ registered_model_id: fields.string() }),
  run: async (input) => ({
    permission_levels: [
      ...PERMISSION_LEVELS.map((level) => ({
        permission_level: level,
        description: PERMISSION_LEVEL_DESCRIPTIONS[level],
      })),
      ...(input.registered_model_id === ROOT_OBJECT_ID
        ? [
            {
              permission_level: 'CAN_CREATE_REGISTERED_MODEL' as const,
              description: 'Can create registered models',
            },
          ]
        : []),
    ],
  }),
});
