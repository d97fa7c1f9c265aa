import type { Principal } from '#domain/principal.ts';
import { MemoryIdentityStore } from '#test/support/memory-identity-store.ts';

/** The caller of `createTestEvent()`'s default authorizer context. */
export const alice: Principal = {
  id: '42',
  userName: 'alice@example.com',
  kind: 'user',
  isAdmin: false,
  groups: ['risk'],
};

export const bob: Principal = {
  id: '43',
  userName: 'bob@example.com',
  kind: 'user',
  isAdmin: false,
  groups: [],
};

/** An identity store that knows the principals (the route guard reads them). */
export async function identitiesWith(
  ...principals: Principal[]
): Promise<MemoryIdentityStore> {
  const identities = new MemoryIdentityStore();
  for (const principal of principals) await identities.putPrincipal(principal);
  return identities;
}
