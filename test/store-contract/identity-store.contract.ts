import { describe, expect, it } from 'vitest';
import {
  ConcurrentModificationError,
  ResourceAlreadyExistsError,
} from '#domain/errors.ts';
import type { Principal } from '#domain/principal.ts';
import type {
  IdentityStore,
  NewDirectoryPrincipal,
  StoredToken,
} from '#ports/identity-store.ts';

/** Returns a store that holds no principals, groups or tokens yet. */
export type IdentityStoreFactory = () => Promise<IdentityStore>;

const alice: Principal = {
  id: '42',
  userName: 'alice@example.com',
  kind: 'user',
  isAdmin: false,
  groups: ['data-science', 'risk'],
};

function aToken(overrides: Partial<StoredToken> = {}): StoredToken {
  return {
    tokenId: 'token-1',
    tokenHash: 'a'.repeat(64),
    principalId: alice.id,
    comment: 'laptop',
    creationTime: 1_700_000_000_000,
    expiryTime: 1_700_086_400_000,
    ...overrides,
  };
}

function aUser(
  overrides: Partial<NewDirectoryPrincipal> = {}
): NewDirectoryPrincipal {
  return {
    id: '1000000000000042',
    kind: 'user',
    userName: 'alice@example.com',
    displayName: 'Alice',
    active: true,
    groups: [],
    ...overrides,
  };
}

const risk = { id: '2000000000000001', displayName: 'risk' };
const admins = { id: '2000000000000002', displayName: 'admins' };

/** Resolves to the error a promise rejects with (fails if it resolves). */
async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error
  );
}

/**
 * The behaviour every {@link IdentityStore} implementation must share, run
 * against the in-memory fake and against DynamoDB Local: authentication,
 * tokens, and the directory's principals, groups and memberships.
 */
export function describeIdentityStoreContract(
  implementation: string,
  createStore: IdentityStoreFactory
): void {
  describe(`IdentityStore contract (${implementation})`, () => {
    describe('getPrincipal', () => {
      it('derives group names and the admin flag from directory memberships', async () => {
        // Prepare
        const store = await createStore();
        await store.createGroup(risk);
        await store.createGroup(admins);
        await store.createPrincipal(aUser({ groups: [risk, admins] }));

        // Act
        const principal = await store.getPrincipal('1000000000000042');

        // Assess
        expect(principal).toStrictEqual({
          id: '1000000000000042',
          userName: 'alice@example.com',
          kind: 'user',
          isAdmin: true,
          groups: ['admins', 'risk'],
        });
      });

      it('marks an inactive principal, and only an inactive one', async () => {
        // Prepare
        const store = await createStore();
        await store.createPrincipal(aUser({ active: false }));
        await store.createPrincipal(
          aUser({
            id: '7',
            kind: 'service_principal',
            userName: '6c2f0000-0000-4000-8000-000000000007',
          })
        );

        // Act
        const inactive = await store.getPrincipal('1000000000000042');
        const active = await store.getPrincipal('7');

        // Assess
        expect(inactive).toStrictEqual({
          id: '1000000000000042',
          userName: 'alice@example.com',
          kind: 'user',
          isAdmin: false,
          groups: [],
          active: false,
        });
        expect(active).toStrictEqual({
          id: '7',
          userName: '6c2f0000-0000-4000-8000-000000000007',
          kind: 'service_principal',
          isAdmin: false,
          groups: [],
        });
      });

      it('returns undefined for an unknown principal', async () => {
        // Prepare
        const store = await createStore();
        await store.createPrincipal(aUser());

        // Act
        const principal = await store.getPrincipal('999');

        // Assess
        expect(principal).toBeUndefined();
      });
    });

    describe('createToken / getTokenByHash', () => {
      it('stores every field of a token under its hash', async () => {
        // Prepare
        const store = await createStore();
        const expiring = aToken();
        const forever = aToken({
          tokenId: 'token-2',
          tokenHash: 'b'.repeat(64),
          comment: '',
          expiryTime: -1,
        });

        // Act
        await store.createToken(expiring);
        await store.createToken(forever);

        // Assess
        expect(await store.getTokenByHash(expiring.tokenHash)).toStrictEqual(
          expiring
        );
        expect(await store.getTokenByHash(forever.tokenHash)).toStrictEqual(
          forever
        );
      });

      it('keeps who created a token on behalf of its owner', async () => {
        // Prepare
        const store = await createStore();
        const onBehalf = aToken({
          createdById: '1',
          createdByUsername: 'admin',
        });

        // Act
        await store.createToken(onBehalf);

        // Assess
        expect(await store.getTokenByHash(onBehalf.tokenHash)).toStrictEqual(
          onBehalf
        );
        expect(await store.listTokens(alice.id)).toStrictEqual([onBehalf]);
      });

      it('refuses a hash that is already stored and keeps the first token', async () => {
        // Prepare
        const store = await createStore();
        const first = aToken();
        await store.createToken(first);

        // Act
        const attempt = store.createToken(
          aToken({ tokenId: 'token-2', comment: 'second' })
        );

        // Assess
        await expect(attempt).rejects.toThrow(ResourceAlreadyExistsError);
        await expect(attempt).rejects.toHaveProperty(
          'code',
          'RESOURCE_ALREADY_EXISTS'
        );
        expect(await store.getTokenByHash(first.tokenHash)).toStrictEqual(
          first
        );
        expect(await store.listTokens(alice.id)).toStrictEqual([first]);
      });

      it('returns undefined for an unknown hash', async () => {
        // Prepare
        const store = await createStore();
        await store.createToken(aToken());

        // Act
        const token = await store.getTokenByHash('c'.repeat(64));

        // Assess
        expect(token).toBeUndefined();
      });
    });

    describe('listTokens', () => {
      it("returns only the principal's tokens, ordered by token id", async () => {
        // Prepare
        const store = await createStore();
        const tokens = [
          aToken({ tokenId: 'b2', tokenHash: '1'.repeat(64) }),
          aToken({ tokenId: 'B1', tokenHash: '2'.repeat(64) }),
          aToken({ tokenId: 'a3', tokenHash: '3'.repeat(64) }),
        ];
        for (const token of tokens) await store.createToken(token);
        await store.createToken(
          aToken({ tokenId: 'a0', tokenHash: '4'.repeat(64), principalId: '7' })
        );

        // Act
        const listed = await store.listTokens(alice.id);

        // Assess
        expect(listed.map((token) => token.tokenId)).toStrictEqual([
          'B1',
          'a3',
          'b2',
        ]);
        expect(listed[0]).toStrictEqual(tokens[1]);
      });

      it('returns nothing for a principal without tokens', async () => {
        // Prepare
        const store = await createStore();
        await store.createToken(aToken());

        // Act
        const listed = await store.listTokens('7');

        // Assess
        expect(listed).toStrictEqual([]);
      });
    });

    describe('deleteToken', () => {
      it("deletes the principal's token and reports it", async () => {
        // Prepare
        const store = await createStore();
        const token = aToken();
        const other = aToken({ tokenId: 'token-2', tokenHash: 'd'.repeat(64) });
        await store.createToken(token);
        await store.createToken(other);

        // Act
        const deleted = await store.deleteToken(alice.id, token.tokenId);

        // Assess
        expect(deleted).toBe(true);
        expect(await store.getTokenByHash(token.tokenHash)).toBeUndefined();
        expect(await store.listTokens(alice.id)).toStrictEqual([other]);
      });

      it('returns false for a token id the principal does not have', async () => {
        // Prepare
        const store = await createStore();
        await store.createToken(aToken());

        // Act
        const deleted = await store.deleteToken(alice.id, 'no-such-token');

        // Assess
        expect(deleted).toBe(false);
        expect(await store.listTokens(alice.id)).toHaveLength(1);
      });

      it("returns false for another principal's token and leaves it", async () => {
        // Prepare
        const store = await createStore();
        const token = aToken();
        await store.createToken(token);

        // Act
        const deleted = await store.deleteToken('7', token.tokenId);

        // Assess
        expect(deleted).toBe(false);
        expect(await store.getTokenByHash(token.tokenHash)).toStrictEqual(
          token
        );
      });

      it('returns false the second time a token is deleted', async () => {
        // Prepare
        const store = await createStore();
        await store.createToken(aToken());
        await store.deleteToken(alice.id, 'token-1');

        // Act
        const deleted = await store.deleteToken(alice.id, 'token-1');

        // Assess
        expect(deleted).toBe(false);
      });
    });

    describe('putToken', () => {
      it('replaces the token stored under the same hash', async () => {
        // Prepare
        const store = await createStore();
        await store.createToken(aToken());
        const replacement = aToken({
          tokenId: 'bootstrap',
          comment: 'rotated',
          creationTime: 1_700_000_100_000,
          expiryTime: -1,
        });

        // Act
        await store.putToken(replacement);

        // Assess
        expect(await store.getTokenByHash(replacement.tokenHash)).toStrictEqual(
          replacement
        );
        expect(await store.listTokens(alice.id)).toStrictEqual([replacement]);
      });

      it('creates a token when the hash is new', async () => {
        // Prepare
        const store = await createStore();
        const token = aToken();

        // Act
        await store.putToken(token);

        // Assess
        expect(await store.getTokenByHash(token.tokenHash)).toStrictEqual(
          token
        );
      });
    });

    describe('ensureDirectoryMember', () => {
      it('creates the principal and the group, and makes it a member', async () => {
        // Prepare
        const store = await createStore();

        // Act
        await store.ensureDirectoryMember(alice, 'admins', admins.id);

        // Assess
        expect(await store.getPrincipal(alice.id)).toStrictEqual({
          ...alice,
          isAdmin: true,
          groups: ['admins'],
        });
        expect(await store.findGroupByName('admins')).toStrictEqual({
          ...admins,
          memberIds: [alice.id],
        });
        expect(
          await store.findPrincipalByName('user', alice.userName)
        ).toMatchObject({ id: alice.id, displayName: alice.userName });
      });

      it('is idempotent and keeps the profile and other memberships', async () => {
        // Prepare
        const store = await createStore();
        await store.createGroup(risk);
        await store.ensureDirectoryMember(alice, 'admins', admins.id);
        await store.changePrincipal(alice.id, {
          displayName: 'Alice',
          active: false,
          addGroups: [risk],
          removeGroupIds: [],
          keepNonEmptyGroupIds: [],
        });

        // Act
        await store.ensureDirectoryMember(alice, 'admins', '2999999999999999');

        // Assess: reactivated, still in risk, no second admins group.
        expect(await store.getDirectoryPrincipal(alice.id)).toStrictEqual({
          id: alice.id,
          kind: 'user',
          userName: alice.userName,
          displayName: 'Alice',
          active: true,
          groups: [admins, risk],
        });
        expect(await store.listGroups()).toStrictEqual([
          { ...admins, memberIds: [alice.id] },
          { ...risk, memberIds: [alice.id] },
        ]);
      });

      it('joins an existing group found by its name in any case', async () => {
        // Prepare
        const store = await createStore();
        await store.createGroup({ id: admins.id, displayName: 'Admins' });

        // Act
        await store.ensureDirectoryMember(alice, 'admins', '2999999999999999');

        // Assess
        expect(await store.getGroup(admins.id)).toStrictEqual({
          id: admins.id,
          displayName: 'Admins',
          memberIds: [alice.id],
        });
        expect(await store.getGroup('2999999999999999')).toBeUndefined();
      });
    });

    describe('createPrincipal / getDirectoryPrincipal', () => {
      it('stores every field and both sides of the initial memberships', async () => {
        // Prepare
        const store = await createStore();
        await store.createGroup(risk);
        await store.createGroup(admins);

        // Act
        await store.createPrincipal(aUser({ groups: [risk, admins] }));

        // Assess
        expect(
          await store.getDirectoryPrincipal('1000000000000042')
        ).toStrictEqual({
          id: '1000000000000042',
          kind: 'user',
          userName: 'alice@example.com',
          displayName: 'Alice',
          active: true,
          groups: [admins, risk],
        });
        expect((await store.getGroup(risk.id))?.memberIds).toStrictEqual([
          '1000000000000042',
        ]);
        expect((await store.getGroup(admins.id))?.memberIds).toStrictEqual([
          '1000000000000042',
        ]);
      });

      it('refuses a name taken in another case, naming it, and writes nothing', async () => {
        // Prepare
        const store = await createStore();
        await store.createGroup(risk);
        await store.createPrincipal(aUser());

        // Act
        const error = await failureOf(
          store.createPrincipal(
            aUser({
              id: '1000000000000043',
              userName: 'ALICE@example.com',
              groups: [risk],
            })
          )
        );

        // Assess
        expect(error).toBeInstanceOf(ResourceAlreadyExistsError);
        expect(error).toMatchObject({
          code: 'RESOURCE_ALREADY_EXISTS',
          message: 'A user with userName ALICE@example.com already exists.',
        });
        expect(
          await store.getDirectoryPrincipal('1000000000000043')
        ).toBeUndefined();
        expect((await store.getGroup(risk.id))?.memberIds).toStrictEqual([]);
      });

      it('names a service principal clash by its application id', async () => {
        // Prepare
        const store = await createStore();
        const robot = aUser({
          id: '7',
          kind: 'service_principal',
          userName: '6c2f0000-0000-4000-8000-000000000007',
        });
        await store.createPrincipal(robot);

        // Act
        const error = await failureOf(
          store.createPrincipal({ ...robot, id: '8' })
        );

        // Assess
        expect(error).toBeInstanceOf(ResourceAlreadyExistsError);
        expect(error).toHaveProperty(
          'message',
          `A service principal with applicationId ${robot.userName} already exists.`
        );
      });

      it('keeps names unique within a kind only', async () => {
        // Prepare
        const store = await createStore();
        await store.createPrincipal(aUser({ userName: 'ci-robot' }));

        // Act
        await store.createPrincipal(
          aUser({ id: '7', kind: 'service_principal', userName: 'ci-robot' })
        );

        // Assess
        expect(
          await store.findPrincipalByName('service_principal', 'CI-ROBOT')
        ).toMatchObject({ id: '7' });
        expect(
          await store.findPrincipalByName('user', 'ci-robot')
        ).toMatchObject({ id: '1000000000000042' });
      });

      it('reports a taken id or a renamed group as a concurrent modification', async () => {
        // Prepare
        const store = await createStore();
        await store.createGroup(risk);
        await store.createPrincipal(aUser());

        // Act
        const sameId = await failureOf(
          store.createPrincipal(aUser({ userName: 'bob@example.com' }))
        );
        const staleGroup = await failureOf(
          store.createPrincipal(
            aUser({
              id: '1000000000000043',
              userName: 'bob@example.com',
              groups: [{ id: risk.id, displayName: 'old name' }],
            })
          )
        );

        // Assess
        expect(sameId).toBeInstanceOf(ConcurrentModificationError);
        expect(staleGroup).toBeInstanceOf(ConcurrentModificationError);
        expect(
          await store.findPrincipalByName('user', 'bob@example.com')
        ).toBeUndefined();
      });

      it('reads unknown ids as undefined and many ids at once, each once', async () => {
        // Prepare
        const store = await createStore();
        await store.createPrincipal(aUser());
        await store.createPrincipal(
          aUser({ id: '1000000000000043', userName: 'bob@example.com' })
        );

        // Act
        const many = await store.getDirectoryPrincipals([
          '1000000000000043',
          '999',
          '1000000000000042',
          '1000000000000043',
        ]);

        // Assess
        expect(many.map((p) => p.id).sort()).toStrictEqual([
          '1000000000000042',
          '1000000000000043',
        ]);
        expect(await store.getDirectoryPrincipal('999')).toBeUndefined();
        expect(
          await store.findPrincipalByName('user', 'nobody')
        ).toBeUndefined();
      });
    });

    describe('listDirectoryPrincipals', () => {
      it('lists one kind in lower-cased name order, narrowed by name in any case', async () => {
        // Prepare
        const store = await createStore();
        const names = ['carol@example.com', 'Bob@example.com', 'alice@x.org'];
        for (const [index, userName] of names.entries()) {
          await store.createPrincipal(
            aUser({ id: `10000000000000${50 + index}`, userName })
          );
        }
        await store.createPrincipal(
          aUser({ id: '7', kind: 'service_principal', userName: 'bob-robot' })
        );

        // Act
        const all = await store.listDirectoryPrincipals('user');
        const startingWithB = await store.listDirectoryPrincipals('user', {
          operator: 'sw',
          value: 'B',
        });
        const exactly = await store.listDirectoryPrincipals('user', {
          operator: 'eq',
          value: 'ALICE@X.ORG',
        });

        // Assess
        expect(all.map((p) => p.userName)).toStrictEqual([
          'alice@x.org',
          'Bob@example.com',
          'carol@example.com',
        ]);
        expect(startingWithB.map((p) => p.userName)).toStrictEqual([
          'Bob@example.com',
        ]);
        expect(exactly.map((p) => p.userName)).toStrictEqual(['alice@x.org']);
      });
    });

    describe('changePrincipal', () => {
      it('changes the profile and both sides of memberships together', async () => {
        // Prepare
        const store = await createStore();
        await store.createGroup(risk);
        await store.createGroup(admins);
        await store.createPrincipal(aUser({ groups: [risk] }));

        // Act
        await store.changePrincipal('1000000000000042', {
          displayName: 'Alice A.',
          active: false,
          addGroups: [admins],
          removeGroupIds: [risk.id],
          keepNonEmptyGroupIds: [],
        });

        // Assess
        expect(
          await store.getDirectoryPrincipal('1000000000000042')
        ).toMatchObject({
          displayName: 'Alice A.',
          active: false,
          groups: [admins],
        });
        expect((await store.getGroup(risk.id))?.memberIds).toStrictEqual([]);
        expect((await store.getGroup(admins.id))?.memberIds).toStrictEqual([
          '1000000000000042',
        ]);
      });

      it('changes nothing when one of its conditions fails', async () => {
        // Prepare
        const store = await createStore();
        await store.createGroup(risk);
        await store.createGroup(admins);
        await store.createPrincipal(aUser({ groups: [admins] }));

        // Act: admins would be emptied; risk is joined under a stale name.
        const emptied = await failureOf(
          store.changePrincipal('1000000000000042', {
            displayName: 'Changed',
            addGroups: [risk],
            removeGroupIds: [admins.id],
            keepNonEmptyGroupIds: [admins.id],
          })
        );
        const staleName = await failureOf(
          store.changePrincipal('1000000000000042', {
            displayName: 'Changed',
            addGroups: [{ id: risk.id, displayName: 'Risk' }],
            removeGroupIds: [],
            keepNonEmptyGroupIds: [],
          })
        );
        const gone = await failureOf(
          store.changePrincipal('999', {
            active: false,
            addGroups: [],
            removeGroupIds: [],
            keepNonEmptyGroupIds: [],
          })
        );

        // Assess
        expect(emptied).toBeInstanceOf(ConcurrentModificationError);
        expect(staleName).toBeInstanceOf(ConcurrentModificationError);
        expect(gone).toBeInstanceOf(ConcurrentModificationError);
        expect(
          await store.getDirectoryPrincipal('1000000000000042')
        ).toMatchObject({ displayName: 'Alice', groups: [admins] });
        expect((await store.getGroup(risk.id))?.memberIds).toStrictEqual([]);
        expect(await store.getDirectoryPrincipal('999')).toBeUndefined();
      });
    });

    describe('deletePrincipal', () => {
      it('deletes the principal, frees its name and revokes its tokens', async () => {
        // Prepare
        const store = await createStore();
        await store.createPrincipal(aUser());
        await store.createToken(aToken({ principalId: '1000000000000042' }));

        // Act
        const deleted = await store.deletePrincipal('1000000000000042');

        // Assess
        expect(deleted).toBe(true);
        expect(
          await store.getDirectoryPrincipal('1000000000000042')
        ).toBeUndefined();
        expect(await store.getTokenByHash(aToken().tokenHash)).toBeUndefined();
        await store.createPrincipal(aUser({ id: '1000000000000043' }));
        expect(
          await store.findPrincipalByName('user', 'alice@example.com')
        ).toMatchObject({ id: '1000000000000043' });
      });

      it('refuses a principal that still has memberships', async () => {
        // Prepare
        const store = await createStore();
        await store.createGroup(risk);
        await store.createPrincipal(aUser({ groups: [risk] }));

        // Act
        const error = await failureOf(
          store.deletePrincipal('1000000000000042')
        );

        // Assess
        expect(error).toBeInstanceOf(ConcurrentModificationError);
        expect(
          await store.getDirectoryPrincipal('1000000000000042')
        ).toBeDefined();
      });

      it('returns false for an unknown principal', async () => {
        // Prepare
        const store = await createStore();

        // Act
        const deleted = await store.deletePrincipal('999');

        // Assess
        expect(deleted).toBe(false);
      });
    });

    describe('createGroup / listGroups', () => {
      it('creates empty groups, found by id and by name in any case, listed in name order', async () => {
        // Prepare
        const store = await createStore();

        // Act
        await store.createGroup(risk);
        await store.createGroup({
          id: '2000000000000003',
          displayName: 'Audit',
        });
        await store.createGroup(admins);

        // Assess
        expect(await store.getGroup(risk.id)).toStrictEqual({
          ...risk,
          memberIds: [],
        });
        expect(await store.findGroupByName('RISK')).toStrictEqual({
          ...risk,
          memberIds: [],
        });
        expect(
          (await store.listGroups()).map((group) => group.displayName)
        ).toStrictEqual(['admins', 'Audit', 'risk']);
        expect(
          (await store.listGroups({ operator: 'sw', value: 'A' })).map(
            (group) => group.displayName
          )
        ).toStrictEqual(['admins', 'Audit']);
        expect(
          (await store.listGroups({ operator: 'eq', value: 'audit' })).map(
            (group) => group.id
          )
        ).toStrictEqual(['2000000000000003']);
      });

      it('refuses a display name taken in another case', async () => {
        // Prepare
        const store = await createStore();
        await store.createGroup(risk);

        // Act
        const error = await failureOf(
          store.createGroup({ id: '2000000000000009', displayName: 'Risk' })
        );

        // Assess
        expect(error).toBeInstanceOf(ResourceAlreadyExistsError);
        expect(error).toHaveProperty(
          'message',
          'Group with name Risk already exists.'
        );
        expect(await store.getGroup('2000000000000009')).toBeUndefined();
      });

      it('reports a taken id as a concurrent modification', async () => {
        // Prepare
        const store = await createStore();
        await store.createGroup(risk);

        // Act
        const error = await failureOf(
          store.createGroup({ id: risk.id, displayName: 'other' })
        );

        // Assess
        expect(error).toBeInstanceOf(ConcurrentModificationError);
        expect(await store.findGroupByName('other')).toBeUndefined();
      });
    });

    describe('addMembers / removeMembers', () => {
      it('writes both sides, past the 99 principals of one transaction', async () => {
        // Prepare
        const store = await createStore();
        await store.createGroup(risk);
        const ids = Array.from(
          { length: 101 },
          (_, index) => `1${String(index).padStart(15, '0')}`
        );
        for (const id of ids) {
          await store.createPrincipal(aUser({ id, userName: `user-${id}` }));
        }

        // Act
        await store.addMembers(risk, ids);
        await store.removeMembers(risk.id, ids.slice(0, 100), {
          keepNonEmpty: true,
        });

        // Assess
        expect((await store.getGroup(risk.id))?.memberIds).toStrictEqual([
          ids[100],
        ]);
        expect(
          (await store.getDirectoryPrincipal(ids[100] ?? ''))?.groups
        ).toStrictEqual([risk]);
        expect(
          (await store.getDirectoryPrincipal(ids[0] ?? ''))?.groups
        ).toStrictEqual([]);
      });

      it('refuses a removal that would empty a group kept non-empty', async () => {
        // Prepare
        const store = await createStore();
        await store.createGroup(admins);
        await store.createPrincipal(aUser({ groups: [admins] }));

        // Act
        const error = await failureOf(
          store.removeMembers(admins.id, ['1000000000000042'], {
            keepNonEmpty: true,
          })
        );

        // Assess
        expect(error).toBeInstanceOf(ConcurrentModificationError);
        expect((await store.getGroup(admins.id))?.memberIds).toStrictEqual([
          '1000000000000042',
        ]);
      });

      it('refuses a principal that is gone, or a group under a stale name, changing neither side', async () => {
        // Prepare
        const store = await createStore();
        await store.createGroup(risk);
        await store.createPrincipal(aUser());

        // Act
        const gone = await failureOf(
          store.addMembers(risk, ['1000000000000042', '999'])
        );
        const stale = await failureOf(
          store.addMembers({ id: risk.id, displayName: 'Risk' }, [
            '1000000000000042',
          ])
        );

        // Assess
        expect(gone).toBeInstanceOf(ConcurrentModificationError);
        expect(stale).toBeInstanceOf(ConcurrentModificationError);
        expect((await store.getGroup(risk.id))?.memberIds).toStrictEqual([]);
        expect(
          (await store.getDirectoryPrincipal('1000000000000042'))?.groups
        ).toStrictEqual([]);
      });
    });

    describe('group rename', () => {
      it('renames in three steps, blocking joins and holding both names meanwhile', async () => {
        // Prepare
        const store = await createStore();
        await store.createGroup(risk);
        await store.createPrincipal(aUser({ groups: [risk] }));
        await store.createPrincipal(
          aUser({ id: '1000000000000043', userName: 'bob@example.com' })
        );

        // Act
        await store.beginGroupRename(risk.id, 'risk', 'credit-risk');
        const pending = await store.getGroup(risk.id);
        const blockedJoin = await failureOf(
          store.addMembers(risk, ['1000000000000043'])
        );
        const oldNameTaken = await failureOf(
          store.createGroup({ id: '2000000000000009', displayName: 'risk' })
        );
        await store.setMembersGroupName(risk.id, 'credit-risk', [
          '1000000000000042',
          '1000000000000043',
        ]);
        await store.completeGroupRename(risk.id, 'risk', 'credit-risk');
        const again = await failureOf(
          store.completeGroupRename(risk.id, 'risk', 'credit-risk')
        );

        // Assess
        expect(pending).toStrictEqual({
          ...risk,
          memberIds: ['1000000000000042'],
          pendingDisplayName: 'credit-risk',
        });
        expect(blockedJoin).toBeInstanceOf(ConcurrentModificationError);
        expect(oldNameTaken).toBeInstanceOf(ResourceAlreadyExistsError);
        expect(again).toBeInstanceOf(ConcurrentModificationError);
        expect(await store.getGroup(risk.id)).toStrictEqual({
          id: risk.id,
          displayName: 'credit-risk',
          memberIds: ['1000000000000042'],
        });
        expect(
          (await store.getDirectoryPrincipal('1000000000000042'))?.groups
        ).toStrictEqual([{ id: risk.id, displayName: 'credit-risk' }]);
        expect(
          (await store.getDirectoryPrincipal('1000000000000043'))?.groups
        ).toStrictEqual([]);
        expect(await store.findGroupByName('risk')).toBeUndefined();
        expect(await store.findGroupByName('Credit-Risk')).toMatchObject({
          id: risk.id,
        });
      });

      it('refuses a taken name and a group that changed meanwhile', async () => {
        // Prepare
        const store = await createStore();
        await store.createGroup(risk);
        await store.createGroup(admins);

        // Act
        const taken = await failureOf(
          store.beginGroupRename(risk.id, 'risk', 'Admins')
        );
        const stale = await failureOf(
          store.beginGroupRename(risk.id, 'old name', 'fraud')
        );

        // Assess
        expect(taken).toBeInstanceOf(ResourceAlreadyExistsError);
        expect(taken).toHaveProperty(
          'message',
          'Group with name Admins already exists.'
        );
        expect(stale).toBeInstanceOf(ConcurrentModificationError);
        expect(await store.getGroup(risk.id)).toStrictEqual({
          ...risk,
          memberIds: [],
        });
        expect(await store.findGroupByName('fraud')).toBeUndefined();
      });

      it('changes the case of a name under the same guard', async () => {
        // Prepare
        const store = await createStore();
        await store.createGroup(risk);

        // Act
        await store.beginGroupRename(risk.id, 'risk', 'Risk');
        await store.completeGroupRename(risk.id, 'risk', 'Risk');

        // Assess
        expect(await store.findGroupByName('risk')).toStrictEqual({
          id: risk.id,
          displayName: 'Risk',
          memberIds: [],
        });
      });
    });

    describe('deleteGroup', () => {
      it('deletes an empty group and frees its name', async () => {
        // Prepare
        const store = await createStore();
        await store.createGroup(risk);

        // Act
        const deleted = await store.deleteGroup(risk.id);

        // Assess
        expect(deleted).toBe(true);
        expect(await store.getGroup(risk.id)).toBeUndefined();
        await store.createGroup({
          id: '2000000000000009',
          displayName: 'RISK',
        });
        expect(await store.findGroupByName('risk')).toMatchObject({
          id: '2000000000000009',
        });
      });

      it('refuses a group with members or in the middle of a rename', async () => {
        // Prepare
        const store = await createStore();
        await store.createGroup(risk);
        await store.createGroup(admins);
        await store.createPrincipal(aUser({ groups: [admins] }));
        await store.beginGroupRename(risk.id, 'risk', 'fraud');

        // Act
        const withMembers = await failureOf(store.deleteGroup(admins.id));
        const renaming = await failureOf(store.deleteGroup(risk.id));

        // Assess
        expect(withMembers).toBeInstanceOf(ConcurrentModificationError);
        expect(renaming).toBeInstanceOf(ConcurrentModificationError);
        expect(await store.getGroup(admins.id)).toBeDefined();
        expect(await store.getGroup(risk.id)).toBeDefined();
      });

      it('returns false for an unknown group', async () => {
        // Prepare
        const store = await createStore();

        // Act
        const deleted = await store.deleteGroup('999');

        // Assess
        expect(deleted).toBe(false);
      });
    });

    describe('token management', () => {
      it('issues a token only to an existing, active principal', async () => {
        // Prepare
        const store = await createStore();
        await store.createPrincipal(aUser());
        await store.createPrincipal(
          aUser({
            id: '1000000000000043',
            userName: 'bob@example.com',
            active: false,
          })
        );
        const token = aToken({ principalId: '1000000000000042' });

        // Act
        await store.createTokenForPrincipal(token);
        const inactive = await failureOf(
          store.createTokenForPrincipal(
            aToken({
              tokenId: 'token-2',
              tokenHash: 'b'.repeat(64),
              principalId: '1000000000000043',
            })
          )
        );
        const unknown = await failureOf(
          store.createTokenForPrincipal(
            aToken({
              tokenId: 'token-3',
              tokenHash: 'c'.repeat(64),
              principalId: '999',
            })
          )
        );
        const sameHash = await failureOf(
          store.createTokenForPrincipal({ ...token, tokenId: 'token-4' })
        );

        // Assess
        expect(await store.getTokenByHash(token.tokenHash)).toStrictEqual(
          token
        );
        expect(inactive).toBeInstanceOf(ConcurrentModificationError);
        expect(unknown).toBeInstanceOf(ConcurrentModificationError);
        expect(sameHash).toBeInstanceOf(ResourceAlreadyExistsError);
        expect(sameHash).toHaveProperty('message', 'Token already exists.');
        expect(await store.listAllTokens()).toStrictEqual([token]);
      });

      it('lists every token in token-id order, finds and deletes one by id', async () => {
        // Prepare
        const store = await createStore();
        const tokens = [
          aToken({ tokenId: 'b2', tokenHash: '1'.repeat(64) }),
          aToken({
            tokenId: 'a1',
            tokenHash: '2'.repeat(64),
            principalId: '7',
          }),
          aToken({ tokenId: 'c3', tokenHash: '3'.repeat(64) }),
        ];
        for (const token of tokens) await store.createToken(token);

        // Act
        const listed = await store.listAllTokens();
        const found = await store.getTokenById('a1');
        const deleted = await store.deleteTokenById('a1');
        const deletedAgain = await store.deleteTokenById('a1');

        // Assess
        expect(listed.map((token) => token.tokenId)).toStrictEqual([
          'a1',
          'b2',
          'c3',
        ]);
        expect(found).toStrictEqual(tokens[1]);
        expect(deleted).toBe(true);
        expect(deletedAgain).toBe(false);
        expect(await store.getTokenById('a1')).toBeUndefined();
        expect(await store.getTokenByHash('2'.repeat(64))).toBeUndefined();
      });
    });
  });
}
