import { describe, expect, it } from 'vitest';
import { call, MLFLOW, uniqueName } from '../support/api.ts';

interface VersionJson {
  name: string;
  version: string;
  current_stage: string;
}

interface ActivityJson {
  id: string;
  activity_type: string;
  from_stage?: string;
  to_stage?: string;
}

const S3 = 's3://bucket/path/model';

async function createModel(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  const response = await call('POST', `${MLFLOW}/registered-models/create`, {
    body: { name },
  });
  expect(response.status).toBe(200);
  return name;
}

const createVersion = (name: string) =>
  call<{ model_version: VersionJson }>(
    'POST',
    `${MLFLOW}/model-versions/create`,
    { body: { name, source: S3 } }
  );

async function createVersions(name: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    expect((await createVersion(name)).status).toBe(200);
  }
}

async function versionsOf(name: string): Promise<VersionJson[]> {
  const response = await call<{
    model_versions?: VersionJson[];
    next_page_token?: string;
  }>('GET', `${MLFLOW}/model-versions/search`, {
    query: { filter: `name='${name}'`, order_by: 'version_number ASC' },
  });
  expect(response.status).toBe(200);
  expect(response.body.next_page_token).toBeUndefined();
  return response.body.model_versions ?? [];
}

async function activities(
  name: string,
  version: string
): Promise<ActivityJson[]> {
  const response = await call<{ activities?: ActivityJson[] }>(
    'GET',
    '/api/2.0/stagegate/activities/list',
    { query: { name, version } }
  );
  expect(response.status).toBe(200);
  return response.body.activities ?? [];
}

const range = (count: number) =>
  Array.from({ length: count }, (_, i) => String(i + 1));

describe('Concurrency', () => {
  describe('model-versions/create', () => {
    it('numbers 50 concurrent creates 1..50, each exactly once', async () => {
      // Prepare
      const name = await createModel('race-create');

      // Act
      const responses = await Promise.all(
        Array.from({ length: 50 }, () => createVersion(name))
      );

      // Assess
      expect(responses.map((r) => r.status)).toEqual(
        Array.from({ length: 50 }, () => 200)
      );
      const numbers = responses
        .map((r) => Number(r.body.model_version.version))
        .sort((a, b) => a - b);
      expect(numbers).toEqual(range(50).map(Number));
      expect((await versionsOf(name)).map((v) => v.version)).toEqual(range(50));
      const next = await createVersion(name);
      expect(next.status).toBe(200);
      expect(next.body.model_version.version).toBe('51');
    });
  });

  describe('model-versions/transition-stage', () => {
    it('leaves exactly one version in Production after 20 concurrent promotions with archival', async () => {
      // Prepare
      const name = await createModel('race-promote');
      await createVersions(name, 20);
      const numbers = range(20);

      // Act
      const responses = await Promise.all(
        numbers.map((version) =>
          call<{ model_version: VersionJson }>(
            'POST',
            `${MLFLOW}/model-versions/transition-stage`,
            {
              body: {
                name,
                version,
                stage: 'Production',
                archive_existing_versions: true,
              },
            }
          )
        )
      );

      // Assess
      for (const response of responses) {
        expect([200, 429]).toContain(response.status);
        if (response.status === 429) {
          expect(response.body as unknown).toEqual({
            error_code: 'REQUEST_LIMIT_EXCEEDED',
            message: expect.any(String),
          });
        }
      }
      const succeeded = numbers.filter((_, i) => responses[i]?.status === 200);
      expect(succeeded.length).toBeGreaterThan(0);

      const versions = await versionsOf(name);
      const production = versions.filter(
        (v) => v.current_stage === 'Production'
      );
      expect(production).toHaveLength(1);
      const [winner] = production;
      expect(succeeded).toContain(winner?.version);
      for (const version of versions) {
        const expected = !succeeded.includes(version.version)
          ? 'None'
          : version.version === winner?.version
            ? 'Production'
            : 'Archived';
        expect(version.current_stage).toBe(expected);
      }

      const latest = await call<{ model_versions?: VersionJson[] }>(
        'POST',
        `${MLFLOW}/registered-models/get-latest-versions`,
        { body: { name, stages: ['Production'] } }
      );
      expect(latest.status).toBe(200);
      expect(latest.body.model_versions?.map((v) => v.version)).toEqual([
        winner?.version,
      ]);

      const feed = (
        await Promise.all(numbers.map((version) => activities(name, version)))
      ).flat();
      const applied = feed.filter(
        (a) => a.activity_type === 'APPLIED_TRANSITION'
      );
      const system = feed.filter(
        (a) => a.activity_type === 'SYSTEM_TRANSITION'
      );
      expect(applied).toHaveLength(succeeded.length);
      for (const activity of applied) {
        expect(activity).toMatchObject({
          from_stage: 'None',
          to_stage: 'Production',
        });
      }
      // Every promotion but the first found exactly one version to archive.
      expect(system).toHaveLength(succeeded.length - 1);
      for (const activity of system) {
        expect(activity).toMatchObject({
          from_stage: 'Production',
          to_stage: 'Archived',
        });
      }
      expect(new Set(feed.map((a) => a.id)).size).toBe(feed.length);
    });
  });

  describe('model-versions/delete', () => {
    it('deletes a version once when 10 deletes race', async () => {
      // Prepare
      const name = await createModel('race-delete');
      await createVersions(name, 2);

      // Act
      const responses = await Promise.all(
        Array.from({ length: 10 }, () =>
          call('DELETE', `${MLFLOW}/model-versions/delete`, {
            body: { name, version: '1' },
          })
        )
      );

      // Assess
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses).toEqual([200, ...Array.from({ length: 9 }, () => 404)]);
      for (const response of responses.filter((r) => r.status === 404)) {
        expect(response.body).toEqual({
          error_code: 'RESOURCE_DOES_NOT_EXIST',
          message: `Model Version (name=${name}, version=1) not found`,
        });
      }
      expect((await versionsOf(name)).map((v) => v.version)).toEqual(['2']);
      const next = await createVersion(name);
      expect(next.body.model_version.version).toBe('3');
    });
  });

  describe('model-versions/delete against other writes', () => {
    it('never leaves an alias on a version deleted while the alias was set', async () => {
      // Prepare
      const name = await createModel('race-alias');

      // Act
      const outcomes: { deleted: number; aliasEnds: number[] }[] = [];
      for (let round = 1; round <= 8; round++) {
        const version = String(round);
        expect((await createVersion(name)).body.model_version.version).toBe(
          version
        );
        // Each alias writer keeps re-pointing its alias at the version
        // until the version is gone, so some write lands while the delete
        // is in flight.
        const aliasWriter = async (writer: number) => {
          for (;;) {
            const response = await call(
              'POST',
              `${MLFLOW}/registered-models/alias`,
              { body: { name, alias: `r${round}-w${writer}`, version } }
            );
            if (response.status !== 200) return response.status;
          }
        };
        const [deleted, ...aliasEnds] = await Promise.all([
          call('DELETE', `${MLFLOW}/model-versions/delete`, {
            body: { name, version },
          }).then((r) => r.status),
          ...[1, 2, 3, 4].map(aliasWriter),
        ]);
        outcomes.push({ deleted: deleted ?? 0, aliasEnds });
      }

      // Assess
      for (const outcome of outcomes) {
        expect(outcome).toEqual({
          deleted: 200,
          aliasEnds: [404, 404, 404, 404],
        });
      }
      const model = await call<{
        registered_model: { aliases?: { alias: string; version: string }[] };
      }>('GET', `${MLFLOW}/registered-models/get`, { query: { name } });
      expect(model.body.registered_model.aliases).toBeUndefined();
      expect(await versionsOf(name)).toEqual([]);
    });

    it('either deletes a version or promotes it, never both', async () => {
      // Prepare
      const name = await createModel('race-delete-promote');
      await createVersions(name, 6);
      const numbers = range(6);

      // Act
      const outcomes = await Promise.all(
        numbers.map(async (version) => {
          const [deleted, promoted] = await Promise.all([
            call('DELETE', `${MLFLOW}/model-versions/delete`, {
              body: { name, version },
            }),
            call('POST', `${MLFLOW}/model-versions/transition-stage`, {
              body: {
                name,
                version,
                stage: 'Production',
                archive_existing_versions: false,
              },
            }),
          ]);
          return {
            version,
            deleted: deleted.status,
            promoted: promoted.status,
          };
        })
      );

      // Assess
      const survivors = await versionsOf(name);
      for (const { version, deleted, promoted } of outcomes) {
        const survivor = survivors.find((v) => v.version === version);
        if (deleted === 200) {
          expect(promoted).toBe(404);
          expect(survivor).toBeUndefined();
        } else {
          expect([deleted, promoted]).toEqual([409, 200]);
          expect(survivor?.current_stage).toBe('Production');
        }
      }
      const latest = await call<{ model_versions?: VersionJson[] }>(
        'POST',
        `${MLFLOW}/registered-models/get-latest-versions`,
        { body: { name, stages: ['Production'] } }
      );
      const highest = survivors
        .map((v) => Number(v.version))
        .sort((a, b) => a - b)
        .at(-1);
      expect(latest.body.model_versions?.map((v) => v.version)).toEqual(
        highest === undefined ? undefined : [String(highest)]
      );
    });
  });

  describe('registered-models/rename', () => {
    it('lets exactly one of 10 concurrent renames win', async () => {
      // Prepare
      const name = await createModel('race-rename');
      await createVersions(name, 2);
      const targets = Array.from({ length: 10 }, (_, i) => `${name}-to-${i}`);

      // Act
      const responses = await Promise.all(
        targets.map((newName) =>
          call<{ registered_model: { name: string } }>(
            'POST',
            `${MLFLOW}/registered-models/rename`,
            { body: { name, new_name: newName } }
          )
        )
      );

      // Assess
      const winners = targets.filter((_, i) => responses[i]?.status === 200);
      expect(winners).toHaveLength(1);
      for (const response of responses) {
        expect([200, 400, 404]).toContain(response.status);
      }
      const [winner] = winners;
      expect(
        responses.find((r) => r.status === 200)?.body.registered_model.name
      ).toBe(winner);
      const lookups = await Promise.all(
        [name, ...targets].map((candidate) =>
          call('GET', `${MLFLOW}/registered-models/get`, {
            query: { name: candidate },
          })
        )
      );
      const existing = [name, ...targets].filter(
        (_, i) => lookups[i]?.status === 200
      );
      expect(existing).toEqual([winner]);
      for (const lookup of lookups.filter((l) => l.status !== 200)) {
        expect(lookup.status).toBe(404);
      }
      const versions = await versionsOf(winner ?? '');
      expect(versions.map((v) => [v.name, v.version])).toEqual([
        [winner, '1'],
        [winner, '2'],
      ]);
    });
  });
});
