import { z } from 'zod';
import type { IpAccessList } from '#domain/ip-access.ts';
import {
  changeIpAccessList,
  createIpAccessList,
  deleteIpAccessList,
  getIpAccessList,
  getWorkspaceConf,
  type IpAccessDependencies,
  listIpAccessLists,
  setWorkspaceConf,
} from '#domain/ip-access-lists.ts';
import { defineOperation, type OperationContext } from '#http/api-handler.ts';
import { fields } from '#http/validation.ts';
import { emptySchema } from '#http/wire.ts';

type Context = OperationContext<IpAccessDependencies>;

/** Databricks' `IpAccessListInfo`. */
const ipAccessListSchema = z
  .object({
    list_id: z.string(),
    label: z.string(),
    list_type: z.enum(['ALLOW', 'BLOCK']),
    ip_addresses: z.array(z.string()),
    address_count: z.number().int(),
    enabled: z.boolean(),
    created_at: z.number().int(),
    created_by: z.string(),
    updated_at: z.number().int(),
    updated_by: z.string(),
  })
  .meta({ id: 'IpAccessListInfo' });

function listJson(list: IpAccessList): z.infer<typeof ipAccessListSchema> {
  return {
    list_id: list.listId,
    label: list.label,
    list_type: list.listType,
    ip_addresses: [...list.ipAddresses],
    address_count: list.ipAddresses.length,
    enabled: list.enabled,
    created_at: list.createdAt,
    created_by: list.createdBy,
    updated_at: list.updatedAt,
    updated_by: list.updatedBy,
  };
}

const listFields = {
  label: fields.optionalString(),
  list_type: fields.optionalString(),
  ip_addresses: fields.stringList().optional(),
  enabled: fields.boolean().optional(),
};

function fieldsOf(input: {
  label?: string | undefined;
  list_type?: string | undefined;
  ip_addresses?: string[] | undefined;
  enabled?: boolean | undefined;
}) {
  return {
    label: input.label,
    listType: input.list_type,
    ipAddresses: input.ip_addresses,
    enabled: input.enabled,
  };
}

/** `POST /api/2.0/ip-access-lists` → `{ip_access_list}`. */
export const createIpAccessListOperation = defineOperation({
  operation: 'createIpAccessList',
  summary: 'Create an IP access list (ALLOW or BLOCK)',
  output: z.object({ ip_access_list: ipAccessListSchema }),
  input: z.object(listFields),
  run: async (input, { deps, principal, request }: Context) => ({
    ip_access_list: listJson(
      await createIpAccessList(
        deps,
        principal,
        request.sourceIp,
        fieldsOf(input)
      )
    ),
  }),
});

/** `GET /api/2.0/ip-access-lists` → `{ip_access_lists}`. */
export const listIpAccessListsOperation = defineOperation({
  operation: 'listIpAccessLists',
  summary: 'List the IP access lists',
  output: z.object({
    ip_access_lists: z.array(ipAccessListSchema).optional(),
  }),
  input: z.object({}),
  run: async (_input, { deps }: Context) => {
    const lists = await listIpAccessLists(deps);
    return lists.length === 0 ? {} : { ip_access_lists: lists.map(listJson) };
  },
});

const byId = z.object({ ip_access_list_id: fields.string() });

export const getIpAccessListOperation = defineOperation({
  operation: 'getIpAccessList',
  summary: 'Get an IP access list',
  output: z.object({ ip_access_list: ipAccessListSchema }),
  input: byId,
  run: async (input, { deps }: Context) => ({
    ip_access_list: listJson(
      await getIpAccessList(deps, input.ip_access_list_id)
    ),
  }),
});

/** `PUT` (`replace`: label, list_type, enabled required) or `PATCH`. */
function changeIpAccessListOperation(
  operation: 'replaceIpAccessList' | 'updateIpAccessList',
  summary: string,
  mode: 'replace' | 'update'
) {
  return defineOperation({
    operation,
    summary,
    output: emptySchema,
    input: byId.extend(listFields),
    run: async (input, { deps, principal, request }: Context) => {
      await changeIpAccessList(
        deps,
        principal,
        request.sourceIp,
        input.ip_access_list_id,
        fieldsOf(input),
        mode
      );
      return {};
    },
  });
}

export const replaceIpAccessListOperation = changeIpAccessListOperation(
  'replaceIpAccessList',
  'Replace an IP access list',
  'replace'
);

export const updateIpAccessListOperation = changeIpAccessListOperation(
  'updateIpAccessList',
  'Update the given fields of an IP access list',
  'update'
);

export const deleteIpAccessListOperation = defineOperation({
  operation: 'deleteIpAccessList',
  summary: 'Delete an IP access list',
  output: emptySchema,
  input: byId,
  run: async (input, { deps, request }: Context) => {
    await deleteIpAccessList(deps, request.sourceIp, input.ip_access_list_id);
    return {};
  },
});

/** `GET /api/2.0/workspace-conf?keys=enableIpAccessLists` (comma-separated). */
export const getWorkspaceConfOperation = defineOperation({
  operation: 'getWorkspaceConf',
  summary: 'Get workspace settings (enableIpAccessLists)',
  output: z.record(z.string(), z.string()),
  input: z.object({ keys: fields.string() }),
  run: async (input, { deps }: Context) =>
    getWorkspaceConf(
      deps,
      input.keys
        .split(',')
        .map((key) => key.trim())
        .filter(Boolean)
    ),
});

/** `PATCH /api/2.0/workspace-conf {"enableIpAccessLists": "true"}`. */
export const setWorkspaceConfOperation = defineOperation({
  operation: 'setWorkspaceConf',
  summary: 'Set workspace settings (enableIpAccessLists)',
  output: emptySchema,
  input: z.record(z.string(), z.unknown()),
  run: async (input, { deps, request }: Context) => {
    await setWorkspaceConf(deps, request.sourceIp, input);
    return {};
  },
});
