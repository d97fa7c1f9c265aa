import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import { DynamoDBIpAccessStore } from '#adapters/dynamodb/ip-access-store.ts';
import type { IpAccessDependencies } from '#domain/ip-access-lists.ts';
import {
  createIpAccessListOperation,
  deleteIpAccessListOperation,
  getIpAccessListOperation,
  getWorkspaceConfOperation,
  listIpAccessListsOperation,
  replaceIpAccessListOperation,
  setWorkspaceConfOperation,
  updateIpAccessListOperation,
} from '#handlers/api/workspace/operations.ts';
import { newId, now } from '#shared/system.ts';
import { defineApiRoot, type GuardDependencies } from '../api-root.ts';

export type WorkspaceDependencies = IpAccessDependencies & GuardDependencies;

/**
 * Workspace settings for admins: the IP access lists and the
 * `workspace-conf` switch that enforces them (the authorizer reads them).
 */
export const workspaceRoot = defineApiRoot<WorkspaceDependencies>()({
  group: 'workspace',
  // One item (the IP settings), and the caller's principal.
  needs: { table: { access: 'readWrite', indexes: [] } },
  operations: [
    createIpAccessListOperation,
    listIpAccessListsOperation,
    getIpAccessListOperation,
    replaceIpAccessListOperation,
    updateIpAccessListOperation,
    deleteIpAccessListOperation,
    getWorkspaceConfOperation,
    setWorkspaceConfOperation,
  ],
  wire: ({ table }) => ({
    ipAccess: new DynamoDBIpAccessStore(table),
    now,
    newId,
    identities: new DynamoDBIdentityStore(table),
  }),
});
