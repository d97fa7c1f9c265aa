import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import type { TokenDependencies } from '#domain/tokens.ts';
import { createTokenOperation } from '#handlers/api/tokens/create.ts';
import { deleteTokenOperation } from '#handlers/api/tokens/delete.ts';
import { listTokensOperation } from '#handlers/api/tokens/list.ts';
import { now } from '#shared/system.ts';
import { defineApiRoot, type GuardDependencies } from '../api-root.ts';

export type TokensDependencies = TokenDependencies & GuardDependencies;

/** A caller's own personal access tokens. */
export const tokensRoot = defineApiRoot<TokensDependencies>()({
  group: 'tokens',
  // Tokens by principal are listed on GSI1; nothing reads GSI2.
  needs: { table: { access: 'readWrite', indexes: ['GSI1'] } },
  operations: [createTokenOperation, listTokensOperation, deleteTokenOperation],
  wire: ({ table }) => ({
    identities: new DynamoDBIdentityStore(table),
    now,
  }),
});
