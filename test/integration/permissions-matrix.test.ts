import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type ModelAbility as Ability,
  type EffectiveLevel,
  PERMISSION_LEVELS,
  PERMISSION_TABLE,
} from '#domain/permissions.ts';
import type { Stage } from '#domain/stages.ts';
import { type ApiResponse, call, MLFLOW, uniqueName } from '../support/api.ts';
import {
  type AccessControlRequest,
  createGroup,
  createServicePrincipalWithToken,
  createUserWithToken,
  grant,
  granteeOf,
  modelId,
  PERMISSIONS,
  type RegisteredModelPermissions,
  type UserWithToken,
} from './support/principals.ts';
import { pollUntil } from './support/requests.ts';

/**
 * The acceptance test of the permission table: every ability that has an
 * endpoint, exercised at every level by three kinds of grantee. What is
 * expected comes from `PERMISSION_TABLE` itself, so this proves that the
 * API enforces the very table the domain declares (and the unit test of
 * the table proves that table is seed 001's).
 */

/** No Permissions is the absence of a grant. */
const LEVELS: readonly EffectiveLevel[] = [
  'NO_PERMISSIONS',
  ...PERMISSION_LEVELS,
];

/**
 * Abilities of the table without an endpoint. Empty: every ability has
 * rows; the coverage test below fails when one has neither.
 */
const PENDING_ABILITIES = [] as const satisfies readonly Ability[];

/** A model built for one check, as the admin (its creator, so Can Manage). */
interface Fixture {
  readonly name: string;
  readonly id: string;
  /** Version 1's source. */
  readonly source: string;
}

/** Who is calling, and how a grant to it is written. */
interface Grantee {
  readonly token: string;
  readonly entry: Omit<AccessControlRequest, 'permission_level'>;
}

interface FixtureSpec {
  /** Version 1's stage (the model always has version 1 and tag `k=v`). */
  readonly stage: Stage;
  /** Alias `champion` → version 1. */
  readonly alias?: boolean;
  /** An open request by the admin to move version 1 to this stage. */
  readonly request?: Stage;
}

interface ReadRow {
  readonly ability: Ability;
  readonly call: string;
  act(fx: Fixture, token: string): Promise<ApiResponse>;
  /** What an allowed caller is shown. */
  shows(fx: Fixture, level: EffectiveLevel): Record<string, unknown>;
}

interface WriteRow {
  readonly ability: Ability;
  readonly call: string;
  /** Each check gets a fresh fixture built to this spec. */
  readonly fixture: FixtureSpec;
  act(fx: Fixture, token: string): Promise<ApiResponse>;
  /** The state the call changes, as the admin sees it. */
  observe(fx: Fixture): Promise<unknown>;
  /** That state in a fresh fixture (each step of its build is checked). */
  readonly initial: unknown;
  /** That state after the call succeeded. */
  readonly effect: unknown;
  /**
   * The call moves a version into a protected stage (Production, by the
   * registry's default policy): the levels holding the ability are
   * refused too, by the policy and not by their level (README, "Protected
   * stages"); the others by their level.
   */
  readonly intoProtectedStage?: true;
}

const BYSTANDER_LEVEL = 'CAN_READ';
let bystander: UserWithToken;

async function getModel(name: string) {
  return call<{
    registered_model: {
      description?: string;
      tags?: { key: string; value: string }[];
      aliases?: { alias: string; version: string }[];
    };
  }>('GET', `${MLFLOW}/registered-models/get`, {
    query: { name },
  });
}

async function getVersion(name: string) {
  return call<{
    model_version: {
      current_stage: Stage;
      description?: string;
      tags?: { key: string; value: string }[];
    };
  }>('GET', `${MLFLOW}/model-versions/get`, {
    query: { name, version: '1' },
  });
}

const tagValue = (
  tags: { key: string; value: string }[] | undefined,
  key: string
) => tags?.find((tag) => tag.key === key)?.value ?? null;

async function stageOf(fx: Fixture) {
  return (await getVersion(fx.name)).body.model_version?.current_stage;
}

/** A transition of version 1 by the caller (MLflow's or Databricks' route). */
function transitionRow(
  ability: Ability,
  from: Stage,
  to: Stage,
  variant: 'mlflow' | 'databricks' = 'mlflow'
): WriteRow {
  const path =
    variant === 'mlflow'
      ? `${MLFLOW}/model-versions/transition-stage`
      : `${MLFLOW}/databricks/model-versions/transition-stage`;
  return {
    ability,
    call: `${variant === 'mlflow' ? '' : 'Databricks '}transition-stage ${from} → ${to}`,
    fixture: { stage: from },
    act: (fx, token) =>
      call('POST', path, {
        token,
        body: {
          name: fx.name,
          version: '1',
          stage: to,
          archive_existing_versions: false,
        },
      }),
    observe: stageOf,
    initial: from,
    effect: to,
    ...(to === 'Production' ? { intoProtectedStage: true } : {}),
  };
}

/** How many open requests version 1 has, as the admin sees them. */
async function openRequests(fx: Fixture) {
  const listed = await call<{ requests?: unknown[] }>(
    'GET',
    `${MLFLOW}/transition-requests/list`,
    { query: { name: fx.name, version: '1' } }
  );
  return listed.body.requests?.length ?? 0;
}

/** Approving the admin's request to `to` (the admin is not the caller). */
function approveRow(ability: Ability, to: Stage): WriteRow {
  return {
    ability,
    call: `transition-requests/approve None → ${to}`,
    fixture: { stage: 'None', request: to },
    act: (fx, token) =>
      call('POST', `${MLFLOW}/transition-requests/approve`, {
        token,
        body: {
          name: fx.name,
          version: '1',
          stage: to,
          archive_existing_versions: false,
        },
      }),
    // The workflow applies an approval after the call answers: wait for
    // the stage while no request is left open (a refused call leaves its
    // request open, and nothing to wait for).
    observe: (fx) =>
      pollUntil(
        async () => ({
          stage: await stageOf(fx),
          open: await openRequests(fx),
        }),
        ({ stage, open }) => stage === to || open > 0,
        { intervalMs: 20 }
      ).then(({ stage }) => stage),
    initial: 'None',
    effect: to,
  };
}

const REQUEST_ROWS: readonly WriteRow[] = [
  {
    ability: 'registry:RequestTransition',
    call: 'transition-requests/create None → Staging',
    fixture: { stage: 'None' },
    act: (fx, token) =>
      call('POST', `${MLFLOW}/transition-requests/create`, {
        token,
        body: { name: fx.name, version: '1', stage: 'Staging' },
      }),
    observe: openRequests,
    initial: 0,
    effect: 1,
  },
  approveRow('registry:ApproveTransitionToStaging', 'Staging'),
  approveRow('registry:ApproveTransitionToProduction', 'Production'),
  {
    ability: 'registry:ApproveTransitionToStaging',
    call: 'transition-requests/reject None → Staging',
    fixture: { stage: 'None', request: 'Staging' },
    act: (fx, token) =>
      call('POST', `${MLFLOW}/transition-requests/reject`, {
        token,
        body: { name: fx.name, version: '1', stage: 'Staging' },
      }),
    observe: openRequests,
    initial: 1,
    effect: 0,
  },
  {
    ability: 'registry:ApproveTransitionToProduction',
    call: 'transition-requests/reject None → Production',
    fixture: { stage: 'None', request: 'Production' },
    act: (fx, token) =>
      call('POST', `${MLFLOW}/transition-requests/reject`, {
        token,
        body: { name: fx.name, version: '1', stage: 'Production' },
      }),
    observe: openRequests,
    initial: 1,
    effect: 0,
  },
  {
    // The caller is not the request's creator: only Can Manage cancels.
    ability: 'registry:CancelTransitionRequest',
    call: "transition-requests/delete (cancel another's request)",
    fixture: { stage: 'None', request: 'Staging' },
    act: (fx, token) =>
      call('DELETE', `${MLFLOW}/transition-requests/delete`, {
        token,
        query: {
          name: fx.name,
          version: '1',
          stage: 'Staging',
          creator: 'admin',
        },
      }),
    observe: openRequests,
    initial: 1,
    effect: 0,
  },
];

/** One row per call that reads a model: the shared fixture of the level. */
const READ_ROWS: readonly ReadRow[] = [
  {
    ability: 'registry:ReadRegisteredModel',
    call: 'GET registered-models/get',
    act: (fx, token) =>
      call('GET', `${MLFLOW}/registered-models/get`, {
        token,
        query: { name: fx.name },
      }),
    shows: (fx) => ({
      registered_model: expect.objectContaining({ name: fx.name }),
    }),
  },
  {
    ability: 'registry:ReadRegisteredModel',
    call: 'GET databricks/registered-models/get',
    act: (fx, token) =>
      call('GET', `${MLFLOW}/databricks/registered-models/get`, {
        token,
        query: { name: fx.name },
      }),
    shows: (fx, level) => ({
      registered_model_databricks: expect.objectContaining({
        name: fx.name,
        id: fx.id,
        permission_level: level,
      }),
    }),
  },
  {
    ability: 'registry:ReadRegisteredModel',
    call: 'GET model-versions/get',
    act: (fx, token) =>
      call('GET', `${MLFLOW}/model-versions/get`, {
        token,
        query: { name: fx.name, version: '1' },
      }),
    shows: (fx) => ({
      model_version: expect.objectContaining({
        name: fx.name,
        version: '1',
        current_stage: 'Staging',
      }),
    }),
  },
  {
    ability: 'registry:ReadRegisteredModel',
    call: 'GET model-versions/get-download-uri',
    act: (fx, token) =>
      call('GET', `${MLFLOW}/model-versions/get-download-uri`, {
        token,
        query: { name: fx.name, version: '1' },
      }),
    shows: (fx) => ({ artifact_uri: fx.source }),
  },
  {
    ability: 'registry:ReadRegisteredModel',
    call: 'POST registered-models/get-latest-versions',
    act: (fx, token) =>
      call('POST', `${MLFLOW}/registered-models/get-latest-versions`, {
        token,
        body: { name: fx.name, stages: ['Staging'] },
      }),
    shows: (fx) => ({
      model_versions: [
        expect.objectContaining({ name: fx.name, version: '1' }),
      ],
    }),
  },
  {
    ability: 'registry:ReadRegisteredModel',
    call: 'GET stagegate/activities/list',
    act: (fx, token) =>
      call('GET', '/api/2.0/stagegate/activities/list', {
        token,
        query: { name: fx.name, version: '1' },
      }),
    shows: () => ({
      activities: [
        expect.objectContaining({
          activity_type: 'APPLIED_TRANSITION',
          from_stage: 'None',
          to_stage: 'Staging',
        }),
      ],
    }),
  },
  {
    ability: 'registry:ReadRegisteredModel',
    call: 'GET registered-models/alias',
    act: (fx, token) =>
      call('GET', `${MLFLOW}/registered-models/alias`, {
        token,
        query: { name: fx.name, alias: 'champion' },
      }),
    shows: (fx) => ({
      model_version: expect.objectContaining({ name: fx.name, version: '1' }),
    }),
  },
  {
    ability: 'registry:ReadRegisteredModel',
    call: 'GET permissions/registered-models/{id}',
    act: (fx, token) => call('GET', `${PERMISSIONS}/${fx.id}`, { token }),
    shows: (fx) => ({
      object_id: `/registered-models/${fx.id}`,
      object_type: 'registered-model',
    }),
  },
  {
    ability: 'registry:ReadRegisteredModel',
    call: 'GET permissions/registered-models/{id}/permissionLevels',
    act: (fx, token) =>
      call('GET', `${PERMISSIONS}/${fx.id}/permissionLevels`, { token }),
    shows: () => ({
      permission_levels: PERMISSION_LEVELS.map((level) =>
        expect.objectContaining({ permission_level: level })
      ),
    }),
  },
];

/** One row per call that changes something: a fresh fixture each time. */
const WRITE_ROWS: readonly WriteRow[] = [
  {
    ability: 'registry:CreateModelVersion',
    call: 'POST model-versions/create',
    fixture: { stage: 'None' },
    act: (fx, token) =>
      call('POST', `${MLFLOW}/model-versions/create`, {
        token,
        body: { name: fx.name, source: `s3://matrix/${fx.name}/2` },
      }),
    observe: async (fx) =>
      (
        await call<{ model_versions?: { version: string }[] }>(
          'GET',
          `${MLFLOW}/model-versions/search`,
          { query: { filter: `name='${fx.name}'` } }
        )
      ).body.model_versions
        ?.map((version) => version.version)
        .sort(),
    initial: ['1'],
    effect: ['1', '2'],
  },
  {
    ability: 'registry:UpdateDescription',
    call: 'PATCH registered-models/update',
    fixture: { stage: 'None' },
    act: (fx, token) =>
      call('PATCH', `${MLFLOW}/registered-models/update`, {
        token,
        body: { name: fx.name, description: 'changed' },
      }),
    observe: async (fx) =>
      (await getModel(fx.name)).body.registered_model.description ?? '',
    initial: '',
    effect: 'changed',
  },
  {
    ability: 'registry:UpdateDescription',
    call: 'PATCH model-versions/update',
    fixture: { stage: 'None' },
    act: (fx, token) =>
      call('PATCH', `${MLFLOW}/model-versions/update`, {
        token,
        body: { name: fx.name, version: '1', description: 'changed' },
      }),
    observe: async (fx) =>
      (await getVersion(fx.name)).body.model_version.description ?? '',
    initial: '',
    effect: 'changed',
  },
  {
    ability: 'registry:EditTags',
    call: 'POST registered-models/set-tag',
    fixture: { stage: 'None' },
    act: (fx, token) =>
      call('POST', `${MLFLOW}/registered-models/set-tag`, {
        token,
        body: { name: fx.name, key: 'k', value: 'changed' },
      }),
    observe: async (fx) =>
      tagValue((await getModel(fx.name)).body.registered_model.tags, 'k'),
    initial: 'v',
    effect: 'changed',
  },
  {
    ability: 'registry:EditTags',
    call: 'DELETE registered-models/delete-tag',
    fixture: { stage: 'None' },
    act: (fx, token) =>
      call('DELETE', `${MLFLOW}/registered-models/delete-tag`, {
        token,
        query: { name: fx.name, key: 'k' },
      }),
    observe: async (fx) =>
      tagValue((await getModel(fx.name)).body.registered_model.tags, 'k'),
    initial: 'v',
    effect: null,
  },
  {
    ability: 'registry:EditTags',
    call: 'POST model-versions/set-tag',
    fixture: { stage: 'None' },
    act: (fx, token) =>
      call('POST', `${MLFLOW}/model-versions/set-tag`, {
        token,
        body: { name: fx.name, version: '1', key: 'k', value: 'changed' },
      }),
    observe: async (fx) =>
      tagValue((await getVersion(fx.name)).body.model_version.tags, 'k'),
    initial: 'v',
    effect: 'changed',
  },
  {
    ability: 'registry:EditTags',
    call: 'DELETE model-versions/delete-tag',
    fixture: { stage: 'None' },
    act: (fx, token) =>
      call('DELETE', `${MLFLOW}/model-versions/delete-tag`, {
        token,
        query: { name: fx.name, version: '1', key: 'k' },
      }),
    observe: async (fx) =>
      tagValue((await getVersion(fx.name)).body.model_version.tags, 'k'),
    initial: 'v',
    effect: null,
  },
  {
    ability: 'registry:EditAliases',
    call: 'POST registered-models/alias',
    fixture: { stage: 'None' },
    act: (fx, token) =>
      call('POST', `${MLFLOW}/registered-models/alias`, {
        token,
        body: { name: fx.name, alias: 'champion', version: '1' },
      }),
    observe: async (fx) =>
      (await getModel(fx.name)).body.registered_model.aliases ?? [],
    initial: [],
    effect: [{ alias: 'champion', version: '1' }],
  },
  {
    ability: 'registry:EditAliases',
    call: 'DELETE registered-models/alias',
    fixture: { stage: 'None', alias: true },
    act: (fx, token) =>
      call('DELETE', `${MLFLOW}/registered-models/alias`, {
        token,
        query: { name: fx.name, alias: 'champion' },
      }),
    observe: async (fx) =>
      (await getModel(fx.name)).body.registered_model.aliases ?? [],
    initial: [{ alias: 'champion', version: '1' }],
    effect: [],
  },
  // Can Manage Staging Versions moves versions among None, Staging and
  // Archived, in every direction…
  transitionRow('registry:TransitionToStaging', 'None', 'Staging'),
  transitionRow('registry:TransitionToStaging', 'Staging', 'Archived'),
  transitionRow('registry:TransitionToStaging', 'Archived', 'Staging'),
  transitionRow('registry:TransitionToStaging', 'Staging', 'None'),
  transitionRow(
    'registry:TransitionToStaging',
    'None',
    'Staging',
    'databricks'
  ),
  // …and never into or out of Production.
  transitionRow('registry:TransitionToProduction', 'None', 'Production'),
  transitionRow('registry:TransitionToProduction', 'Staging', 'Production'),
  transitionRow('registry:TransitionToProduction', 'Production', 'Archived'),
  transitionRow('registry:TransitionToProduction', 'Production', 'Staging'),
  transitionRow(
    'registry:TransitionToProduction',
    'None',
    'Production',
    'databricks'
  ),
  {
    ability: 'registry:RenameRegisteredModel',
    call: 'POST registered-models/rename',
    fixture: { stage: 'None' },
    act: (fx, token) =>
      call('POST', `${MLFLOW}/registered-models/rename`, {
        token,
        body: { name: fx.name, new_name: `${fx.name}-renamed` },
      }),
    observe: async (fx) => {
      const [before, after] = await Promise.all([
        getModel(fx.name),
        getModel(`${fx.name}-renamed`),
      ]);
      return { old: before.status, new: after.status };
    },
    initial: { old: 200, new: 404 },
    effect: { old: 404, new: 200 },
  },
  {
    ability: 'registry:ModifyPermissions',
    call: 'PATCH permissions/registered-models/{id}',
    fixture: { stage: 'None' },
    act: (fx, token) =>
      grant(
        fx.id,
        [{ user_name: bystander.userName, permission_level: BYSTANDER_LEVEL }],
        'PATCH',
        token
      ),
    observe: async (fx) =>
      (
        await call<RegisteredModelPermissions>('GET', `${PERMISSIONS}/${fx.id}`)
      ).body.access_control_list
        .filter((entry) => entry.user_name === bystander.userName)
        .flatMap((entry) => entry.all_permissions),
    initial: [],
    effect: [{ permission_level: BYSTANDER_LEVEL, inherited: false }],
  },
  {
    ability: 'registry:DeleteRegisteredModel',
    call: 'DELETE registered-models/delete',
    fixture: { stage: 'None' },
    act: (fx, token) =>
      call('DELETE', `${MLFLOW}/registered-models/delete`, {
        token,
        query: { name: fx.name },
      }),
    observe: async (fx) => (await getModel(fx.name)).status,
    initial: 200,
    effect: 404,
  },
  {
    ability: 'registry:DeleteModelVersion',
    call: 'DELETE model-versions/delete',
    fixture: { stage: 'None' },
    act: (fx, token) =>
      call('DELETE', `${MLFLOW}/model-versions/delete`, {
        token,
        query: { name: fx.name, version: '1' },
      }),
    observe: async (fx) => (await getVersion(fx.name)).status,
    initial: 200,
    effect: 404,
  },
  ...REQUEST_ROWS,
];

async function ok(response: Promise<ApiResponse>, what: string) {
  const answered = await response;
  if (answered.status !== 200) {
    throw new Error(
      `fixture: ${what} answered ${answered.status} ${JSON.stringify(answered.body)}`
    );
  }
  return answered;
}

/**
 * A model (tag `k=v`) with version 1 (tag `k=v`) in `spec.stage`, where
 * each of `grantees` holds `level` (none for No Permissions).
 */
async function buildFixture(
  spec: FixtureSpec,
  level: EffectiveLevel,
  grantees: readonly Grantee[]
): Promise<Fixture> {
  const name = uniqueName('matrix');
  const source = `s3://matrix/${name}/1`;
  const tag = [{ key: 'k', value: 'v' }];
  await ok(
    call('POST', `${MLFLOW}/registered-models/create`, {
      body: { name, tags: tag },
    }),
    'create model'
  );
  const granted = (async () => {
    const id = await modelId(name);
    if (level !== 'NO_PERMISSIONS') {
      await ok(
        grant(
          id,
          grantees.map(
            (grantee) =>
              ({
                ...grantee.entry,
                permission_level: level,
              }) as AccessControlRequest
          ),
          'PATCH'
        ),
        'grant'
      );
    }
    return id;
  })();
  const versioned = (async () => {
    await ok(
      call('POST', `${MLFLOW}/model-versions/create`, {
        body: { name, source, tags: tag },
      }),
      'create version'
    );
    if (spec.stage !== 'None') {
      await ok(
        call('POST', `${MLFLOW}/model-versions/transition-stage`, {
          body: { name, version: '1', stage: spec.stage },
        }),
        'transition'
      );
    }
    if (spec.alias) {
      await ok(
        call('POST', `${MLFLOW}/registered-models/alias`, {
          body: { name, alias: 'champion', version: '1' },
        }),
        'alias'
      );
    }
    if (spec.request) {
      await ok(
        call('POST', `${MLFLOW}/transition-requests/create`, {
          body: { name, version: '1', stage: spec.request },
        }),
        'request'
      );
    }
  })();
  const [id] = await Promise.all([granted, versioned]);
  return { name, id, source };
}

const allows = (level: EffectiveLevel, ability: Ability) =>
  PERMISSION_TABLE[ability].includes(level);

function expectRefused(response: ApiResponse) {
  expect(response.status, JSON.stringify(response.body)).toBe(403);
  expect(response.body.error_code).toBe('PERMISSION_DENIED');
}

type Kind =
  | 'a user with a direct grant'
  | 'a user granted through a group'
  | 'a service principal with a direct grant';
const KINDS: readonly Kind[] = [
  'a user with a direct grant',
  'a user granted through a group',
  'a service principal with a direct grant',
];

// Every check is a few requests to the registry: run more of them at once
// than vitest's default of 5, so the file stays well under a minute.
vi.setConfig({ maxConcurrency: 10 });

const grantees = {} as Record<Kind, Grantee>;
/** Per level: one model readable at that level by all three grantees. */
const readFixtures = new Map<EffectiveLevel, Fixture>();

beforeAll(async () => {
  const [user, member, robot, other] = await Promise.all([
    createUserWithToken(),
    createUserWithToken(),
    createServicePrincipalWithToken(),
    createUserWithToken(),
  ]);
  bystander = other;
  const group = await createGroup('matrix', [member.id]);
  grantees['a user with a direct grant'] = {
    token: user.token,
    entry: granteeOf(user),
  };
  grantees['a user granted through a group'] = {
    token: member.token,
    entry: granteeOf(group),
  };
  grantees['a service principal with a direct grant'] = {
    token: robot.token,
    entry: granteeOf(robot),
  };
  await Promise.all(
    LEVELS.map(async (level) => {
      readFixtures.set(
        level,
        await buildFixture(
          { stage: 'Staging', alias: true },
          level,
          Object.values(grantees)
        )
      );
    })
  );
});

function readFixture(level: EffectiveLevel): Fixture {
  const fixture = readFixtures.get(level);
  if (!fixture) throw new Error(`no read fixture for ${level}`);
  return fixture;
}

describe('Registered model permissions', () => {
  describe('the matrix', () => {
    it('has a row for every ability of the table, or names it pending', () => {
      // Prepare
      const covered = new Set(
        [...READ_ROWS, ...WRITE_ROWS].map((row) => row.ability)
      );
      const pending = new Set<Ability>(PENDING_ABILITIES);

      // Act
      const abilities = Object.keys(PERMISSION_TABLE) as Ability[];

      // Assess
      expect(
        abilities.filter((a) => !covered.has(a) && !pending.has(a))
      ).toEqual([]);
      expect(abilities.filter((a) => covered.has(a) && pending.has(a))).toEqual(
        []
      );
    });
  });

  describe('the write rows', () => {
    it('each change a state that a refused call leaves as it was', () => {
      // Act
      const unchanged = WRITE_ROWS.filter(
        (row) => JSON.stringify(row.initial) === JSON.stringify(row.effect)
      ).map((row) => row.call);

      // Assess
      expect(unchanged).toEqual([]);
    });
  });

  describe.concurrent.each(KINDS)('for %s', (kind) => {
    for (const row of READ_ROWS) {
      describe(`${row.call} (${row.ability})`, () => {
        for (const level of LEVELS) {
          const allowed = allows(level, row.ability);
          it(`${level}: ${allowed ? 'answers 200 with the model' : 'answers 403 PERMISSION_DENIED'}`, async () => {
            // Prepare
            const fx = readFixture(level);

            // Act
            const response = await row.act(fx, grantees[kind].token);

            // Assess
            if (allowed) {
              expect(response.status, JSON.stringify(response.body)).toBe(200);
              expect(response.body).toMatchObject(row.shows(fx, level));
            } else {
              expectRefused(response);
            }
          });
        }
      });
    }

    for (const row of WRITE_ROWS) {
      describe(`${row.call} (${row.ability})`, () => {
        for (const level of LEVELS) {
          const allowed = allows(level, row.ability);
          const byPolicy = allowed && row.intoProtectedStage === true;
          it(`${level}: ${byPolicy ? 'answers 403 PERMISSION_DENIED (protected stage) and changes nothing' : allowed ? 'answers 200 and makes the change' : 'answers 403 PERMISSION_DENIED and changes nothing'}`, async () => {
            // Prepare
            const fx = await buildFixture(row.fixture, level, [grantees[kind]]);

            // Act
            const response = await row.act(fx, grantees[kind].token);

            // Assess
            const after = await row.observe(fx);
            if (allowed && !byPolicy) {
              expect(response.status, JSON.stringify(response.body)).toBe(200);
              expect(after).toEqual(row.effect);
            } else {
              expectRefused(response);
              expect(
                String(response.body.message).includes('protected stage')
              ).toBe(byPolicy);
              expect(after).toEqual(row.initial);
            }
          });
        }
      });
    }
  });
});
