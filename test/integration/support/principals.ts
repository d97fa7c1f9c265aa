import { expect } from 'vitest';
import {
  type ApiResponse,
  call,
  MLFLOW,
  uniqueName,
} from '../../support/api.ts';

/**
 * Principals with tokens, groups and grants for the permission tests, all
 * made by the admin of `registry()` over the public API (SCIM, token
 * management, permissions), each under a name no other call uses.
 */

export const SCIM = '/api/2.0/preview/scim/v2';
export const OBO = '/api/2.0/token-management/on-behalf-of/tokens';
export const PERMISSIONS = '/api/2.0/permissions/registered-models';

export interface UserWithToken {
  readonly kind: 'user';
  /** SCIM id. */
  readonly id: string;
  readonly userName: string;
  readonly token: string;
  /** The token's id, for `DELETE /api/2.0/token-management/tokens/{id}`. */
  readonly tokenId: string;
}

export interface ServicePrincipalWithToken {
  readonly kind: 'service_principal';
  /** SCIM id. */
  readonly id: string;
  /** What access control lists name it by (`service_principal_name`). */
  readonly applicationId: string;
  readonly token: string;
  readonly tokenId: string;
}

export interface Group {
  /** SCIM id. */
  readonly id: string;
  readonly displayName: string;
}

export type PermissionLevelName =
  | 'CAN_READ'
  | 'CAN_EDIT'
  | 'CAN_MANAGE_STAGING_VERSIONS'
  | 'CAN_MANAGE_PRODUCTION_VERSIONS'
  | 'CAN_MANAGE'
  | 'CAN_CREATE_REGISTERED_MODEL';

/** One entry of a permissions request: exactly one grantee field. */
export type AccessControlRequest = (
  | { user_name: string }
  | { group_name: string }
  | { service_principal_name: string }
) & { permission_level: PermissionLevelName };

/** Databricks' `RegisteredModelPermissions` (a type, so it is a plain record). */
export type RegisteredModelPermissions = {
  object_id: string;
  object_type: string;
  access_control_list: {
    user_name?: string;
    group_name?: string;
    service_principal_name?: string;
    all_permissions: {
      permission_level: PermissionLevelName;
      inherited: boolean;
      inherited_from_object?: string[];
    }[];
  }[];
};

interface CreatedToken {
  token_value: string;
  token_info: { token_id: string };
}

async function expectOk<T>(
  response: Promise<ApiResponse<T>>,
  what: string
): Promise<T> {
  const answered = await response;
  expect(answered.status, `${what}: ${JSON.stringify(answered.body)}`).toBe(
    200
  );
  return answered.body;
}

/** A new user in `groups` (SCIM ids), with a token the admin issued. */
export async function createUserWithToken(
  options: { groups?: readonly string[] } = {}
): Promise<UserWithToken> {
  const user = await expectOk(
    call<{ id: string; userName: string }>('POST', `${SCIM}/Users`, {
      body: {
        userName: `${uniqueName('perm-user')}@example.com`,
        groups: (options.groups ?? []).map((value) => ({ value })),
      },
    }),
    'create user'
  );
  const token = await expectOk(
    call<CreatedToken>('POST', OBO, {
      body: { user_name: user.userName, comment: 'permission tests' },
    }),
    'token for user'
  );
  return {
    kind: 'user',
    id: user.id,
    userName: user.userName,
    token: token.token_value,
    tokenId: token.token_info.token_id,
  };
}

/** A new service principal with a token the admin issued for it. */
export async function createServicePrincipalWithToken(
  options: { groups?: readonly string[] } = {}
): Promise<ServicePrincipalWithToken> {
  const robot = await expectOk(
    call<{ id: string; applicationId: string }>(
      'POST',
      `${SCIM}/ServicePrincipals`,
      {
        body: {
          displayName: uniqueName('perm-robot'),
          groups: (options.groups ?? []).map((value) => ({ value })),
        },
      }
    ),
    'create service principal'
  );
  const token = await expectOk(
    call<CreatedToken>('POST', OBO, {
      body: {
        application_id: robot.applicationId,
        comment: 'permission tests',
      },
    }),
    'token for service principal'
  );
  return {
    kind: 'service_principal',
    id: robot.id,
    applicationId: robot.applicationId,
    token: token.token_value,
    tokenId: token.token_info.token_id,
  };
}

/** A new group `<name>-<unique suffix>` with these principals (SCIM ids). */
export async function createGroup(
  name: string,
  memberIds: readonly string[] = []
): Promise<Group> {
  const group = await expectOk(
    call<Group>('POST', `${SCIM}/Groups`, {
      body: {
        displayName: uniqueName(name),
        members: memberIds.map((value) => ({ value })),
      },
    }),
    'create group'
  );
  return { id: group.id, displayName: group.displayName };
}

/** Adds or removes a principal from a group (SCIM PATCH), as the admin. */
export async function setMembership(
  group: Pick<Group, 'id'>,
  principalId: string,
  member: boolean
): Promise<void> {
  await expectOk(
    call('PATCH', `${SCIM}/Groups/${group.id}`, {
      body: {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [
          member
            ? { op: 'add', path: 'members', value: [{ value: principalId }] }
            : { op: 'remove', path: `members[value eq "${principalId}"]` },
        ],
      },
    }),
    'group membership'
  );
}

/** The `admins` group, whose members are workspace admins. */
export async function adminsGroup(): Promise<Group> {
  const listed = await expectOk(
    call<{ Resources: Group[] }>('GET', `${SCIM}/Groups`, {
      query: { filter: 'displayName eq "admins"' },
    }),
    'list groups'
  );
  const [admins] = listed.Resources;
  if (!admins) throw new Error('The admins group does not exist.');
  return admins;
}

/**
 * `PUT` (replace the direct grants) or `PATCH` (add to them) a model's or
 * `root`'s access control list, as the admin unless `token` is given.
 * Answers the raw response: tests assert refusals too.
 */
export function grant(
  objectId: string,
  entries: readonly AccessControlRequest[],
  mode: 'PUT' | 'PATCH',
  token?: string
): Promise<ApiResponse<RegisteredModelPermissions>> {
  return call<RegisteredModelPermissions>(
    mode,
    `${PERMISSIONS}/${encodeURIComponent(objectId)}`,
    {
      body: { access_control_list: entries },
      ...(token === undefined ? {} : { token }),
    }
  );
}

/** A model's stable id (`databricks/registered-models/get`), as the admin. */
export async function modelId(name: string): Promise<string> {
  const got = await expectOk(
    call<{ registered_model_databricks: { id: string } }>(
      'GET',
      `${MLFLOW}/databricks/registered-models/get`,
      { query: { name } }
    ),
    `get model ${name}`
  );
  return got.registered_model_databricks.id;
}

/** Who a grant names for a principal or group. */
export function granteeOf(
  who: UserWithToken | ServicePrincipalWithToken | Group
):
  | { user_name: string }
  | { service_principal_name: string }
  | {
      group_name: string;
    } {
  if ('kind' in who) {
    return who.kind === 'user'
      ? { user_name: who.userName }
      : { service_principal_name: who.applicationId };
  }
  return { group_name: who.displayName };
}
