import { describe, expect, it } from 'vitest';
import type { IpAccessList } from '#domain/ip-access.ts';
import type { IpAccessStore } from '#ports/ip-access-store.ts';

/** Returns a store that holds no IP settings yet. */
export type IpAccessStoreFactory = () => Promise<IpAccessStore>;

function aList(overrides: Partial<IpAccessList> = {}): IpAccessList {
  return {
    listId: 'a'.repeat(32),
    label: 'office',
    listType: 'ALLOW',
    ipAddresses: ['192.0.2.0/24', '2001:db8::1'],
    enabled: true,
    createdAt: 1_700_000_000_000,
    createdBy: '1',
    updatedAt: 1_700_000_000_000,
    updatedBy: '1',
    ...overrides,
  };
}

/**
 * The contract of {@link IpAccessStore}, run against the in-memory fake
 * and DynamoDB Local.
 */
export function describeIpAccessStoreContract(
  name: string,
  makeStore: IpAccessStoreFactory
): void {
  describe(`IpAccessStore contract (${name})`, () => {
    describe('getIpAccess', () => {
      it('answers no lists, not enforced, at revision 0 before any write', async () => {
        // Prepare
        const store = await makeStore();

        // Act
        const settings = await store.getIpAccess();

        // Assess
        expect(settings).toEqual({ enabled: false, lists: [], revision: 0 });
      });
    });

    describe('putIpAccess', () => {
      it('stores enforcement and lists as one record, at the next revision', async () => {
        // Prepare
        const store = await makeStore();
        const lists = [
          aList(),
          aList({ listId: 'b'.repeat(32), label: 'bad', listType: 'BLOCK' }),
        ];

        // Act
        const written = await store.putIpAccess({
          enabled: true,
          lists,
          revision: 0,
        });

        // Assess
        expect(written).toBe(true);
        expect(await store.getIpAccess()).toEqual({
          enabled: true,
          lists,
          revision: 1,
        });
      });

      it('refuses a write based on a revision that moved, changing nothing', async () => {
        // Prepare
        const store = await makeStore();
        await store.putIpAccess({
          enabled: false,
          lists: [aList()],
          revision: 0,
        });
        await store.putIpAccess({
          enabled: true,
          lists: [aList()],
          revision: 1,
        });

        // Act
        const stale = await store.putIpAccess({
          enabled: false,
          lists: [],
          revision: 1,
        });
        const first = await store.putIpAccess({
          enabled: false,
          lists: [],
          revision: 0,
        });

        // Assess
        expect(stale).toBe(false);
        expect(first).toBe(false);
        expect(await store.getIpAccess()).toEqual({
          enabled: true,
          lists: [aList()],
          revision: 2,
        });
      });
    });
  });
}
