import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import type { TokenManagementDependencies } from '#domain/tokens.ts';
import { createOboTokenOperation } from '#handlers/api/token-management/create-obo.ts';
import { getTokenInfoOperation } from '#handlers/api/token-management/get.ts';
import { listAllTokensOperation } from '#handlers/api/token-management/list.ts';
import { revokeTokenOperation } from '#handlers/api/token-management/revoke.ts';
import { now } from '#shared/system.ts';
import {
  defineApiRoot,
  type GuardDependencies,
  registryTableNeed,
} from '../api-root.ts';

export type TokenManagementApiDependencies = TokenManagementDependencies &
  GuardDependencies;

/** Databricks' token-management API, for workspace admins. */
export const tokenManagementRoot =
  defineApiRoot<TokenManagementApiDependencies>()({
    group: 'token-management',
    needs: { table: registryTableNeed },
    operations: [
      createOboTokenOperation,
      listAllTokensOperation,
      getTokenInfoOperation,
      revokeTokenOperation,
    ],
    wire: ({ table }) => {
      const identities = new DynamoDBIdentityStore(table);
      return { identities, now };
    },
  });
