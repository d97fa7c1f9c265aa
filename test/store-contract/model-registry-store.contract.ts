import { beforeAll, describe, expect, it } from 'vitest';
import type { Activity } from '#domain/activity.ts';
import {
  ConcurrentModificationError,
  InvalidParameterValueError,
  RegisteredModelAlreadyExistsError,
  ResourceDoesNotExistError,
} from '#domain/errors.ts';
import type { ModelVersion } from '#domain/model-version.ts';
import type { RegisteredModel } from '#domain/registered-model.ts';
import { stagesOf } from '#domain/registry/stage-members.ts';
import type { Stage } from '#domain/stages.ts';
import type {
  ModelRecord,
  ModelRegistryStore,
  StageBounds,
} from '#ports/model-registry-store.ts';
import {
  aModelVersion,
  aRegisteredModel,
} from '#test/support/registry-fixtures.ts';

/** Returns a store that holds no models yet. */
export type ModelRegistryStoreFactory = () => Promise<ModelRegistryStore>;

const T0 = 1_700_000_000_000;

function aModel(overrides: Partial<RegisteredModel> = {}): RegisteredModel {
  return aRegisteredModel({
    creationTimestamp: T0,
    lastUpdatedTimestamp: T0,
    ...overrides,
  });
}

function idOf(index: number): string {
  return index.toString(16).padStart(32, '0');
}

function aVersion(
  record: ModelRecord,
  overrides: Partial<ModelVersion> = {}
): ModelVersion {
  return aModelVersion({
    modelId: record.model.id,
    version: record.versionCounter + 1,
    creationTimestamp: T0 + 1000,
    lastUpdatedTimestamp: T0 + 1000,
    ...overrides,
  });
}

function noStages(): Record<Stage, number[]> {
  return { None: [], Staging: [], Production: [], Archived: [] };
}

function anActivity(
  record: ModelRecord,
  overrides: Partial<Activity> = {}
): Activity {
  return {
    id: 'a'.repeat(32),
    modelId: record.model.id,
    version: 1,
    activityType: 'APPLIED_TRANSITION',
    fromStage: 'None',
    toStage: 'Staging',
    userId: 'alice@example.com',
    creationTimestamp: T0 + 5000,
    lastUpdatedTimestamp: T0 + 5000,
    comment: undefined,
    systemComment: undefined,
    ...overrides,
  };
}

async function recordOf(
  store: ModelRegistryStore,
  name: string
): Promise<ModelRecord> {
  const record = await store.getModelRecordByName(name);
  if (!record) throw new Error(`No model ${name}`);
  return record;
}

/** A record without the members' revision (the store's own bookkeeping). */
function withoutBookkeeping<R extends ModelRecord | undefined>(record: R): R {
  if (!record) return record;
  const { stagesRevision: _revision, ...rest } = record;
  return rest as R;
}

/** Creates a model and `count` versions of it, returning the fresh record. */
async function modelWithVersions(
  store: ModelRegistryStore,
  count: number,
  model: RegisteredModel = aModel()
): Promise<ModelRecord> {
  await store.createRegisteredModel(model, []);
  for (let i = 0; i < count; i++) {
    const record = await recordOf(store, model.name);
    await store.createVersion(record, aVersion(record));
  }
  return recordOf(store, model.name);
}

async function expectConcurrentModification(
  attempt: Promise<unknown>
): Promise<void> {
  await expect(attempt).rejects.toThrow(ConcurrentModificationError);
  await expect(attempt).rejects.toHaveProperty(
    'name',
    'ConcurrentModificationError'
  );
}

/**
 * Names whose UTF-8 byte order (DynamoDB's order for string keys) differs
 * from both `localeCompare` (case, accents) and JavaScript's default UTF-16
 * order ('Ａ' U+FF21 sorts after '😀' in UTF-16, before it in UTF-8).
 */
const NAMES_IN_BYTE_ORDER = [
  '10',
  '9',
  'A',
  'B',
  'a',
  'a b',
  'a-b',
  'ab',
  'b',
  'e',
  'z',
  'é',
  'Ａ',
  '😀',
] as const;

const SHUFFLED_NAMES = [
  'é',
  'b',
  '😀',
  'a b',
  'A',
  'z',
  '9',
  'ab',
  'Ａ',
  'a',
  '10',
  'e',
  'a-b',
  'B',
] as const;

/**
 * The behaviour every {@link ModelRegistryStore} implementation must share,
 * run against the in-memory fake and against DynamoDB Local, so tests that
 * use the fake can trust it.
 */
export function describeModelRegistryStoreContract(
  implementation: string,
  createStore: ModelRegistryStoreFactory
): void {
  describe(`ModelRegistryStore contract (${implementation})`, () => {
    describe('createRegisteredModel', () => {
      it('stores every field, tags ordered by key in byte order', async () => {
        // Prepare
        const store = await createStore();
        const model = aModel({
          description: 'Scores card payments — v2 «beta»',
          creationTimestamp: T0 + 123,
          lastUpdatedTimestamp: T0 + 456,
          tags: [
            { key: 'team', value: 'risk' },
            { key: 'Team', value: '' },
            { key: 'owner', value: 'ünïcödé 😀' },
          ],
        });

        // Act
        await store.createRegisteredModel(model, []);

        // Assess
        const expected: ModelRecord = {
          model: {
            ...model,
            tags: [
              { key: 'Team', value: '' },
              { key: 'owner', value: 'ünïcödé 😀' },
              { key: 'team', value: 'risk' },
            ],
          },
          revision: 0,
          versionCounter: 0,
          grants: [],
          stages: noStages(),
          stageBounds: {},
        };
        expect(
          withoutBookkeeping(await recordOf(store, model.name))
        ).toStrictEqual(withoutBookkeeping(expected));
        expect(
          withoutBookkeeping(await store.getModelRecordById(model.id))
        ).toStrictEqual(expected);
      });

      it('refuses a name that is taken and keeps the first model', async () => {
        // Prepare
        const store = await createStore();
        const first = aModel({ id: 'a'.repeat(32), description: 'first' });
        await store.createRegisteredModel(first, []);

        // Act
        const attempt = store.createRegisteredModel(
          aModel({ id: 'b'.repeat(32), description: 'second' }),
          []
        );

        // Assess
        await expect(attempt).rejects.toThrow(
          RegisteredModelAlreadyExistsError
        );
        await expect(attempt).rejects.toMatchObject({
          code: 'RESOURCE_ALREADY_EXISTS',
          message: 'Registered Model (name=fraud-detector) already exists.',
        });
        expect(
          (await store.getModelRecordByName(first.name))?.model
        ).toStrictEqual(first);
        expect(await store.getModelRecordById('b'.repeat(32))).toBeUndefined();
      });

      it('lets exactly one of 10 concurrent creates of a name succeed', async () => {
        // Prepare
        const store = await createStore();
        const candidates = Array.from({ length: 10 }, (_, index) =>
          aModel({ id: idOf(index) })
        );

        // Act
        const results = await Promise.allSettled(
          candidates.map((model) => store.createRegisteredModel(model, []))
        );

        // Assess
        const winners = results.flatMap((result, index) =>
          result.status === 'fulfilled' ? [candidates[index]] : []
        );
        const failures = results.flatMap((result) =>
          result.status === 'rejected' ? [result.reason] : []
        );
        expect(winners).toHaveLength(1);
        expect(failures).toHaveLength(9);
        for (const failure of failures) {
          expect(failure).toBeInstanceOf(RegisteredModelAlreadyExistsError);
          expect(failure).toHaveProperty('code', 'RESOURCE_ALREADY_EXISTS');
        }
        expect(
          (await store.getModelRecordByName('fraud-detector'))?.model
        ).toStrictEqual(winners[0]);
        const listed = await store.listModels({
          orderBy: 'name',
          descending: false,
          limit: 100,
        });
        expect(listed.records).toHaveLength(1);
      });

      it('treats names that differ only in case as different models', async () => {
        // Prepare
        const store = await createStore();
        await store.createRegisteredModel(aModel({ name: 'Model' }), []);

        // Act
        await store.createRegisteredModel(
          aModel({ id: 'f'.repeat(32), name: 'model' }),
          []
        );

        // Assess
        expect((await recordOf(store, 'Model')).model.id).toBe(
          '0123456789abcdef0123456789abcdef'
        );
        expect((await recordOf(store, 'model')).model.id).toBe('f'.repeat(32));
      });
    });

    describe('getModelRecordByName / getModelRecordById', () => {
      it('returns undefined for a name or id never created', async () => {
        // Prepare
        const store = await createStore();
        await store.createRegisteredModel(aModel({ name: 'known' }), []);

        // Act
        const byName = await store.getModelRecordByName('unknown');
        const byId = await store.getModelRecordById('e'.repeat(32));

        // Assess
        expect(byName).toBeUndefined();
        expect(byId).toBeUndefined();
      });
    });

    describe('getModelAccessByName / getModelAccessById', () => {
      const admins = { kind: 'group', name: 'ml' } as const;

      it('reads a model with the root grants, by name and by id', async () => {
        // Prepare
        const store = await createStore();
        const model = aModel();
        await store.createRegisteredModel(model, [
          { grantee: admins, level: 'CAN_MANAGE' },
        ]);
        await store.setRootGrants([{ grantee: admins, level: 'CAN_READ' }]);

        // Act
        const byName = await store.getModelAccessByName(model.name);
        const byId = await store.getModelAccessById(model.id);

        // Assess
        for (const access of [byName, byId]) {
          expect(access.record).toStrictEqual(
            await store.getModelRecordById(model.id)
          );
          expect(access.rootGrants).toStrictEqual([
            { grantee: admins, level: 'CAN_READ' },
          ]);
        }
      });

      it('answers no record for an unknown model, and no root grants until set', async () => {
        // Prepare
        const store = await createStore();

        // Act
        const byName = await store.getModelAccessByName('unknown');
        const byId = await store.getModelAccessById('e'.repeat(32));

        // Assess
        expect(byName).toStrictEqual({
          record: undefined,
          rootGrants: undefined,
        });
        expect(byId).toStrictEqual({
          record: undefined,
          rootGrants: undefined,
        });
      });

      it('answers no record under a name the model left by a rename', async () => {
        // Prepare
        const store = await createStore();
        await store.createRegisteredModel(aModel({ name: 'before' }), []);
        await store.renameModel(await recordOf(store, 'before'), 'after', T0);

        // Act
        const old = await store.getModelAccessByName('before');
        const renamed = await store.getModelAccessByName('after');

        // Assess
        expect(old.record).toBeUndefined();
        expect(renamed.record?.model.name).toBe('after');
      });
    });

    describe('getModelRecordsByIds', () => {
      it('returns each known record once and skips unknown ids', async () => {
        // Prepare
        const store = await createStore();
        const a = aModel({ id: idOf(1), name: 'a' });
        const b = aModel({ id: idOf(2), name: 'b' });
        await store.createRegisteredModel(a, []);
        await store.createRegisteredModel(b, []);

        // Act
        const records = await store.getModelRecordsByIds([
          idOf(2),
          idOf(9),
          idOf(1),
          idOf(2),
        ]);

        // Assess
        expect(
          records.map((r) => r.model).sort((x, y) => x.id.localeCompare(y.id))
        ).toStrictEqual([a, b]);
        expect(records.map((r) => r.revision)).toStrictEqual([0, 0]);
        expect(records.map((r) => r.stages)).toStrictEqual([
          undefined,
          undefined,
        ]);
      });

      it('reads the stage members along when asked for them', async () => {
        // Prepare
        const store = await createStore();
        const created = await modelWithVersions(store, 2);

        // Act
        const records = await store.getModelRecordsByIds(
          [created.model.id, idOf(9), created.model.id],
          { stages: true }
        );

        // Assess
        expect(records.map((r) => r.stages)).toStrictEqual([
          { ...noStages(), None: [1, 2] },
        ]);
        expect(records.map((r) => r.stageBounds)).toStrictEqual([
          { None: { lowest: 1, highest: 2 } },
        ]);
      });
    });

    describe('grants', () => {
      const alice = { kind: 'user', name: 'alice@example.com' } as const;
      const risk = { kind: 'group', name: 'risk' } as const;
      const robot = { kind: 'service_principal', name: 'ci-robot' } as const;

      it('stores the initial grants with the model', async () => {
        // Prepare
        const store = await createStore();

        // Act
        await store.createRegisteredModel(aModel(), [
          { grantee: alice, level: 'CAN_MANAGE' },
        ]);

        // Assess
        expect((await recordOf(store, 'fraud-detector')).grants).toStrictEqual([
          { grantee: alice, level: 'CAN_MANAGE' },
        ]);
      });

      it('replaces every grant of a model, keeping its revision', async () => {
        // Prepare
        const store = await createStore();
        await store.createRegisteredModel(aModel(), [
          { grantee: alice, level: 'CAN_MANAGE' },
        ]);
        const before = await recordOf(store, 'fraud-detector');

        // Act
        await store.setModelGrants(before.model.id, [
          { grantee: risk, level: 'CAN_EDIT' },
          { grantee: robot, level: 'CAN_READ' },
        ]);

        // Assess
        const after = await recordOf(store, 'fraud-detector');
        expect(
          [...after.grants].sort((x, y) =>
            x.grantee.kind.localeCompare(y.grantee.kind)
          )
        ).toStrictEqual([
          { grantee: risk, level: 'CAN_EDIT' },
          { grantee: robot, level: 'CAN_READ' },
        ]);
        expect(after.revision).toBe(before.revision);
      });

      it('refuses grants on a model that does not exist', async () => {
        // Prepare
        const store = await createStore();

        // Act
        const attempt = store.setModelGrants(idOf(1), []);

        // Assess
        await expect(attempt).rejects.toThrow(ResourceDoesNotExistError);
        await expect(attempt).rejects.toHaveProperty(
          'code',
          'RESOURCE_DOES_NOT_EXIST'
        );
      });

      it('has no root grants until they are set, then returns them', async () => {
        // Prepare
        const store = await createStore();
        const before = await store.getRootGrants();

        // Act
        await store.setRootGrants([
          { grantee: risk, level: 'CAN_CREATE_REGISTERED_MODEL' },
        ]);
        await store.setRootGrants([{ grantee: alice, level: 'CAN_MANAGE' }]);

        // Assess
        expect(before).toBeUndefined();
        expect(await store.getRootGrants()).toStrictEqual([
          { grantee: alice, level: 'CAN_MANAGE' },
        ]);
      });

      it('keeps an empty root list apart from no list at all', async () => {
        // Prepare
        const store = await createStore();

        // Act
        await store.setRootGrants([]);

        // Assess
        expect(await store.getRootGrants()).toStrictEqual([]);
      });
    });

    describe('listModels', () => {
      it('returns nothing, exhausted, from an empty registry', async () => {
        // Prepare
        const store = await createStore();

        // Act
        const page = await store.listModels({
          orderBy: 'name',
          descending: false,
          limit: 10,
        });

        // Assess
        expect(page).toStrictEqual({
          records: [],
          positions: [],
          exhausted: true,
        });
      });

      describe('by name, over a registry of 14 models', () => {
        // The cases below only read, so they share one seeded store.
        let store: ModelRegistryStore;

        beforeAll(async () => {
          store = await createStore();
          await Promise.all(
            SHUFFLED_NAMES.map((name, index) =>
              store.createRegisteredModel(aModel({ id: idOf(index), name }), [])
            )
          );
        });

        async function names(query: {
          descending?: boolean;
          after?: string;
          namePrefix?: string;
          limit: number;
        }) {
          const page = await store.listModels({
            orderBy: 'name',
            descending: false,
            ...query,
          });
          return page.records.map((record) => record.model.name);
        }

        it('orders names by their UTF-8 bytes, as DynamoDB sorts keys', async () => {
          // Act
          const page = await store.listModels({
            orderBy: 'name',
            descending: false,
            limit: 100,
          });

          // Assess
          expect(page.records.map((r) => r.model.name)).toStrictEqual(
            NAMES_IN_BYTE_ORDER
          );
          expect(page.positions).toStrictEqual(NAMES_IN_BYTE_ORDER);
          expect(page.exhausted).toBe(true);
          expect(page.records[0]).toStrictEqual({
            model: aModel({ id: idOf(10), name: '10' }),
            revision: 0,
            versionCounter: 0,
            grants: [],
            // A listing reads no members: the bounds are what it needs.
            stageBounds: {},
          });
        });

        it.each([
          { limit: 15, expected: 14, exhausted: true },
          { limit: 14, expected: 14, exhausted: false },
          { limit: 5, expected: 5, exhausted: false },
          { limit: 1, expected: 1, exhausted: false },
        ])(
          'returns the first $expected models for a limit of $limit, exhausted: $exhausted',
          async ({ limit, expected, exhausted }) => {
            // Act
            const page = await store.listModels({
              orderBy: 'name',
              descending: false,
              limit,
            });

            // Assess
            expect(page.records.map((r) => r.model.name)).toStrictEqual(
              NAMES_IN_BYTE_ORDER.slice(0, expected)
            );
            expect(page.exhausted).toBe(exhausted);
          }
        );

        it('returns only names strictly after the cursor', async () => {
          // Act & Assess
          expect(await names({ after: 'a', limit: 3 })).toStrictEqual([
            'a b',
            'a-b',
            'ab',
          ]);
        });

        it('accepts a cursor that is not the name of any model', async () => {
          // Act & Assess
          expect(await names({ after: 'a c', limit: 2 })).toStrictEqual([
            'a-b',
            'ab',
          ]);
        });

        it('compares the cursor in byte order too', async () => {
          // Act & Assess
          expect(await names({ after: 'z', limit: 100 })).toStrictEqual([
            'é',
            'Ａ',
            '😀',
          ]);
        });

        it('returns nothing, exhausted, after the last name', async () => {
          // Act
          const page = await store.listModels({
            orderBy: 'name',
            descending: false,
            after: '😀',
            limit: 100,
          });

          // Assess
          expect(page).toStrictEqual({
            records: [],
            positions: [],
            exhausted: true,
          });
        });

        it('walks backwards from the cursor when descending', async () => {
          // Act & Assess
          expect(await names({ descending: true, limit: 3 })).toStrictEqual([
            '😀',
            'Ａ',
            'é',
          ]);
          expect(
            await names({ descending: true, after: 'a', limit: 3 })
          ).toStrictEqual(['B', 'A', '9']);
        });

        it('keeps only names with the prefix, after the cursor', async () => {
          // Act & Assess
          expect(await names({ namePrefix: 'a', limit: 100 })).toStrictEqual([
            'a',
            'a b',
            'a-b',
            'ab',
          ]);
          expect(
            await names({ namePrefix: 'a', after: 'a b', limit: 100 })
          ).toStrictEqual(['a-b', 'ab']);
          expect(
            await names({ namePrefix: 'a', after: '9', limit: 2 })
          ).toStrictEqual(['a', 'a b']);
        });

        it('reads an empty prefix as no prefix', async () => {
          // Act & Assess
          expect(await names({ namePrefix: '', limit: 100 })).toStrictEqual(
            await names({ limit: 100 })
          );
        });

        it('walks every model once when paged with the last position', async () => {
          // Prepare
          const seen: string[] = [];
          let after: string | undefined;

          // Act
          for (let calls = 0; calls < 20; calls++) {
            const page = await store.listModels({
              orderBy: 'name',
              descending: false,
              after,
              limit: 4,
            });
            seen.push(...page.records.map((r) => r.model.name));
            after = page.positions.at(-1);
            if (page.exhausted) break;
          }

          // Assess
          expect(seen).toStrictEqual(NAMES_IN_BYTE_ORDER);
        });
      });

      it('orders by last update, then name, with positions to resume from', async () => {
        // Prepare
        const store = await createStore();
        const updates: [string, number][] = [
          ['b', T0 + 3],
          ['a', T0 + 1],
          ['c', T0 + 1],
          ['d', T0 + 2],
        ];
        for (const [index, [name, at]] of updates.entries()) {
          await store.createRegisteredModel(
            aModel({ id: idOf(index), name, lastUpdatedTimestamp: at }),
            []
          );
        }

        // Act
        const ascending = await store.listModels({
          orderBy: 'last_updated_timestamp',
          descending: false,
          limit: 10,
        });
        const descending = await store.listModels({
          orderBy: 'last_updated_timestamp',
          descending: true,
          after: ascending.positions[3],
          limit: 2,
        });

        // Assess
        expect(ascending.records.map((r) => r.model.name)).toStrictEqual([
          'a',
          'c',
          'd',
          'b',
        ]);
        expect(ascending.positions[0]).toBe('001700000000001#a');
        expect(descending.records.map((r) => r.model.name)).toStrictEqual([
          'd',
          'c',
        ]);
      });
    });

    describe('updateModelDescription', () => {
      it('sets the description and the update time, keeping the revision', async () => {
        // Prepare
        const store = await createStore();
        await store.createRegisteredModel(
          aModel({ id: idOf(1), name: 'a' }),
          []
        );
        await store.createRegisteredModel(
          aModel({ id: idOf(2), name: 'b' }),
          []
        );
        const a = await recordOf(store, 'a');

        // Act
        await store.updateModelDescription(a.model, 'new words', T0 + 9);

        // Assess
        const after = await recordOf(store, 'a');
        expect(after.model).toMatchObject({
          description: 'new words',
          lastUpdatedTimestamp: T0 + 9,
          creationTimestamp: T0,
        });
        expect(after.revision).toBe(0);
        const byUpdate = await store.listModels({
          orderBy: 'last_updated_timestamp',
          descending: true,
          limit: 1,
        });
        expect(byUpdate.records[0]?.model.name).toBe('a');
      });

      it('refuses a model that no longer exists', async () => {
        // Prepare
        const store = await createStore();

        // Act
        const attempt = store.updateModelDescription(aModel(), 'x', T0);

        // Assess
        await expect(attempt).rejects.toThrow(ResourceDoesNotExistError);
        await expect(attempt).rejects.toHaveProperty(
          'code',
          'RESOURCE_DOES_NOT_EXIST'
        );
      });
    });

    describe('renameModel', () => {
      it('moves the model to the new name and bumps the revision', async () => {
        // Prepare
        const store = await createStore();
        const record = await modelWithVersions(
          store,
          1,
          aModel({ name: 'old' })
        );

        // Act
        await store.renameModel(record, 'new', T0 + 9);

        // Assess
        expect(await store.getModelRecordByName('old')).toBeUndefined();
        const renamed = await recordOf(store, 'new');
        expect(renamed).toStrictEqual({
          ...record,
          model: { ...record.model, name: 'new', lastUpdatedTimestamp: T0 + 9 },
          revision: record.revision + 1,
        });
        const listed = await store.listModels({
          orderBy: 'name',
          descending: false,
          limit: 10,
        });
        expect(listed.positions).toStrictEqual(['new']);
        expect(await store.getVersion(record.model.id, 1)).toBeDefined();
      });

      it('refuses a name that is taken and changes nothing', async () => {
        // Prepare
        const store = await createStore();
        await store.createRegisteredModel(
          aModel({ id: idOf(1), name: 'a' }),
          []
        );
        await store.createRegisteredModel(
          aModel({ id: idOf(2), name: 'b' }),
          []
        );
        const a = await recordOf(store, 'a');

        // Act
        const attempt = store.renameModel(a, 'b', T0 + 9);

        // Assess
        await expect(attempt).rejects.toThrow(
          RegisteredModelAlreadyExistsError
        );
        await expect(attempt).rejects.toHaveProperty(
          'code',
          'RESOURCE_ALREADY_EXISTS'
        );
        expect(withoutBookkeeping(await recordOf(store, 'a'))).toStrictEqual(
          withoutBookkeeping(a)
        );
        expect((await recordOf(store, 'b')).model.id).toBe(idOf(2));
      });

      it('refuses a record whose revision is stale', async () => {
        // Prepare
        const store = await createStore();
        await store.createRegisteredModel(aModel({ name: 'old' }), []);
        const stale = await recordOf(store, 'old');
        await store.createVersion(stale, aVersion(stale));

        // Act
        const attempt = store.renameModel(stale, 'new', T0 + 9);

        // Assess
        await expectConcurrentModification(attempt);
        expect(await store.getModelRecordByName('new')).toBeUndefined();
        expect(await store.getModelRecordByName('old')).toBeDefined();
      });
    });

    describe('deleteModel', () => {
      it('removes the model with its versions and activities, freeing the name', async () => {
        // Prepare
        const store = await createStore();
        const record = await modelWithVersions(store, 1);
        await store.commitTransition({
          record,
          now: T0 + 5000,
          target: { version: 1, from: 'None', to: 'Staging' },
          archived: [],
          activities: [anActivity(record)],
          stagesAfter: { ...noStages(), Staging: [1] },
        });
        const current = await recordOf(store, record.model.name);

        // Act
        await store.deleteModel(current, T0);

        // Assess
        expect(
          await store.getModelRecordByName(record.model.name)
        ).toBeUndefined();
        expect(await store.getModelRecordById(record.model.id)).toBeUndefined();
        expect(await store.getVersion(record.model.id, 1)).toBeUndefined();
        expect(await store.listActivities(record.model.id, 1)).toStrictEqual(
          []
        );
        await store.createRegisteredModel(aModel({ id: idOf(7) }), []);
        expect((await recordOf(store, record.model.name)).model.id).toBe(
          idOf(7)
        );
      });

      it('refuses a record whose revision is stale', async () => {
        // Prepare
        const store = await createStore();
        await store.createRegisteredModel(aModel(), []);
        const stale = await recordOf(store, 'fraud-detector');
        await store.createVersion(stale, aVersion(stale));

        // Act
        const attempt = store.deleteModel(stale, T0);

        // Assess
        await expectConcurrentModification(attempt);
        expect(
          await store.getModelRecordByName('fraud-detector')
        ).toBeDefined();
      });
    });

    describe('setModelTag / deleteModelTag', () => {
      it('adds and replaces tags, read back in key order', async () => {
        // Prepare
        const store = await createStore();
        await store.createRegisteredModel(
          aModel({ tags: [{ key: 'm', value: '1' }] }),
          []
        );
        const { model } = await recordOf(store, 'fraud-detector');

        // Act
        await store.setModelTag(model.id, 'z', '2');
        await store.setModelTag(model.id, 'a', '3');
        await store.setModelTag(model.id, 'm', 'replaced');

        // Assess
        const after = await recordOf(store, 'fraud-detector');
        expect(after.model.tags).toStrictEqual([
          { key: 'a', value: '3' },
          { key: 'm', value: 'replaced' },
          { key: 'z', value: '2' },
        ]);
        expect(after.revision).toBe(0);
      });

      it('refuses a 51st tag but still replaces one of the 50', async () => {
        // Prepare
        const store = await createStore();
        await store.createRegisteredModel(
          aModel({
            tags: Array.from({ length: 50 }, (_, i) => ({
              key: `k${String(i).padStart(2, '0')}`,
              value: 'v',
            })),
          }),
          []
        );
        const { model } = await recordOf(store, 'fraud-detector');

        // Act
        const refused = await store
          .setModelTag(model.id, 'one-more', 'v')
          .catch((error: unknown) => error);
        await store.setModelTag(model.id, 'k00', 'replaced');

        // Assess
        expect(refused).toBeInstanceOf(InvalidParameterValueError);
        expect(refused).toMatchObject({
          code: 'INVALID_PARAMETER_VALUE',
          message: 'At most 50 tags are allowed.',
        });
        const tags = (await recordOf(store, 'fraud-detector')).model.tags;
        expect(tags).toHaveLength(50);
        expect(tags[0]).toStrictEqual({ key: 'k00', value: 'replaced' });
      });

      it('refuses a tag on a model that does not exist', async () => {
        // Prepare
        const store = await createStore();

        // Act
        const attempt = store.setModelTag(idOf(1), 'k', 'v');

        // Assess
        await expect(attempt).rejects.toThrow(ResourceDoesNotExistError);
        await expect(attempt).rejects.toHaveProperty(
          'code',
          'RESOURCE_DOES_NOT_EXIST'
        );
      });

      it('deletes a tag once, then reports there was none', async () => {
        // Prepare
        const store = await createStore();
        await store.createRegisteredModel(
          aModel({ tags: [{ key: 'k', value: 'v' }] }),
          []
        );
        const { model } = await recordOf(store, 'fraud-detector');

        // Act
        const first = await store.deleteModelTag(model.id, 'k');
        const second = await store.deleteModelTag(model.id, 'k');

        // Assess
        expect([first, second]).toStrictEqual([true, false]);
        expect(
          (await recordOf(store, 'fraud-detector')).model.tags
        ).toStrictEqual([]);
      });
    });

    describe('setAlias / deleteAlias', () => {
      it('points aliases at versions, in alias order, bumping the revision', async () => {
        // Prepare
        const store = await createStore();
        const record = await modelWithVersions(store, 2);

        // Act
        await store.setAlias(record.model.id, 'champion', 2);
        await store.setAlias(record.model.id, 'Challenger', 1);
        await store.setAlias(record.model.id, 'champion', 1);

        // Assess
        const after = await recordOf(store, 'fraud-detector');
        expect(after.model.aliases).toStrictEqual([
          { alias: 'Challenger', version: 1 },
          { alias: 'champion', version: 1 },
        ]);
        expect(after.revision).toBe(record.revision + 3);
      });

      it('refuses an alias to a version that does not exist', async () => {
        // Prepare
        const store = await createStore();
        const record = await modelWithVersions(store, 1);

        // Act
        const attempt = store.setAlias(record.model.id, 'champion', 2);

        // Assess
        await expect(attempt).rejects.toThrow(ResourceDoesNotExistError);
        await expect(attempt).rejects.toHaveProperty(
          'code',
          'RESOURCE_DOES_NOT_EXIST'
        );
        expect(
          (await recordOf(store, 'fraud-detector')).model.aliases
        ).toStrictEqual([]);
      });

      it('deletes an alias, and a missing alias silently', async () => {
        // Prepare
        const store = await createStore();
        const record = await modelWithVersions(store, 1);
        await store.setAlias(record.model.id, 'champion', 1);

        // Act
        await store.deleteAlias(record.model.id, 'champion');
        await store.deleteAlias(record.model.id, 'never-set');

        // Assess
        expect(
          (await recordOf(store, 'fraud-detector')).model.aliases
        ).toStrictEqual([]);
      });

      it('refuses to delete an alias of a model that does not exist', async () => {
        // Prepare
        const store = await createStore();

        // Act
        const attempt = store.deleteAlias(idOf(1), 'champion');

        // Assess
        await expect(attempt).rejects.toThrow(ResourceDoesNotExistError);
        await expect(attempt).rejects.toHaveProperty(
          'code',
          'RESOURCE_DOES_NOT_EXIST'
        );
      });
    });

    describe('createVersion', () => {
      it('stores where its files come from and where they load from, through status changes', async () => {
        // Prepare
        const store = await createStore();
        await store.createRegisteredModel(aModel(), []);
        const record = await recordOf(store, 'fraud-detector');
        const managed = aVersion(record, {
          source: 'dbfs:/databricks/mlflow/tmp-external-source/r/model',
          uploadId: idOf(7),
        });
        await store.createVersion(record, managed);
        const next = await recordOf(store, 'fraud-detector');
        const reference = aVersion(next, {
          source: 'models:/other/1',
          storageLocation: 'runs:/r/model',
        });

        // Act
        await store.createVersion(next, reference);
        await store.setVersionStatus(record.model.id, 1, {
          status: 'FAILED_REGISTRATION',
          statusMessage: 'no',
          now: T0 + 2000,
          expectedStatus: 'READY',
        });

        // Assess
        expect(await store.getVersion(record.model.id, 1)).toMatchObject({
          uploadId: idOf(7),
          status: 'FAILED_REGISTRATION',
        });
        expect(await store.getVersion(record.model.id, 2)).toMatchObject({
          storageLocation: 'runs:/r/model',
        });
        expect(
          (await store.getVersion(record.model.id, 2))?.uploadId
        ).toBeUndefined();
      });

      it('stores the next version and counts it in None', async () => {
        // Prepare
        const store = await createStore();
        await store.createRegisteredModel(aModel(), []);
        const record = await recordOf(store, 'fraud-detector');
        const version = aVersion(record, {
          description: 'first cut',
          runId: 'run-1',
          runLink: 'https://mlflow.example/runs/run-1',
          status: 'PENDING_REGISTRATION',
          statusMessage: 'copying',
          tags: [
            { key: 'b', value: '2' },
            { key: 'B', value: '1' },
          ],
        });

        // Act
        await store.createVersion(record, version);

        // Assess
        expect(await store.getVersion(record.model.id, 1)).toStrictEqual({
          ...version,
          tags: [
            { key: 'B', value: '1' },
            { key: 'b', value: '2' },
          ],
        });
        expect(
          withoutBookkeeping(await recordOf(store, 'fraud-detector'))
        ).toStrictEqual({
          model: { ...record.model, lastUpdatedTimestamp: T0 + 1000 },
          revision: 1,
          versionCounter: 1,
          grants: [],
          stages: { ...noStages(), None: [1] },
          stageBounds: { None: { lowest: 1, highest: 1 } },
        });
      });

      it('lets one of several creates planned on the same record win', async () => {
        // Prepare
        const store = await createStore();
        await store.createRegisteredModel(aModel(), []);
        const record = await recordOf(store, 'fraud-detector');

        // Act
        const results = await Promise.allSettled(
          Array.from({ length: 5 }, (_, i) =>
            store.createVersion(
              record,
              aVersion(record, { source: `s3://b/${i}` })
            )
          )
        );

        // Assess
        const failures = results.flatMap((r) =>
          r.status === 'rejected' ? [r.reason] : []
        );
        expect(failures).toHaveLength(4);
        for (const failure of failures) {
          expect(failure).toBeInstanceOf(ConcurrentModificationError);
        }
        const after = await recordOf(store, 'fraud-detector');
        expect(after.versionCounter).toBe(1);
        expect(stagesOf(after).None).toStrictEqual([1]);
        expect(await store.listVersions(record.model.id)).toHaveLength(1);
      });

      it('gives the creates that lost the race numbers of their own, gap-free', async () => {
        // Prepare: five creates planned on one record; four lose.
        const store = await createStore();
        await store.createRegisteredModel(aModel(), []);
        const record = await recordOf(store, 'fraud-detector');
        const results = await Promise.allSettled(
          Array.from({ length: 5 }, () =>
            store.createVersion(record, aVersion(record))
          )
        );
        const losers = results.filter((r) => r.status === 'rejected');

        // Act
        const claimed = await Promise.all(
          losers.map(async () => {
            const number = await store.claimVersionNumber(record.model.id, 10);
            if (number === undefined) throw new Error('no number claimed');
            await store.createVersion(
              record,
              aVersion(record, { version: number }),
              undefined,
              undefined,
              true
            );
            return number;
          })
        );
        const pastLimit = await store.claimVersionNumber(record.model.id, 5);

        // Assess
        expect([...claimed].sort()).toStrictEqual([2, 3, 4, 5]);
        expect(pastLimit).toBeUndefined();
        const after = await recordOf(store, 'fraud-detector');
        expect(after.versionCounter).toBe(5);
        expect(stagesOf(after).None).toStrictEqual([1, 2, 3, 4, 5]);
        expect(
          (await store.listVersions(record.model.id)).map((v) => v.version)
        ).toStrictEqual([1, 2, 3, 4, 5]);
      });

      it('refuses a record whose counter is stale', async () => {
        // Prepare
        const store = await createStore();
        await store.createRegisteredModel(aModel(), []);
        const stale = await recordOf(store, 'fraud-detector');
        await store.createVersion(stale, aVersion(stale));

        // Act
        const attempt = store.createVersion(stale, aVersion(stale));

        // Assess
        await expectConcurrentModification(attempt);
        expect(await store.getVersion(stale.model.id, 2)).toBeUndefined();
      });
    });

    describe('version reads', () => {
      let store: ModelRegistryStore;
      let a: ModelRecord;
      let b: ModelRecord;

      beforeAll(async () => {
        store = await createStore();
        await store.createRegisteredModel(
          aModel({ id: idOf(1), name: 'a' }),
          []
        );
        await store.createRegisteredModel(
          aModel({ id: idOf(2), name: 'b' }),
          []
        );
        for (const [name, runId] of [
          ['a', 'run-1'],
          ['a', ''],
          ['a', 'run-2'],
          ['b', 'run-1'],
        ] as const) {
          const record = await recordOf(store, name);
          await store.createVersion(record, aVersion(record, { runId }));
        }
        a = await recordOf(store, 'a');
        b = await recordOf(store, 'b');
      });

      it('lists the versions of one model in number order', async () => {
        // Act
        const versions = await store.listVersions(a.model.id);

        // Assess
        expect(versions.map((v) => [v.modelId, v.version])).toStrictEqual([
          [idOf(1), 1],
          [idOf(1), 2],
          [idOf(1), 3],
        ]);
      });

      it('returns the known versions of a batch and skips the rest', async () => {
        // Act
        const versions = await store.getVersions([
          { modelId: b.model.id, version: 1 },
          { modelId: a.model.id, version: 3 },
          { modelId: a.model.id, version: 9 },
        ]);

        // Assess
        expect(
          versions.map((v) => `${v.modelId}#${v.version}`).sort()
        ).toStrictEqual([`${idOf(1)}#3`, `${idOf(2)}#1`]);
      });

      it('finds versions by run id across models', async () => {
        // Act
        const run1 = await store.listVersionsByRunId('run-1');
        const none = await store.listVersionsByRunId('run-9');

        // Assess
        expect(
          run1.map((v) => `${v.modelId}#${v.version}`).sort()
        ).toStrictEqual([`${idOf(1)}#1`, `${idOf(2)}#1`]);
        expect(none).toStrictEqual([]);
      });

      it('returns undefined for a version that does not exist', async () => {
        // Act & Assess
        expect(await store.getVersion(a.model.id, 4)).toBeUndefined();
        expect(await store.getVersion(idOf(9), 1)).toBeUndefined();
      });
    });

    describe('updateVersionDescription / setVersionTag / deleteVersionTag', () => {
      it('changes the version only', async () => {
        // Prepare
        const store = await createStore();
        const record = await modelWithVersions(store, 1);

        // Act
        await store.updateVersionDescription(
          record.model.id,
          1,
          'better',
          T0 + 9
        );
        await store.setVersionTag(record.model.id, 1, 'z', '1');
        await store.setVersionTag(record.model.id, 1, 'a', '2');
        const deleted = await store.deleteVersionTag(record.model.id, 1, 'z');
        const deletedAgain = await store.deleteVersionTag(
          record.model.id,
          1,
          'z'
        );

        // Assess
        expect(await store.getVersion(record.model.id, 1)).toMatchObject({
          description: 'better',
          lastUpdatedTimestamp: T0 + 9,
          tags: [{ key: 'a', value: '2' }],
        });
        expect([deleted, deletedAgain]).toStrictEqual([true, false]);
        expect(
          withoutBookkeeping(await recordOf(store, 'fraud-detector'))
        ).toStrictEqual(withoutBookkeeping(record));
      });

      it('refuses to change a version that does not exist', async () => {
        // Prepare
        const store = await createStore();
        const record = await modelWithVersions(store, 1);

        // Act
        const failures = [
          await store
            .updateVersionDescription(record.model.id, 2, 'x', T0)
            .catch((error: unknown) => error),
          await store
            .setVersionTag(record.model.id, 2, 'k', 'v')
            .catch((error: unknown) => error),
        ];

        // Assess
        for (const failure of failures) {
          expect(failure).toBeInstanceOf(ResourceDoesNotExistError);
          expect(failure).toHaveProperty('code', 'RESOURCE_DOES_NOT_EXIST');
        }
      });
    });

    describe('deleteVersion', () => {
      it('removes the version with its aliases and activities', async () => {
        // Prepare
        const store = await createStore();
        const created = await modelWithVersions(store, 2);
        await store.setAlias(created.model.id, 'champion', 1);
        await store.setAlias(created.model.id, 'challenger', 2);
        const planned = await recordOf(store, 'fraud-detector');
        await store.commitTransition({
          record: planned,
          now: T0 + 5000,
          target: { version: 1, from: 'None', to: 'Archived' },
          archived: [],
          activities: [anActivity(planned, { toStage: 'Archived' })],
          stagesAfter: { ...noStages(), None: [2], Archived: [1] },
        });
        const record = await recordOf(store, 'fraud-detector');

        // Act
        await store.deleteVersion({
          record,
          version: 1,
          stage: 'Archived',
          aliases: ['champion'],
          now: T0 + 9000,
        });

        // Assess
        expect(await store.getVersion(record.model.id, 1)).toBeUndefined();
        expect(await store.listActivities(record.model.id, 1)).toStrictEqual(
          []
        );
        expect(
          withoutBookkeeping(await recordOf(store, 'fraud-detector'))
        ).toStrictEqual({
          model: {
            ...record.model,
            lastUpdatedTimestamp: T0 + 9000,
            aliases: [{ alias: 'challenger', version: 2 }],
          },
          revision: record.revision + 1,
          versionCounter: 2,
          grants: [],
          stages: { ...noStages(), None: [2] },
          stageBounds: { None: { lowest: 2, highest: 2 } },
        });
      });

      it('refuses when the version is no longer in the planned stage', async () => {
        // Prepare
        const store = await createStore();
        const record = await modelWithVersions(store, 1);

        // Act
        const attempt = store.deleteVersion({
          record,
          version: 1,
          stage: 'Archived',
          aliases: [],
          now: T0 + 9000,
        });

        // Assess
        await expectConcurrentModification(attempt);
        expect(await store.getVersion(record.model.id, 1)).toBeDefined();
      });
    });

    describe('stage bounds', () => {
      /** The bounds a read without the members gives, and those with. */
      async function boundsBothWays(store: ModelRegistryStore, id: string) {
        const [alone] = await store.getModelRecordsByIds([id]);
        const one = await store.getModelRecordById(id, { stages: false });
        expect(one?.stageBounds).toStrictEqual(alone?.stageBounds);
        expect(one?.stages).toBeUndefined();
        const withMembers = await store.getModelRecordById(id);
        return { alone: alone?.stageBounds, withMembers };
      }

      it('are what the members say after every kind of write, read with them or not', async () => {
        // Prepare
        const store = await createStore();
        await store.createRegisteredModel(aModel(), []);
        const id = aModel().id;
        const seen: unknown[] = [];
        const check = async (expected: StageBounds) => {
          const { alone, withMembers } = await boundsBothWays(store, id);
          seen.push(alone);
          expect(alone).toStrictEqual(expected);
          expect(withMembers?.stageBounds).toStrictEqual(expected);
          expect(withMembers?.stages).toBeDefined();
        };

        // Act & Assess: creates, in order and claimed out of order.
        await check({});
        let record = await recordOf(store, 'fraud-detector');
        await store.createVersion(record, aVersion(record));
        await check({ None: { lowest: 1, highest: 1 } });
        const claims = [
          await store.claimVersionNumber(id, 10),
          await store.claimVersionNumber(id, 10),
          await store.claimVersionNumber(id, 10),
        ];
        expect(claims).toStrictEqual([2, 3, 4]);
        for (const number of [4, 2, 3]) {
          record = await recordOf(store, 'fraud-detector');
          await store.createVersion(
            record,
            aVersion(record, { version: number }),
            undefined,
            undefined,
            true
          );
        }
        await check({ None: { lowest: 1, highest: 4 } });
        // Transitions, with archival.
        record = await recordOf(store, 'fraud-detector');
        await store.commitTransition({
          record,
          now: T0 + 2000,
          target: { version: 1, from: 'None', to: 'Production' },
          archived: [],
          activities: [],
          stagesAfter: { ...noStages(), None: [2, 3, 4], Production: [1] },
        });
        await check({
          None: { lowest: 2, highest: 4 },
          Production: { lowest: 1, highest: 1 },
        });
        record = await recordOf(store, 'fraud-detector');
        await store.commitTransition({
          record,
          now: T0 + 3000,
          target: { version: 4, from: 'None', to: 'Production' },
          archived: [1],
          archivedFrom: 'Production',
          activities: [],
          stagesAfter: {
            ...noStages(),
            None: [2, 3],
            Production: [4],
            Archived: [1],
          },
        });
        await check({
          None: { lowest: 2, highest: 3 },
          Production: { lowest: 4, highest: 4 },
          Archived: { lowest: 1, highest: 1 },
        });
        // Deletes, down to an empty stage.
        for (const [version, stage] of [
          [2, 'None'],
          [1, 'Archived'],
        ] as const) {
          record = await recordOf(store, 'fraud-detector');
          await store.deleteVersion({
            record,
            version,
            stage,
            aliases: [],
            now: T0 + 4000,
          });
        }
        await check({
          None: { lowest: 3, highest: 3 },
          Production: { lowest: 4, highest: 4 },
        });
        // A create after all that: the next number joins None.
        record = await recordOf(store, 'fraud-detector');
        await store.createVersion(record, aVersion(record));
        await check({
          None: { lowest: 3, highest: 5 },
          Production: { lowest: 4, highest: 4 },
        });
        expect(seen).toHaveLength(7);
      });

      it('take the lowest of numbers stored out of order into an empty stage', async () => {
        // Prepare: None empty once version 1 is in Production.
        const store = await createStore();
        const created = await modelWithVersions(store, 1);
        await store.commitTransition({
          record: created,
          now: T0 + 2000,
          target: { version: 1, from: 'None', to: 'Production' },
          archived: [],
          activities: [],
          stagesAfter: { ...noStages(), Production: [1] },
        });
        const id = created.model.id;
        const claims = [
          await store.claimVersionNumber(id, 10),
          await store.claimVersionNumber(id, 10),
        ];

        // Act: the higher number first.
        for (const number of [3, 2]) {
          const record = await recordOf(store, 'fraud-detector');
          await store.createVersion(
            record,
            aVersion(record, { version: number }),
            undefined,
            undefined,
            true
          );
        }

        // Assess
        expect(claims).toStrictEqual([2, 3]);
        const { alone, withMembers } = await boundsBothWays(store, id);
        const expected = {
          None: { lowest: 2, highest: 3 },
          Production: { lowest: 1, highest: 1 },
        };
        expect(alone).toStrictEqual(expected);
        expect(withMembers?.stageBounds).toStrictEqual(expected);
      });
    });

    describe('commitTransition', () => {
      it('moves the target, archives the others and records the activities', async () => {
        // Prepare
        const store = await createStore();
        const planned = await modelWithVersions(store, 3);
        await store.commitTransition({
          record: planned,
          now: T0 + 2000,
          target: { version: 1, from: 'None', to: 'Production' },
          archived: [],
          activities: [],
          stagesAfter: { ...noStages(), None: [2, 3], Production: [1] },
        });
        const record = await recordOf(store, 'fraud-detector');
        const applied = anActivity(record, {
          id: 'b'.repeat(32),
          version: 2,
          toStage: 'Production',
          comment: 'ship it',
        });
        const archival = anActivity(record, {
          id: 'c'.repeat(32),
          version: 1,
          activityType: 'SYSTEM_TRANSITION',
          fromStage: 'Production',
          toStage: 'Archived',
          systemComment: 'Archived because version 2 went to Production.',
        });
        const earlier = anActivity(record, {
          id: 'd'.repeat(32),
          version: 2,
          activityType: 'NEW_COMMENT',
          fromStage: undefined,
          toStage: undefined,
          comment: 'looks good',
          creationTimestamp: T0 + 4000,
          lastUpdatedTimestamp: T0 + 4000,
        });

        // Act
        await store.commitTransition({
          record,
          now: T0 + 5000,
          target: { version: 2, from: 'None', to: 'Production' },
          archived: [1],
          archivedFrom: 'Production',
          activities: [applied, archival, earlier],
          stagesAfter: {
            ...noStages(),
            None: [3],
            Production: [2],
            Archived: [1],
          },
        });

        // Assess
        expect(
          withoutBookkeeping(await recordOf(store, 'fraud-detector'))
        ).toStrictEqual({
          model: { ...record.model, lastUpdatedTimestamp: T0 + 5000 },
          revision: record.revision + 1,
          versionCounter: 3,
          grants: [],
          stages: { ...noStages(), None: [3], Production: [2], Archived: [1] },
          stageBounds: {
            None: { lowest: 3, highest: 3 },
            Production: { lowest: 2, highest: 2 },
            Archived: { lowest: 1, highest: 1 },
          },
        });
        expect(await store.getVersion(record.model.id, 2)).toMatchObject({
          currentStage: 'Production',
          lastUpdatedTimestamp: T0 + 5000,
        });
        expect(await store.getVersion(record.model.id, 1)).toMatchObject({
          currentStage: 'Archived',
          lastUpdatedTimestamp: T0 + 5000,
        });
        expect(await store.listActivities(record.model.id, 2)).toStrictEqual([
          earlier,
          applied,
        ]);
        expect(await store.listActivities(record.model.id, 1)).toStrictEqual([
          archival,
        ]);
      });

      it('refuses a stale revision and changes nothing', async () => {
        // Prepare
        const store = await createStore();
        await store.createRegisteredModel(aModel(), []);
        const stale = await recordOf(store, 'fraud-detector');
        await store.createVersion(stale, aVersion(stale));
        const current = await recordOf(store, 'fraud-detector');

        // Act
        const attempt = store.commitTransition({
          record: stale,
          now: T0 + 5000,
          target: { version: 1, from: 'None', to: 'Staging' },
          archived: [],
          activities: [anActivity(stale)],
          stagesAfter: { ...noStages(), Staging: [1] },
        });

        // Assess
        await expectConcurrentModification(attempt);
        expect(
          withoutBookkeeping(await recordOf(store, 'fraud-detector'))
        ).toStrictEqual(withoutBookkeeping(current));
        expect(await store.getVersion(stale.model.id, 1)).toMatchObject({
          currentStage: 'None',
        });
        expect(await store.listActivities(stale.model.id, 1)).toStrictEqual([]);
      });

      it('refuses a target that is no longer in its planned stage', async () => {
        // Prepare
        const store = await createStore();
        const record = await modelWithVersions(store, 1);

        // Act
        const attempt = store.commitTransition({
          record,
          now: T0 + 5000,
          target: { version: 1, from: 'Staging', to: 'Production' },
          archived: [],
          activities: [],
          stagesAfter: { ...noStages(), Production: [1] },
        });

        // Assess
        await expectConcurrentModification(attempt);
        expect(
          withoutBookkeeping(await recordOf(store, 'fraud-detector'))
        ).toStrictEqual(withoutBookkeeping(record));
      });
    });
  });
}
