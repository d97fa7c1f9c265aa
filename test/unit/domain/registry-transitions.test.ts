import { describe, expect, it } from 'vitest';
import {
  ConcurrentModificationError,
  InvalidParameterValueError,
  InvalidStateError,
  ModelVersionDoesNotExistError,
  RegisteredModelDoesNotExistError,
  TooManyConcurrentChangesError,
} from '#domain/errors.ts';
import type { ModelVersion } from '#domain/model-version.ts';
import { requireRecord } from '#domain/registry/dependencies.ts';
import {
  stagesOf as membersOf,
  stageBoundsOf,
} from '#domain/registry/stage-members.ts';
import {
  ARCHIVE_CHUNK,
  applyTransition,
  planTransition,
  transitionModelVersionStage,
} from '#domain/registry/transitions.ts';
import type {
  ModelRecord,
  StageMembers,
  TransitionCommit,
} from '#ports/model-registry-store.ts';
import { MemoryModelRegistryStore } from '#test/support/memory-model-registry-store.ts';
import { aModelVersion } from '#test/support/registry-fixtures.ts';
import {
  alice,
  bob,
  expectRefusal,
  modelWithVersions,
  moveTo,
  NOW,
  type RegistryWorld,
  registryWorld,
} from './support/registry.ts';

/** A record of model `m1` with the given stage membership. */
function recordWith(stages: Partial<StageMembers>): ModelRecord {
  return {
    model: {
      id: 'm1',
      name: 'fraud',
      description: '',
      creationTimestamp: NOW,
      lastUpdatedTimestamp: NOW,
      userId: alice.userName,
      tags: [],
      aliases: [],
    },
    revision: 7,
    versionCounter: 200,
    grants: [],
    stages: { None: [], Staging: [], Production: [], Archived: [], ...stages },
    stageBounds: stageBoundsOf({
      None: [],
      Staging: [],
      Production: [],
      Archived: [],
      ...stages,
    }),
  };
}

function versionIn(
  stage: ModelVersion['currentStage'],
  version: number
): ModelVersion {
  return aModelVersion({
    modelId: 'm1',
    version,
    currentStage: stage,
    source: 's3://b/k',
    creationTimestamp: NOW,
    lastUpdatedTimestamp: NOW,
    userId: alice.userName,
  });
}

function counter() {
  let next = 0;
  return () => `a${next++}`;
}

async function stagesOf(world: RegistryWorld, name: string) {
  return membersOf(await requireRecord(world, name));
}

/** A store whose commits the test can see and interfere with. */
class WatchedStore extends MemoryModelRegistryStore {
  readonly commits: TransitionCommit[] = [];
  /** Runs once, before the next commit reaches the store. */
  beforeNextCommit: (() => Promise<void>) | undefined;

  override async commitTransition(commit: TransitionCommit): Promise<void> {
    const before = this.beforeNextCommit;
    this.beforeNextCommit = undefined;
    await before?.();
    this.commits.push(commit);
    return super.commitTransition(commit);
  }
}

describe('registry transitions', () => {
  describe('planTransition', () => {
    it('moves the target alone, with one APPLIED_TRANSITION activity, when nothing is archived', () => {
      // Prepare
      const record = recordWith({ None: [1, 2], Production: [3] });

      // Act
      const plan = planTransition({
        record,
        current: versionIn('None', 1),
        to: 'Production',
        archiveExistingVersions: false,
        caller: alice,
        comment: 'ship it',
        now: NOW + 5,
        newId: counter(),
      });

      // Assess
      expect(plan.final).toBe(true);
      expect(plan.commit).toStrictEqual({
        record,
        now: NOW + 5,
        target: { version: 1, from: 'None', to: 'Production' },
        archived: [],
        archivedFrom: 'Production',
        activities: [
          {
            id: 'a0',
            modelId: 'm1',
            version: 1,
            activityType: 'APPLIED_TRANSITION',
            fromStage: 'None',
            toStage: 'Production',
            userId: 'alice@example.com',
            creationTimestamp: NOW + 5,
            lastUpdatedTimestamp: NOW + 5,
            comment: 'ship it',
          },
        ],
        // Announced in the same transaction: the generic type and the
        // stage's own.
        events: [
          {
            id: 'a1',
            types: [
              'MODEL_VERSION_TRANSITIONED_STAGE',
              'MODEL_VERSION_TRANSITIONED_TO_PRODUCTION',
            ],
            modelId: 'm1',
            modelName: 'fraud',
            version: 1,
            timestamp: NOW + 5,
            userId: 'alice@example.com',
            fromStage: 'None',
            toStage: 'Production',
            text: "Registered model 'fraud' version 1 transitioned from None to Production.",
          },
        ],
        stagesAfter: {
          None: [2],
          Staging: [],
          Production: [1, 3],
          Archived: [],
        },
      });
    });

    it("archives the stage's other versions with a SYSTEM_TRANSITION each, then moves the target", () => {
      // Prepare
      const record = recordWith({ Staging: [4], Production: [2, 3] });

      // Act
      const plan = planTransition({
        record,
        current: versionIn('Staging', 4),
        to: 'Production',
        archiveExistingVersions: true,
        caller: alice,
        now: NOW,
        newId: counter(),
      });

      // Assess
      expect(plan.final).toBe(true);
      expect(plan.commit.archived).toStrictEqual([2, 3]);
      expect(
        plan.commit.activities.map((a) => [
          a.version,
          a.activityType,
          a.fromStage,
          a.toStage,
        ])
      ).toStrictEqual([
        [2, 'SYSTEM_TRANSITION', 'Production', 'Archived'],
        [3, 'SYSTEM_TRANSITION', 'Production', 'Archived'],
        [4, 'APPLIED_TRANSITION', 'Staging', 'Production'],
      ]);
      expect(plan.commit.activities[0]?.systemComment).toBe(
        'Archived because version 4 was transitioned to Production with archive_existing_versions.'
      );
      expect(plan.commit.stagesAfter).toStrictEqual({
        None: [],
        Staging: [],
        Production: [4],
        Archived: [2, 3],
      });
    });

    it('never archives the target itself when it is already in the stage', () => {
      // Prepare
      const record = recordWith({ Production: [1, 2] });

      // Act
      const plan = planTransition({
        record,
        current: versionIn('Production', 2),
        to: 'Production',
        archiveExistingVersions: true,
        caller: alice,
        now: NOW,
        newId: counter(),
      });

      // Assess
      expect(plan.commit.archived).toStrictEqual([1]);
      expect(plan.commit.stagesAfter.Production).toStrictEqual([2]);
    });

    it('archives a first chunk alone, without moving the target, when the stage holds more than one transaction can carry', () => {
      // Prepare
      const others = Array.from({ length: ARCHIVE_CHUNK + 1 }, (_, i) => i + 1);
      const record = recordWith({ None: [100], Production: others });

      // Act
      const plan = planTransition({
        record,
        current: versionIn('None', 100),
        to: 'Production',
        archiveExistingVersions: true,
        caller: alice,
        now: NOW,
        newId: counter(),
      });

      // Assess
      expect(plan.final).toBe(false);
      expect(plan.commit.target).toBeUndefined();
      expect(plan.commit.archived).toStrictEqual(
        others.slice(0, ARCHIVE_CHUNK)
      );
      expect(
        plan.commit.activities.every(
          (a) => a.activityType === 'SYSTEM_TRANSITION'
        )
      ).toBe(true);
      expect(plan.commit.stagesAfter).toMatchObject({
        None: [100],
        Production: [ARCHIVE_CHUNK + 1],
        Archived: others.slice(0, ARCHIVE_CHUNK),
      });
    });
  });

  describe('transitionModelVersionStage', () => {
    it('moves the version, records who did it and why, and answers the version with its aliases', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithVersions(world, 'fraud', 1);
      world.clock.now = NOW + 1000;

      // Act
      const view = await transitionModelVersionStage(world, bob, {
        name: 'fraud',
        version: '1',
        stage: 'staging',
        archiveExistingVersions: false,
        comment: 'try it',
      });

      // Assess
      expect(view).toMatchObject({
        name: 'fraud',
        version: 1,
        currentStage: 'Staging',
        lastUpdatedTimestamp: NOW + 1000,
        aliases: [],
      });
      expect(await stagesOf(world, 'fraud')).toMatchObject({
        None: [],
        Staging: [1],
      });
      const record = await requireRecord(world, 'fraud');
      expect(await world.store.listActivities(record.model.id, 1)).toEqual([
        expect.objectContaining({
          activityType: 'APPLIED_TRANSITION',
          fromStage: 'None',
          toStage: 'Staging',
          userId: 'bob@example.com',
          comment: 'try it',
          creationTimestamp: NOW + 1000,
        }),
      ]);
    });

    it('archives the other versions of the stage only when asked', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithVersions(world, 'fraud', 3);
      await moveTo(world, 'fraud', 'Production', [1]);

      // Act
      await transitionModelVersionStage(world, alice, {
        name: 'fraud',
        version: 2,
        stage: 'Production',
        archiveExistingVersions: false,
      });
      const kept = await stagesOf(world, 'fraud');
      await transitionModelVersionStage(world, alice, {
        name: 'fraud',
        version: 3,
        stage: 'Production',
        archiveExistingVersions: true,
      });

      // Assess
      expect(kept.Production).toStrictEqual([1, 2]);
      expect(await stagesOf(world, 'fraud')).toStrictEqual({
        None: [],
        Staging: [],
        Production: [3],
        Archived: [1, 2],
      });
    });

    it('tells the requests hook every version it moved: the archived ones, then the target', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithVersions(world, 'fraud', 3);
      await moveTo(world, 'fraud', 'Staging', [1, 2]);
      world.changes.length = 0;

      // Act
      await transitionModelVersionStage(world, alice, {
        name: 'fraud',
        version: 3,
        stage: 'Staging',
        archiveExistingVersions: true,
      });

      // Assess
      expect(world.changes.map((c) => c.changes)).toStrictEqual([
        [
          { version: 1, stage: 'Archived' },
          { version: 2, stage: 'Archived' },
          { version: 3, stage: 'Staging' },
        ],
      ]);
    });

    it('archives a stage larger than one transaction in chunks, leaving the target alone in it', async () => {
      // Prepare
      const count = ARCHIVE_CHUNK + 5;
      const store = new WatchedStore();
      const world = registryWorld(store);
      await modelWithVersions(world, 'fraud', count + 1);
      const others = Array.from({ length: count }, (_, i) => i + 1);
      await moveTo(world, 'fraud', 'Production', others);
      store.commits.length = 0;
      world.changes.length = 0;

      // Act
      await transitionModelVersionStage(world, alice, {
        name: 'fraud',
        version: count + 1,
        stage: 'Production',
        archiveExistingVersions: true,
      });

      // Assess
      expect(await stagesOf(world, 'fraud')).toMatchObject({
        Production: [count + 1],
        Archived: others,
      });
      expect(store.commits.map((c) => c.archived.length)).toStrictEqual([
        ARCHIVE_CHUNK,
        5,
      ]);
      expect(store.commits.map((c) => c.target?.version)).toStrictEqual([
        undefined,
        count + 1,
      ]);
      expect(world.changes).toHaveLength(1);
      expect(world.changes[0]?.changes).toHaveLength(count + 1);
    });

    it('re-plans on a lost race, archiving a version that entered the stage meanwhile', async () => {
      // Prepare
      const store = new WatchedStore();
      const world = registryWorld(store);
      await modelWithVersions(world, 'fraud', 3);
      await moveTo(world, 'fraud', 'Production', [1]);
      store.beforeNextCommit = () => moveTo(world, 'fraud', 'Production', [2]);

      // Act
      await transitionModelVersionStage(world, alice, {
        name: 'fraud',
        version: 3,
        stage: 'Production',
        archiveExistingVersions: true,
      });

      // Assess
      expect(await stagesOf(world, 'fraud')).toMatchObject({
        Production: [3],
        Archived: [1, 2],
      });
      expect(world.sleeps).toHaveLength(1);
    });

    it('plans its first attempt on what the route’s check read, without reading the model or the version again', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithVersions(world, 'fraud', 2);
      const record = await requireRecord(world, 'fraud');
      const version = await world.store.getVersion(record.model.id, 2);
      if (!version) throw new Error('version 2 was not created');
      const known = { record, versions: new Map([[2, version]]) };
      let reads = 0;
      const counted = {
        ...world,
        store: new Proxy(world.store, {
          get(target, key, receiver) {
            const value = Reflect.get(target, key, receiver);
            if (
              typeof value === 'function' &&
              typeof key === 'string' &&
              key.startsWith('get')
            ) {
              return (...args: unknown[]) => {
                reads += 1;
                return value.apply(target, args);
              };
            }
            return typeof value === 'function' ? value.bind(target) : value;
          },
        }),
      };

      // Act
      const moved = await transitionModelVersionStage(
        counted,
        alice,
        {
          name: 'fraud',
          version: 2,
          stage: 'Staging',
          archiveExistingVersions: false,
        },
        known
      );

      // Assess: one read, the version's answer after the commit.
      expect(moved.currentStage).toBe('Staging');
      expect(reads).toBe(1);
      expect(await stagesOf(world, 'fraud')).toMatchObject({
        None: [1],
        Staging: [2],
      });
    });

    it('re-reads after a lost race when its first attempt planned on a stale check', async () => {
      // Prepare: the check read the model before version 1 entered
      // Production.
      const world = registryWorld();
      await modelWithVersions(world, 'fraud', 2);
      const stale = await requireRecord(world, 'fraud');
      await moveTo(world, 'fraud', 'Production', [1]);

      // Act
      await transitionModelVersionStage(
        world,
        alice,
        {
          name: 'fraud',
          version: 2,
          stage: 'Production',
          archiveExistingVersions: true,
        },
        { record: stale }
      );

      // Assess: the fresh plan archived version 1.
      expect(await stagesOf(world, 'fraud')).toMatchObject({
        Production: [2],
        Archived: [1],
      });
      expect(world.sleeps).toHaveLength(1);
    });

    it('gives up with 429 when every attempt loses its race', async () => {
      // Prepare
      const store = new (class extends MemoryModelRegistryStore {
        override async commitTransition(): Promise<void> {
          throw new ConcurrentModificationError('lost');
        }
      })();
      const world = registryWorld(store);
      await modelWithVersions(world, 'fraud', 1);

      // Act
      const attempt = transitionModelVersionStage(world, alice, {
        name: 'fraud',
        version: 1,
        stage: 'Staging',
        archiveExistingVersions: false,
      });

      // Assess
      await expectRefusal(
        attempt,
        TooManyConcurrentChangesError,
        'REQUEST_LIMIT_EXCEEDED',
        'Too many concurrent changes to this registered model; retry the request.'
      );
      expect(world.sleeps).toHaveLength(59);
    });

    it('refuses to move a version that is not READY into Staging or Production, and lets it be archived', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithVersions(world, 'fraud', 1);
      const record = await requireRecord(world, 'fraud');
      await world.store.setVersionStatus(record.model.id, 1, {
        status: 'FAILED_REGISTRATION',
        statusMessage: 'copy failed',
        now: NOW,
        expectedStatus: 'READY',
      });
      const move = (stage: string) =>
        transitionModelVersionStage(world, alice, {
          name: 'fraud',
          version: 1,
          stage,
          archiveExistingVersions: false,
        });

      // Act
      const toStaging = move('Staging');
      const toProduction = move('Production');

      // Assess
      await expectRefusal(
        toStaging,
        InvalidStateError,
        'INVALID_STATE',
        "Version 1 of 'fraud' is FAILED_REGISTRATION; only READY versions can move to Staging."
      );
      await expectRefusal(toProduction, InvalidStateError, 'INVALID_STATE');
      await expect(move('Archived')).resolves.toMatchObject({
        currentStage: 'Archived',
      });
    });

    it.each([
      [
        'an unknown stage',
        { stage: 'Prod' },
        /Invalid Model Version stage: Prod/,
      ],
      [
        'archiving into an inactive stage',
        { stage: 'Archived', archiveExistingVersions: true },
        /'Archived' is not an Active stage/,
      ],
      [
        'a version that is not a number',
        { version: 'one' },
        "Model version must be an integer, got 'one'",
      ],
    ])('refuses %s as invalid, changing nothing', async (_, input, message) => {
      // Prepare
      const world = registryWorld();
      await modelWithVersions(world, 'fraud', 1);
      const before = await requireRecord(world, 'fraud');

      // Act
      const attempt = transitionModelVersionStage(world, alice, {
        name: 'fraud',
        version: 1,
        stage: 'Staging',
        archiveExistingVersions: false,
        ...input,
      });

      // Assess
      await expectRefusal(
        attempt,
        InvalidParameterValueError,
        'INVALID_PARAMETER_VALUE',
        message
      );
      expect(await requireRecord(world, 'fraud')).toStrictEqual(before);
    });

    it('answers 404 for an unknown model or version', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithVersions(world, 'fraud', 1);
      const move = (name: string, version: number) =>
        transitionModelVersionStage(world, alice, {
          name,
          version,
          stage: 'Staging',
          archiveExistingVersions: false,
        });

      // Act
      const unknownModel = move('missing', 1);
      const unknownVersion = move('fraud', 2);

      // Assess
      await expectRefusal(
        unknownModel,
        RegisteredModelDoesNotExistError,
        'RESOURCE_DOES_NOT_EXIST'
      );
      await expectRefusal(
        unknownVersion,
        ModelVersionDoesNotExistError,
        'RESOURCE_DOES_NOT_EXIST',
        'Model Version (name=fraud, version=2) not found'
      );
    });
  });

  describe('applyTransition', () => {
    it('applies an approved request only while the version is still in the stage it was made from', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithVersions(world, 'fraud', 1);
      await moveTo(world, 'fraud', 'Staging', [1]);
      const apply = () =>
        applyTransition(world, {
          loadRecord: () => requireRecord(world, 'fraud'),
          version: 1,
          to: 'Production',
          archiveExistingVersions: false,
          actor: bob,
          requireFrom: 'None',
        });

      // Act
      const attempt = apply();

      // Assess
      await expectRefusal(
        attempt,
        InvalidStateError,
        'INVALID_STATE',
        "Version 1 of 'fraud' moved from None to Staging before the approved transition could be applied."
      );
      expect((await stagesOf(world, 'fraud')).Staging).toStrictEqual([1]);
    });

    it('answers the record its final commit was planned on', async () => {
      // Prepare
      const world = registryWorld();
      await modelWithVersions(world, 'fraud', 1);
      const before = await requireRecord(world, 'fraud');

      // Act
      const planned = await applyTransition(world, {
        loadRecord: () => requireRecord(world, 'fraud'),
        version: 1,
        to: 'Staging',
        archiveExistingVersions: false,
        actor: bob,
        requireFrom: 'None',
      });

      // Assess
      expect(planned).toStrictEqual(before);
      expect((await requireRecord(world, 'fraud')).revision).toBe(
        before.revision + 1
      );
    });
  });
});
