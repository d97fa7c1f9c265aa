import { readFileSync } from 'node:fs';
import { ApiError, type ml } from '@databricks/sdk-experimental';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createUserWithToken,
  grant,
  modelId,
} from '../integration/support/principals.ts';
import { pollUntil } from '../integration/support/requests.ts';
import { call, MLFLOW, uniqueName } from '../support/api.ts';
import {
  signatureVerifies,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../support/webhook-receiver.ts';
import {
  client,
  collect,
  expectApiError,
  failureOf,
  modelWithVersions,
  recordRequests,
} from './support.ts';

/** A name the SDK must carry intact: it sends spaces in queries as `+`. */
const awkwardName = () => `${uniqueName('sdk')} a+b/é&x=1`;

const stageOf = (version: ml.ModelVersion) =>
  `${version.version}:${version.current_stage}`;

describe('Databricks SDK 0.17.0 against stagegate', () => {
  describe('modelRegistry.createModel', () => {
    it('creates a model the SDK reads back in its own types', async () => {
      // Prepare
      const name = uniqueName('sdk');

      // Act
      const created = await client().modelRegistry.createModel({
        name,
        description: 'from the SDK',
        tags: [{ key: 'k', value: 'v' }],
      });

      // Assess
      expect(created.registered_model?.name).toBe(name);
      expect(created.registered_model?.description).toBe('from the SDK');
      expect(created.registered_model?.tags).toEqual([
        { key: 'k', value: 'v' },
      ]);
    });

    it('surfaces a duplicate as ApiError RESOURCE_ALREADY_EXISTS', async () => {
      // Prepare
      const name = uniqueName('sdk');
      await client().modelRegistry.createModel({ name });

      // Act
      const failure = await client()
        .modelRegistry.createModel({ name })
        .catch((error: unknown) => error);

      // Assess
      expect(failure).toBeInstanceOf(ApiError);
      expect((failure as ApiError).errorCode).toBe('RESOURCE_ALREADY_EXISTS');
      expect((failure as ApiError).statusCode).toBe(400);
    });

    it('surfaces a bad token as ApiError UNAUTHENTICATED', async () => {
      // Act
      const failure = await client('dapi-not-a-token')
        .modelRegistry.createModel({ name: uniqueName('sdk') })
        .catch((error: unknown) => error);

      // Assess
      expect(failure).toBeInstanceOf(ApiError);
      expect((failure as ApiError).errorCode).toBe('UNAUTHENTICATED');
      expect((failure as ApiError).statusCode).toBe(401);
    });
  });

  describe('modelRegistry.getModel', () => {
    it('returns the Databricks model with its stable id and the caller’s permission level', async () => {
      // Prepare
      const w = client();
      const name = uniqueName('sdk');
      const created = await w.modelRegistry.createModel({
        name,
        description: 'd',
        tags: [{ key: 'team', value: 'ml' }],
      });
      await w.modelRegistry.createModelVersion({ name, source: 's3://b/m' });

      // Act
      const got = await w.modelRegistry.getModel({ name });

      // Assess
      const model = got.registered_model_databricks;
      expect(model).toEqual({
        name,
        id: expect.stringMatching(/^[0-9a-f]+$/),
        permission_level: 'CAN_MANAGE',
        // stagegate's extension: the protected-stage policy in force.
        stage_policy: {
          protected_stages: ['Production'],
          required_approvals: 1,
        },
        creation_timestamp: created.registered_model?.creation_timestamp,
        last_updated_timestamp: expect.any(Number),
        user_id: created.registered_model?.user_id,
        description: 'd',
        tags: [{ key: 'team', value: 'ml' }],
        latest_versions: [
          expect.objectContaining({
            name,
            version: '1',
            current_stage: 'None',
          }),
        ],
      });
    });

    it('surfaces a missing model as ApiError RESOURCE_DOES_NOT_EXIST 404', async () => {
      // Act
      const failure = await failureOf(
        client().modelRegistry.getModel({ name: uniqueName('sdk-missing') })
      );

      // Assess
      expectApiError(failure, 'RESOURCE_DOES_NOT_EXIST', 404);
    });

    it('finds a model whose name has a space, +, /, é, & and =', async () => {
      // Prepare
      const w = client();
      const name = awkwardName();
      await w.modelRegistry.createModel({ name });
      const sent = recordRequests(w);

      // Act
      const got = await w.modelRegistry.getModel({ name });

      // Assess
      expect(got.registered_model_databricks?.name).toBe(name);
      const query = w.apiClient.searchParams(sent[0]?.query ?? {});
      expect(query).toMatch(/^name=sdk-[^ ]+\+a%2Bb%2F%C3%A9%26x%3D1$/);
    });
  });

  describe('modelRegistry.renameModel', () => {
    it('renames a model, which keeps its Databricks id', async () => {
      // Prepare
      const w = client();
      const name = uniqueName('sdk');
      const newName = `${name}-renamed`;
      await w.modelRegistry.createModel({ name });
      const before = await w.modelRegistry.getModel({ name });

      // Act
      const renamed = await w.modelRegistry.renameModel({
        name,
        new_name: newName,
      });

      // Assess
      expect(renamed.registered_model?.name).toBe(newName);
      const after = await w.modelRegistry.getModel({ name: newName });
      expect(after.registered_model_databricks?.id).toBe(
        before.registered_model_databricks?.id
      );
      expectApiError(
        await failureOf(w.modelRegistry.getModel({ name })),
        'RESOURCE_DOES_NOT_EXIST',
        404
      );
    });

    it('refuses a name another model has as ApiError RESOURCE_ALREADY_EXISTS 400', async () => {
      // Prepare
      const w = client();
      const name = uniqueName('sdk');
      const taken = uniqueName('sdk');
      await w.modelRegistry.createModel({ name });
      await w.modelRegistry.createModel({ name: taken });

      // Act
      const failure = await failureOf(
        w.modelRegistry.renameModel({ name, new_name: taken })
      );

      // Assess
      expectApiError(failure, 'RESOURCE_ALREADY_EXISTS', 400);
      const kept = await w.modelRegistry.getModel({ name });
      expect(kept.registered_model_databricks?.name).toBe(name);
    });

    it('refuses a model with a version in Staging as ApiError INVALID_STATE 409', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 1);
      await w.modelRegistry.transitionStage({
        name,
        version: '1',
        stage: 'Staging',
        archive_existing_versions: false,
      });

      // Act
      const failure = await failureOf(
        w.modelRegistry.renameModel({ name, new_name: `${name}-x` })
      );

      // Assess
      expectApiError(failure, 'INVALID_STATE', 409);
    });
  });

  describe('modelRegistry.deleteModel', () => {
    it('deletes a model that getModel then no longer finds', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 2);

      // Act
      await w.modelRegistry.deleteModel({ name });

      // Assess
      expectApiError(
        await failureOf(w.modelRegistry.getModel({ name })),
        'RESOURCE_DOES_NOT_EXIST',
        404
      );
    });

    it('deletes a model whose name has a space, +, /, é, & and =', async () => {
      // Prepare
      const w = client();
      const name = awkwardName();
      await w.modelRegistry.createModel({ name });

      // Act
      await w.modelRegistry.deleteModel({ name });

      // Assess
      expectApiError(
        await failureOf(w.modelRegistry.getModel({ name })),
        'RESOURCE_DOES_NOT_EXIST',
        404
      );
    });

    it('refuses a model with a Production version as ApiError INVALID_STATE 409', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 1);
      await w.modelRegistry.transitionStage({
        name,
        version: '1',
        stage: 'Production',
        archive_existing_versions: false,
      });

      // Act
      const failure = await failureOf(w.modelRegistry.deleteModel({ name }));

      // Assess
      expectApiError(failure, 'INVALID_STATE', 409);
      const still = await w.modelRegistry.getModel({ name });
      expect(still.registered_model_databricks?.name).toBe(name);
    });

    it('surfaces a missing model as ApiError RESOURCE_DOES_NOT_EXIST 404', async () => {
      // Act
      const failure = await failureOf(
        client().modelRegistry.deleteModel({ name: uniqueName('sdk-missing') })
      );

      // Assess
      expectApiError(failure, 'RESOURCE_DOES_NOT_EXIST', 404);
    });
  });

  describe('modelRegistry.listModels', () => {
    it('iterates every model once, in name order, across pages of two and stops after the last page', async () => {
      // Prepare
      const w = client();
      const prefix = uniqueName('sdklist');
      const names = ['a', 'b', 'c', 'd', 'e'].map((s) => `${prefix}-${s}`);
      for (const name of names) await w.modelRegistry.createModel({ name });
      const sent = recordRequests(w);
      const request: ml.ListModelsRequest = { max_results: 2 };

      // Act
      const models = await collect(w.modelRegistry.listModels(request));

      // Assess
      const seen = models.map((m) => m.name ?? '');
      expect(seen.filter((n) => n.startsWith(prefix))).toEqual(names);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual(
        [...seen].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
      );
      // Stopped because the last page had no token, not on an empty page.
      expect(request.page_token).toBeUndefined();
      expect(sent.length).toBe(Math.ceil(seen.length / 2));
      expect(sent.slice(1).every((r) => r.query.page_token)).toBe(true);
    });
  });

  describe('modelRegistry.searchModels', () => {
    it('iterates across pages to every model', async () => {
      // Prepare
      const prefix = uniqueName('sdkpage');
      const names = [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`];
      for (const name of names)
        await client().modelRegistry.createModel({ name });

      // Act
      const seen: string[] = [];
      for await (const model of client().modelRegistry.searchModels({
        max_results: 2,
      })) {
        if (model.name?.startsWith(prefix)) seen.push(model.name);
      }

      // Assess
      expect(seen).toEqual(names);
    });

    it('pages through the models a filter matches in the order of an order_by array', async () => {
      // Prepare
      const w = client();
      const prefix = uniqueName('sdkorder');
      const names = ['a', 'b', 'c', 'd'].map((s) => `${prefix}-${s}`);
      for (const name of names) await w.modelRegistry.createModel({ name });
      // A new version makes `a` the most recently updated model.
      await w.modelRegistry.createModelVersion({
        name: `${prefix}-a`,
        source: 's3://b/a',
      });
      const sent = recordRequests(w);
      const request: ml.SearchModelsRequest = {
        filter: `name LIKE '${prefix}-%'`,
        order_by: ['last_updated_timestamp DESC', 'name ASC'],
        max_results: 2,
      };

      // Act
      const models = await collect(w.modelRegistry.searchModels(request));

      // Assess
      expect(models[0]?.name).toBe(`${prefix}-a`);
      expect(models[0]?.latest_versions?.map(stageOf)).toEqual(['1:None']);
      const expected = [...models].sort(
        (x, y) =>
          (y.last_updated_timestamp ?? 0) - (x.last_updated_timestamp ?? 0) ||
          Buffer.compare(Buffer.from(x.name ?? ''), Buffer.from(y.name ?? ''))
      );
      expect(models.map((m) => m.name)).toEqual(expected.map((m) => m.name));
      expect(new Set(models.map((m) => m.name))).toEqual(new Set(names));
      expect(sent).toHaveLength(2);
      expect(sent[1]?.query).toMatchObject({
        filter: request.filter,
        order_by: ['last_updated_timestamp DESC', 'name ASC'],
        page_token: expect.any(String),
      });
      expect(request.page_token).toBeUndefined();
    });

    it('pages in descending name order', async () => {
      // Prepare
      const w = client();
      const prefix = uniqueName('sdkdesc');
      const names = ['a', 'b', 'c', 'd', 'e'].map((s) => `${prefix}-${s}`);
      for (const name of names) await w.modelRegistry.createModel({ name });
      const request: ml.SearchModelsRequest = {
        filter: `name LIKE '${prefix}-%'`,
        order_by: ['name DESC'],
        max_results: 2,
      };

      // Act
      const models = await collect(w.modelRegistry.searchModels(request));

      // Assess
      expect(models.map((m) => m.name)).toEqual([...names].reverse());
      expect(request.page_token).toBeUndefined();
    });

    it('finds a model whose name has a space, +, /, é, & and = by name filter', async () => {
      // Prepare
      const w = client();
      const name = awkwardName();
      await w.modelRegistry.createModel({ name });

      // Act
      const models = await collect(
        w.modelRegistry.searchModels({ filter: `name = '${name}'` })
      );

      // Assess
      expect(models.map((m) => m.name)).toEqual([name]);
    });

    it('finds nothing, in one call, when the filter matches no model', async () => {
      // Prepare
      const w = client();
      const sent = recordRequests(w);

      // Act
      const models = await collect(
        w.modelRegistry.searchModels({
          filter: `name = '${uniqueName('sdk-none')}'`,
          max_results: 2,
        })
      );

      // Assess
      expect(models).toEqual([]);
      expect(sent).toHaveLength(1);
    });

    it('surfaces a malformed filter as ApiError INVALID_PARAMETER_VALUE 400', async () => {
      // Act
      const failure = await failureOf(
        collect(client().modelRegistry.searchModels({ filter: 'name ~ 1' }))
      );

      // Assess
      expectApiError(failure, 'INVALID_PARAMETER_VALUE', 400);
    });
  });

  describe('modelRegistry.setModelTag', () => {
    it('sets a tag, and overwrites its value, as getModel shows', async () => {
      // Prepare
      const w = client();
      const name = uniqueName('sdk');
      await w.modelRegistry.createModel({ name });

      // Act
      await w.modelRegistry.setModelTag({ name, key: 'team', value: 'a' });
      await w.modelRegistry.setModelTag({ name, key: 'team', value: 'b' });
      await w.modelRegistry.setModelTag({ name, key: 'env', value: 'prod' });

      // Assess
      const got = await w.modelRegistry.getModel({ name });
      expect(got.registered_model_databricks?.tags).toEqual([
        { key: 'env', value: 'prod' },
        { key: 'team', value: 'b' },
      ]);
    });

    it('surfaces a missing model as ApiError RESOURCE_DOES_NOT_EXIST 404', async () => {
      // Act
      const failure = await failureOf(
        client().modelRegistry.setModelTag({
          name: uniqueName('sdk-missing'),
          key: 'k',
          value: 'v',
        })
      );

      // Assess
      expectApiError(failure, 'RESOURCE_DOES_NOT_EXIST', 404);
    });
  });

  describe('modelRegistry.deleteModelTag', () => {
    it('deletes one tag and keeps the others', async () => {
      // Prepare
      const w = client();
      const name = uniqueName('sdk');
      await w.modelRegistry.createModel({
        name,
        tags: [
          { key: 'a key', value: '1' },
          { key: 'b', value: '2' },
        ],
      });

      // Act
      await w.modelRegistry.deleteModelTag({ name, key: 'a key' });

      // Assess
      const got = await w.modelRegistry.getModel({ name });
      expect(got.registered_model_databricks?.tags).toEqual([
        { key: 'b', value: '2' },
      ]);
    });

    it('surfaces a missing tag as ApiError RESOURCE_DOES_NOT_EXIST 404', async () => {
      // Prepare
      const w = client();
      const name = uniqueName('sdk');
      await w.modelRegistry.createModel({ name });

      // Act
      const failure = await failureOf(
        w.modelRegistry.deleteModelTag({ name, key: 'absent' })
      );

      // Assess
      expectApiError(failure, 'RESOURCE_DOES_NOT_EXIST', 404);
    });
  });

  describe('modelRegistry.getLatestVersions', () => {
    it('yields the latest version of every stage from one POST', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 4);
      for (const [version, stage] of [
        ['1', 'Staging'],
        ['2', 'Production'],
        ['3', 'Staging'],
      ] as const) {
        await w.modelRegistry.transitionStage({
          name,
          version,
          stage,
          archive_existing_versions: false,
        });
      }
      const sent = recordRequests(w);

      // Act
      const latest = await collect(w.modelRegistry.getLatestVersions({ name }));

      // Assess
      expect(latest.map(stageOf).sort()).toEqual([
        '2:Production',
        '3:Staging',
        '4:None',
      ]);
      expect(latest.every((v) => v.name === name)).toBe(true);
      expect(sent).toEqual([
        {
          method: 'POST',
          path: '/api/2.0/mlflow/registered-models/get-latest-versions',
          query: {},
          payload: { name },
        },
      ]);
    });

    it('yields only the latest versions of the stages asked for', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 3);
      await w.modelRegistry.transitionStage({
        name,
        version: '1',
        stage: 'Production',
        archive_existing_versions: false,
      });

      // Act
      const production = await collect(
        w.modelRegistry.getLatestVersions({ name, stages: ['Production'] })
      );
      const noneOrArchived = await collect(
        w.modelRegistry.getLatestVersions({
          name,
          stages: ['None', 'Archived'],
        })
      );

      // Assess
      expect(production.map(stageOf)).toEqual(['1:Production']);
      expect(noneOrArchived.map(stageOf)).toEqual(['3:None']);
    });

    it('yields nothing for a model without versions', async () => {
      // Prepare
      const w = client();
      const name = uniqueName('sdk');
      await w.modelRegistry.createModel({ name });

      // Act
      const latest = await collect(w.modelRegistry.getLatestVersions({ name }));

      // Assess
      expect(latest).toEqual([]);
    });

    it('throws ApiError RESOURCE_DOES_NOT_EXIST 404 from the iterator for a missing model', async () => {
      // Act
      const failure = await failureOf(
        collect(
          client().modelRegistry.getLatestVersions({
            name: uniqueName('sdk-missing'),
          })
        )
      );

      // Assess
      expectApiError(failure, 'RESOURCE_DOES_NOT_EXIST', 404);
    });
  });

  describe('modelRegistry.createModelVersion', () => {
    it('registers versions numbered from 1 with their source, run, description and tags', async () => {
      // Prepare
      const w = client();
      const name = uniqueName('sdk');
      await w.modelRegistry.createModel({ name });

      // Act
      const first = await w.modelRegistry.createModelVersion({
        name,
        source: 's3://bucket/model/1',
        run_id: 'run-1',
        run_link: 'https://mlflow.example.com/#/runs/run-1',
        description: 'first',
        tags: [{ key: 'framework', value: 'sklearn' }],
      });
      const second = await w.modelRegistry.createModelVersion({
        name,
        source: 's3://bucket/model/2',
      });

      // Assess
      expect(first.model_version).toEqual({
        name,
        version: '1',
        creation_timestamp: expect.any(Number),
        last_updated_timestamp: expect.any(Number),
        user_id: expect.any(String),
        current_stage: 'None',
        description: 'first',
        source: 's3://bucket/model/1',
        run_id: 'run-1',
        run_link: 'https://mlflow.example.com/#/runs/run-1',
        status: 'READY',
        tags: [{ key: 'framework', value: 'sklearn' }],
      });
      expect(second.model_version?.version).toBe('2');
      expect(second.model_version?.current_stage).toBe('None');
    });

    it('surfaces a missing model as ApiError RESOURCE_DOES_NOT_EXIST 404', async () => {
      // Act
      const failure = await failureOf(
        client().modelRegistry.createModelVersion({
          name: uniqueName('sdk-missing'),
          source: 's3://b/m',
        })
      );

      // Assess
      expectApiError(failure, 'RESOURCE_DOES_NOT_EXIST', 404);
    });
  });

  describe('modelRegistry.getModelVersion', () => {
    it('returns the version as createModelVersion returned it', async () => {
      // Prepare
      const w = client();
      const { name, versions } = await modelWithVersions(w, 2);

      // Act
      const got = await w.modelRegistry.getModelVersion({
        name,
        version: '2',
      });

      // Assess
      expect(got.model_version).toEqual(versions[1]);
    });

    it('surfaces a missing version as ApiError RESOURCE_DOES_NOT_EXIST 404', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 1);

      // Act
      const failure = await failureOf(
        w.modelRegistry.getModelVersion({ name, version: '7' })
      );

      // Assess
      expectApiError(failure, 'RESOURCE_DOES_NOT_EXIST', 404);
    });
  });

  describe('modelRegistry.deleteModelVersion', () => {
    it('deletes a version, whose number is never reused', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 2);

      // Act
      await w.modelRegistry.deleteModelVersion({ name, version: '2' });

      // Assess
      expectApiError(
        await failureOf(
          w.modelRegistry.getModelVersion({ name, version: '2' })
        ),
        'RESOURCE_DOES_NOT_EXIST',
        404
      );
      const next = await w.modelRegistry.createModelVersion({
        name,
        source: 's3://b/next',
      });
      expect(next.model_version?.version).toBe('3');
    });

    it('refuses a version in Production as ApiError INVALID_STATE 409', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 1);
      await w.modelRegistry.transitionStage({
        name,
        version: '1',
        stage: 'Production',
        archive_existing_versions: false,
      });

      // Act
      const failure = await failureOf(
        w.modelRegistry.deleteModelVersion({ name, version: '1' })
      );

      // Assess
      expectApiError(failure, 'INVALID_STATE', 409);
    });
  });

  describe('modelRegistry.searchModelVersions', () => {
    it('iterates a model’s versions with a name filter across pages of two, newest first', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 5);
      await modelWithVersions(w, 1); // another model, filtered out
      const sent = recordRequests(w);
      const request: ml.SearchModelVersionsRequest = {
        filter: `name='${name}'`,
        max_results: 2,
      };

      // Act
      const versions = await collect(
        w.modelRegistry.searchModelVersions(request)
      );

      // Assess
      expect(versions.map((v) => v.version)).toEqual(['5', '4', '3', '2', '1']);
      expect(versions.every((v) => v.name === name)).toBe(true);
      expect(sent.map((r) => r.query.page_token === undefined)).toEqual([
        true,
        false,
        false,
      ]);
      expect(request.page_token).toBeUndefined();
    });

    it('orders by an order_by array and narrows by the rest of the filter', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 4);

      // Act
      const versions = await collect(
        w.modelRegistry.searchModelVersions({
          filter: `name = '${name}' AND version_number >= 2`,
          order_by: ['version_number ASC', 'creation_timestamp DESC'],
          max_results: 2,
        })
      );

      // Assess
      expect(versions.map((v) => v.version)).toEqual(['2', '3', '4']);
    });

    it('pages through the versions of several models a LIKE filter matches', async () => {
      // Prepare
      const w = client();
      const prefix = uniqueName('sdkmv');
      const names = [`${prefix}-a`, `${prefix}-b`];
      for (const name of names) {
        await w.modelRegistry.createModel({ name });
        for (const index of [1, 2]) {
          await w.modelRegistry.createModelVersion({
            name,
            source: `s3://b/${name}/${index}`,
          });
        }
      }
      const request: ml.SearchModelVersionsRequest = {
        filter: `name LIKE '${prefix}-%'`,
        order_by: ['name ASC', 'version_number ASC'],
        max_results: 3,
      };

      // Act
      const versions = await collect(
        w.modelRegistry.searchModelVersions(request)
      );

      // Assess
      expect(versions.map((v) => `${v.name}#${v.version}`)).toEqual([
        `${prefix}-a#1`,
        `${prefix}-a#2`,
        `${prefix}-b#1`,
        `${prefix}-b#2`,
      ]);
      expect(request.page_token).toBeUndefined();
    });

    it('finds the versions of a model whose name has a space, +, /, é, & and =', async () => {
      // Prepare
      const w = client();
      const name = awkwardName();
      await w.modelRegistry.createModel({ name });
      await w.modelRegistry.createModelVersion({ name, source: 's3://b/m' });

      // Act
      const versions = await collect(
        w.modelRegistry.searchModelVersions({ filter: `name='${name}'` })
      );

      // Assess
      expect(versions.map((v) => `${v.name}#${v.version}`)).toEqual([
        `${name}#1`,
      ]);
    });

    it('finds nothing for a model that does not exist', async () => {
      // Act
      const versions = await collect(
        client().modelRegistry.searchModelVersions({
          filter: `name='${uniqueName('sdk-missing')}'`,
        })
      );

      // Assess
      expect(versions).toEqual([]);
    });
  });

  describe('modelRegistry.setModelVersionTag', () => {
    it('sets a tag, and overwrites its value, as getModelVersion shows', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 1);

      // Act
      await w.modelRegistry.setModelVersionTag({
        name,
        version: '1',
        key: 'validated',
        value: 'no',
      });
      await w.modelRegistry.setModelVersionTag({
        name,
        version: '1',
        key: 'validated',
        value: 'yes',
      });

      // Assess
      const got = await w.modelRegistry.getModelVersion({ name, version: '1' });
      expect(got.model_version?.tags).toEqual([
        { key: 'validated', value: 'yes' },
      ]);
    });

    it('surfaces a missing version as ApiError RESOURCE_DOES_NOT_EXIST 404', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 1);

      // Act
      const failure = await failureOf(
        w.modelRegistry.setModelVersionTag({
          name,
          version: '2',
          key: 'k',
          value: 'v',
        })
      );

      // Assess
      expectApiError(failure, 'RESOURCE_DOES_NOT_EXIST', 404);
    });
  });

  describe('modelRegistry.deleteModelVersionTag', () => {
    it('deletes one tag and keeps the others', async () => {
      // Prepare
      const w = client();
      const name = uniqueName('sdk');
      await w.modelRegistry.createModel({ name });
      await w.modelRegistry.createModelVersion({
        name,
        source: 's3://b/m',
        tags: [
          { key: 'a key', value: '1' },
          { key: 'b', value: '2' },
        ],
      });

      // Act
      await w.modelRegistry.deleteModelVersionTag({
        name,
        version: '1',
        key: 'a key',
      });

      // Assess
      const got = await w.modelRegistry.getModelVersion({ name, version: '1' });
      expect(got.model_version?.tags).toEqual([{ key: 'b', value: '2' }]);
    });

    it('surfaces a missing tag as ApiError RESOURCE_DOES_NOT_EXIST 404', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 1);

      // Act
      const failure = await failureOf(
        w.modelRegistry.deleteModelVersionTag({
          name,
          version: '1',
          key: 'absent',
        })
      );

      // Assess
      expectApiError(failure, 'RESOURCE_DOES_NOT_EXIST', 404);
    });
  });

  describe('modelRegistry.getModelVersionDownloadUri', () => {
    it('returns where the version’s files are: its source', async () => {
      // Prepare
      const w = client();
      const { name, versions } = await modelWithVersions(w, 2);

      // Act
      const uri = await w.modelRegistry.getModelVersionDownloadUri({
        name,
        version: '2',
      });

      // Assess
      expect(uri).toEqual({ artifact_uri: versions[1]?.source });
    });

    it('surfaces a missing version as ApiError RESOURCE_DOES_NOT_EXIST 404', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 1);

      // Act
      const failure = await failureOf(
        w.modelRegistry.getModelVersionDownloadUri({ name, version: '2' })
      );

      // Assess
      expectApiError(failure, 'RESOURCE_DOES_NOT_EXIST', 404);
    });
  });

  describe('modelRegistry.transitionStage', () => {
    it('moves a version and answers model_version_databricks with the caller’s permission level', async () => {
      // Prepare
      const w = client();
      const { name, versions } = await modelWithVersions(w, 1);

      // Act
      const moved = await w.modelRegistry.transitionStage({
        name,
        version: '1',
        stage: 'Staging',
        archive_existing_versions: false,
        comment: 'ready for QA',
      });

      // Assess
      expect(moved.model_version_databricks).toEqual({
        ...versions[0],
        current_stage: 'Staging',
        last_updated_timestamp: expect.any(Number),
        permission_level: 'CAN_MANAGE',
      });
      const got = await w.modelRegistry.getModelVersion({ name, version: '1' });
      expect(got.model_version?.current_stage).toBe('Staging');
    });

    it('archives the versions already in the stage with archive_existing_versions, recording the comment', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 3);
      for (const version of ['1', '2']) {
        await w.modelRegistry.transitionStage({
          name,
          version,
          stage: 'Production',
          archive_existing_versions: false,
        });
      }

      // Act
      const moved = await w.modelRegistry.transitionStage({
        name,
        version: '3',
        stage: 'production',
        archive_existing_versions: true,
        comment: 'promote 3',
      });

      // Assess
      expect(moved.model_version_databricks?.current_stage).toBe('Production');
      const latest = await collect(w.modelRegistry.getLatestVersions({ name }));
      expect(latest.map(stageOf).sort()).toEqual([
        '2:Archived',
        '3:Production',
      ]);
      const activities = await call<{
        activities: { activity_type: string; comment?: string }[];
      }>('GET', '/api/2.0/stagegate/activities/list', {
        query: { name, version: '3' },
      });
      expect(activities.body.activities.at(-1)).toMatchObject({
        activity_type: 'APPLIED_TRANSITION',
        comment: 'promote 3',
      });
    });

    it('keeps the versions already in the stage without archive_existing_versions', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 2);
      await w.modelRegistry.transitionStage({
        name,
        version: '1',
        stage: 'Production',
        archive_existing_versions: false,
      });

      // Act
      await w.modelRegistry.transitionStage({
        name,
        version: '2',
        stage: 'Production',
        archive_existing_versions: false,
      });

      // Assess
      const one = await w.modelRegistry.getModelVersion({ name, version: '1' });
      expect(one.model_version?.current_stage).toBe('Production');
    });

    it('refuses an unknown stage as ApiError INVALID_PARAMETER_VALUE 400', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 1);

      // Act
      const failure = await failureOf(
        w.modelRegistry.transitionStage({
          name,
          version: '1',
          stage: 'Prod',
          archive_existing_versions: false,
        })
      );

      // Assess
      expectApiError(failure, 'INVALID_PARAMETER_VALUE', 400);
      const got = await w.modelRegistry.getModelVersion({ name, version: '1' });
      expect(got.model_version?.current_stage).toBe('None');
    });

    it('refuses archive_existing_versions for an inactive stage as ApiError INVALID_PARAMETER_VALUE 400', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 1);

      // Act
      const failure = await failureOf(
        w.modelRegistry.transitionStage({
          name,
          version: '1',
          stage: 'Archived',
          archive_existing_versions: true,
        })
      );

      // Assess
      expectApiError(failure, 'INVALID_PARAMETER_VALUE', 400);
    });

    it('surfaces a missing version as ApiError RESOURCE_DOES_NOT_EXIST 404', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 1);

      // Act
      const failure = await failureOf(
        w.modelRegistry.transitionStage({
          name,
          version: '9',
          stage: 'Staging',
          archive_existing_versions: false,
        })
      );

      // Assess
      expectApiError(failure, 'RESOURCE_DOES_NOT_EXIST', 404);
    });
  });

  // The SDK sends its PATCH calls without a body (api-client.js attaches one
  // to POST and PUT only): through the SDK they can only fail; clients that
  // send the body (MLflow, curl) update.
  describe('modelRegistry.updateModel', () => {
    it('fails as ApiError INVALID_PARAMETER_VALUE 400 naming the field the body-less PATCH lacks', async () => {
      // Prepare
      const w = client();
      const name = uniqueName('sdk');
      await w.modelRegistry.createModel({ name, description: 'before' });

      // Act
      const failure = await failureOf(
        w.modelRegistry.updateModel({ name, description: 'after' })
      );

      // Assess
      expectApiError(failure, 'INVALID_PARAMETER_VALUE', 400);
      expect(failure.message).toMatch(/'name'/);
      const got = await w.modelRegistry.getModel({ name });
      expect(got.registered_model_databricks?.description).toBe('before');
    });

    it('updates the description when PATCHed with a JSON body, as the SDK then reads', async () => {
      // Prepare
      const w = client();
      const name = uniqueName('sdk');
      await w.modelRegistry.createModel({ name, description: 'before' });

      // Act
      const response = await call<ml.UpdateModelResponse>(
        'PATCH',
        `${MLFLOW}/registered-models/update`,
        { body: { name, description: 'after' } }
      );

      // Assess
      expect(response.status).toBe(200);
      expect(response.body.registered_model).toMatchObject({
        name,
        description: 'after',
      });
      const got = await w.modelRegistry.getModel({ name });
      expect(got.registered_model_databricks?.description).toBe('after');
    });
  });

  describe('modelRegistry.updateModelVersion', () => {
    it('fails as ApiError INVALID_PARAMETER_VALUE 400 naming the field the body-less PATCH lacks', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 1);

      // Act
      const failure = await failureOf(
        w.modelRegistry.updateModelVersion({
          name,
          version: '1',
          description: 'after',
        })
      );

      // Assess
      expectApiError(failure, 'INVALID_PARAMETER_VALUE', 400);
      expect(failure.message).toMatch(/'name'/);
      const got = await w.modelRegistry.getModelVersion({ name, version: '1' });
      expect(got.model_version?.description).toBe('');
    });

    it('updates the description when PATCHed with a JSON body, as the SDK then reads', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 2);

      // Act
      const response = await call<ml.UpdateModelVersionResponse>(
        'PATCH',
        `${MLFLOW}/model-versions/update`,
        { body: { name, version: '2', description: 'after' } }
      );

      // Assess
      expect(response.status).toBe(200);
      expect(response.body.model_version).toMatchObject({
        name,
        version: '2',
        description: 'after',
      });
      const got = await w.modelRegistry.getModelVersion({ name, version: '2' });
      expect(got.model_version?.description).toBe('after');
    });
  });
});

describe('permissions', () => {
  /** A new model (by the admin) and its stable id, through the SDK. */
  async function modelWithId(
    w: ReturnType<typeof client>
  ): Promise<{ name: string; id: string }> {
    const name = uniqueName('sdk-perm');
    await w.modelRegistry.createModel({ name });
    const got = await w.modelRegistry.getModel({ name });
    const id = got.registered_model_databricks?.id;
    if (!id) throw new Error('getModel answered no id');
    return { name, id };
  }

  /** Direct grants as `kind:name → level`, sorted. */
  function directGrants(permissions: ml.RegisteredModelPermissions): string[] {
    return (permissions.access_control_list ?? [])
      .flatMap((entry) =>
        (entry.all_permissions ?? [])
          .filter((permission) => !permission.inherited)
          .map((permission) => {
            const who = entry.user_name
              ? `user:${entry.user_name}`
              : entry.group_name
                ? `group:${entry.group_name}`
                : `service_principal:${entry.service_principal_name}`;
            return `${who} → ${permission.permission_level}`;
          })
      )
      .sort();
  }

  describe('modelRegistry.getPermissions', () => {
    it("returns the model's access control list in the SDK's RegisteredModelPermissions", async () => {
      // Prepare
      const w = client();
      const { id } = await modelWithId(w);
      const sent = recordRequests(w);

      // Act
      const permissions = await w.modelRegistry.getPermissions({
        registered_model_id: id,
      });

      // Assess
      expect(sent).toEqual([
        expect.objectContaining({
          method: 'GET',
          path: `/api/2.0/permissions/registered-models/${id}`,
        }),
      ]);
      expect(permissions.object_id).toBe(`/registered-models/${id}`);
      expect(permissions.object_type).toBe('registered-model');
      expect(permissions.access_control_list).toContainEqual({
        user_name: 'admin',
        all_permissions: [{ permission_level: 'CAN_MANAGE', inherited: false }],
      });
      expect(permissions.access_control_list).toContainEqual({
        group_name: 'admins',
        all_permissions: [{ permission_level: 'CAN_MANAGE', inherited: true }],
      });
    });

    it('surfaces an unknown id as ApiError RESOURCE_DOES_NOT_EXIST 404', async () => {
      // Act
      const failure = await failureOf(
        client().modelRegistry.getPermissions({
          registered_model_id: '0'.repeat(32),
        })
      );

      // Assess
      expectApiError(failure, 'RESOURCE_DOES_NOT_EXIST', 404);
    });
  });

  describe('modelRegistry.setPermissions', () => {
    it('replaces the direct grants, and the grantee then has that level', async () => {
      // Prepare
      const w = client();
      const { name, id } = await modelWithId(w);
      const user = await createUserWithToken();

      // Act
      const set = await w.modelRegistry.setPermissions({
        registered_model_id: id,
        access_control_list: [
          { user_name: 'admin', permission_level: 'CAN_MANAGE' },
          { user_name: user.userName, permission_level: 'CAN_EDIT' },
        ],
      });
      const asUser = await client(user.token).modelRegistry.getModel({ name });

      // Assess
      expect(directGrants(set)).toEqual(
        ['user:admin → CAN_MANAGE', `user:${user.userName} → CAN_EDIT`].sort()
      );
      expect(asUser.registered_model_databricks?.permission_level).toBe(
        'CAN_EDIT'
      );
    });

    it('surfaces a list without CAN_MANAGE as ApiError INVALID_PARAMETER_VALUE 400, changing nothing', async () => {
      // Prepare
      const w = client();
      const { id } = await modelWithId(w);
      const before = await w.modelRegistry.getPermissions({
        registered_model_id: id,
      });

      // Act
      const failure = await failureOf(
        w.modelRegistry.setPermissions({
          registered_model_id: id,
          access_control_list: [
            { group_name: 'users', permission_level: 'CAN_READ' },
          ],
        })
      );

      // Assess
      expectApiError(failure, 'INVALID_PARAMETER_VALUE', 400);
      expect(
        await w.modelRegistry.getPermissions({ registered_model_id: id })
      ).toEqual(before);
    });
  });

  describe('modelRegistry.getPermissionLevels', () => {
    it('lists the five model levels with descriptions', async () => {
      // Prepare
      const w = client();
      const { id } = await modelWithId(w);

      // Act
      const levels = await w.modelRegistry.getPermissionLevels({
        registered_model_id: id,
      });

      // Assess
      expect(levels.permission_levels).toEqual(
        [
          'CAN_READ',
          'CAN_EDIT',
          'CAN_MANAGE_STAGING_VERSIONS',
          'CAN_MANAGE_PRODUCTION_VERSIONS',
          'CAN_MANAGE',
        ].map((permission_level) => ({
          permission_level,
          description: expect.stringMatching(/\S/),
        }))
      );
    });
  });

  // The SDK sends PATCH without a body (as updateModel): the server reads
  // `{}`, so the call adds nothing; the same PATCH with a body adds.
  describe('modelRegistry.updatePermissions', () => {
    it('sends no body, so it answers 200 with the access control list unchanged', async () => {
      // Prepare
      const w = client();
      const { id } = await modelWithId(w);
      const user = await createUserWithToken();
      const before = await w.modelRegistry.getPermissions({
        registered_model_id: id,
      });

      // Act
      const updated = await w.modelRegistry.updatePermissions({
        registered_model_id: id,
        access_control_list: [
          { user_name: user.userName, permission_level: 'CAN_READ' },
        ],
      });

      // Assess
      expect(updated).toEqual(before);
      expect(
        await w.modelRegistry.getPermissions({ registered_model_id: id })
      ).toEqual(before);
    });

    it('adds the grant when the same PATCH is sent with a JSON body, as the SDK then reads', async () => {
      // Prepare
      const w = client();
      const { id } = await modelWithId(w);
      const user = await createUserWithToken();

      // Act
      const response = await call<ml.RegisteredModelPermissions>(
        'PATCH',
        `/api/2.0/permissions/registered-models/${id}`,
        {
          body: {
            access_control_list: [
              { user_name: user.userName, permission_level: 'CAN_READ' },
            ],
          },
        }
      );

      // Assess
      expect(response.status).toBe(200);
      expect(directGrants(response.body)).toEqual(
        ['user:admin → CAN_MANAGE', `user:${user.userName} → CAN_READ`].sort()
      );
      expect(
        directGrants(
          await w.modelRegistry.getPermissions({ registered_model_id: id })
        )
      ).toEqual(directGrants(response.body));
    });
  });
});

describe('transition requests and comments', () => {
  /** A model with one version, and a Staging request on it by the admin. */
  async function requested(
    w: ReturnType<typeof client>
  ): Promise<{ name: string; request: ml.TransitionRequest }> {
    const { name } = await modelWithVersions(w, 1, 'sdk-tr');
    const created = await w.modelRegistry.createTransitionRequest({
      name,
      version: '1',
      stage: 'Staging',
      comment: 'please',
    });
    if (!created.request) throw new Error('no request answered');
    return { name, request: created.request };
  }

  describe('modelRegistry.createTransitionRequest', () => {
    it('answers the request under `request` with its target stage and actions', async () => {
      // Prepare
      const w = client();

      // Act
      const { request } = await requested(w);

      // Assess
      expect(request).toMatchObject({
        to_stage: 'Staging',
        user_id: 'admin',
        comment: 'please',
        creation_timestamp: expect.any(Number),
      });
      expect(request.available_actions).toEqual(
        expect.arrayContaining(['APPROVE_TRANSITION_REQUEST'])
      );
    });
  });

  describe('modelRegistry.listTransitionRequests', () => {
    it('yields the open requests from `requests` in one call', async () => {
      // Prepare
      const w = client();
      const { name } = await requested(w);
      const sent = recordRequests(w);

      // Act
      const open = await collect(
        w.modelRegistry.listTransitionRequests({ name, version: '1' })
      );

      // Assess
      expect(open).toHaveLength(1);
      expect(open[0]).toMatchObject({
        activity_type: 'REQUESTED_TRANSITION',
        to_stage: 'Staging',
        user_id: 'admin',
      });
      expect(sent).toHaveLength(1);
    });
  });

  describe('modelRegistry.approveTransitionRequest', () => {
    it('approves a Staging request (no separation of duties there); the workflow then moves the version', async () => {
      // Prepare
      const w = client();
      const { name } = await requested(w);

      // Act
      const approved = await w.modelRegistry.approveTransitionRequest({
        name,
        version: '1',
        stage: 'Staging',
        archive_existing_versions: false,
        comment: 'ok',
      });

      // Assess
      expect(approved.activity).toMatchObject({
        activity_type: 'APPROVED_REQUEST',
        to_stage: 'Staging',
        user_id: 'admin',
      });
      // The approval is applied by the request's workflow after the call.
      const got = await pollUntil(
        () => w.modelRegistry.getModelVersion({ name, version: '1' }),
        (answer) => answer.model_version?.current_stage === 'Staging',
        { intervalMs: 20 }
      );
      expect(got.model_version?.current_stage).toBe('Staging');
    });
  });

  describe('a protected stage (stagegate: Production by default)', () => {
    it('refuses the Can Manage creator’s transitionStage into Production as ApiError PERMISSION_DENIED 403, and a request approved by another user moves it', async () => {
      // Prepare
      const [creator, approver] = await Promise.all([
        createUserWithToken(),
        createUserWithToken(),
      ]);
      const asCreator = client(creator.token);
      const name = uniqueName('sdk-gate');
      await asCreator.modelRegistry.createModel({ name });
      await asCreator.modelRegistry.createModelVersion({
        name,
        source: 's3://b/m',
      });
      await grant(
        await modelId(name),
        [
          {
            user_name: approver.userName,
            permission_level: 'CAN_MANAGE_PRODUCTION_VERSIONS',
          },
        ],
        'PATCH'
      );

      // Act
      const failure = await failureOf(
        asCreator.modelRegistry.transitionStage({
          name,
          version: '1',
          stage: 'Production',
          archive_existing_versions: false,
        })
      );
      await asCreator.modelRegistry.createTransitionRequest({
        name,
        version: '1',
        stage: 'Production',
      });
      const approved = await client(
        approver.token
      ).modelRegistry.approveTransitionRequest({
        name,
        version: '1',
        stage: 'Production',
        archive_existing_versions: false,
      });

      // Assess
      expectApiError(failure, 'PERMISSION_DENIED', 403);
      expect(failure.message).toContain(
        'POST /api/2.0/mlflow/transition-requests/create'
      );
      expect(approved.activity?.activity_type).toBe('APPROVED_REQUEST');
      const got = await pollUntil(
        () => asCreator.modelRegistry.getModelVersion({ name, version: '1' }),
        (answer) => answer.model_version?.current_stage === 'Production',
        { intervalMs: 20 }
      );
      expect(got.model_version?.current_stage).toBe('Production');
    });
  });

  describe('modelRegistry.rejectTransitionRequest', () => {
    it('rejects the request: a REJECTED_REQUEST activity, nothing left open', async () => {
      // Prepare
      const w = client();
      const { name } = await requested(w);

      // Act
      const rejected = await w.modelRegistry.rejectTransitionRequest({
        name,
        version: '1',
        stage: 'Staging',
        comment: 'no',
      });

      // Assess
      expect(rejected.activity).toMatchObject({
        activity_type: 'REJECTED_REQUEST',
        to_stage: 'Staging',
      });
      expect(
        await collect(
          w.modelRegistry.listTransitionRequests({ name, version: '1' })
        )
      ).toEqual([]);
    });
  });

  describe('modelRegistry.deleteTransitionRequest', () => {
    it('cancels the creator’s request from query parameters: a CANCELLED_REQUEST activity', async () => {
      // Prepare
      const w = client();
      const { name } = await requested(w);

      // Act
      const cancelled = await w.modelRegistry.deleteTransitionRequest({
        name,
        version: '1',
        stage: 'Staging',
        creator: 'admin',
        comment: 'never mind',
      });

      // Assess
      expect(cancelled.activity).toMatchObject({
        activity_type: 'CANCELLED_REQUEST',
        to_stage: 'Staging',
      });
      expect(
        await collect(
          w.modelRegistry.listTransitionRequests({ name, version: '1' })
        )
      ).toEqual([]);
    });
  });

  describe('modelRegistry.createComment', () => {
    it('answers the comment under `comment` with the author’s actions', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 1, 'sdk-comment');

      // Act
      const created = await w.modelRegistry.createComment({
        name,
        version: '1',
        comment: 'looks good',
      });

      // Assess
      expect(created.comment).toMatchObject({
        id: expect.any(String),
        comment: 'looks good',
        user_id: 'admin',
        creation_timestamp: expect.any(Number),
        available_actions: ['EDIT_COMMENT', 'DELETE_COMMENT'],
      });
    });
  });

  describe('modelRegistry.updateComment', () => {
    it('fails as ApiError INVALID_PARAMETER_VALUE 400: the SDK sends the PATCH without a body', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 1, 'sdk-comment');
      const created = await w.modelRegistry.createComment({
        name,
        version: '1',
        comment: 'before',
      });

      // Act
      const failure = await failureOf(
        w.modelRegistry.updateComment({
          id: created.comment?.id ?? '',
          comment: 'after',
        })
      );

      // Assess
      expectApiError(failure, 'INVALID_PARAMETER_VALUE', 400);
      expect(failure.message).toMatch(/'id'/);
    });

    it('updates the comment when PATCHed with a JSON body, as the SDK then reads', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 1, 'sdk-comment');
      const created = await w.modelRegistry.createComment({
        name,
        version: '1',
        comment: 'before',
      });

      // Act
      const response = await call<ml.UpdateCommentResponse>(
        'PATCH',
        `${MLFLOW}/comments/update`,
        { body: { id: created.comment?.id, comment: 'after' } }
      );

      // Assess
      expect(response.status).toBe(200);
      expect(response.body.comment).toMatchObject({
        id: created.comment?.id,
        comment: 'after',
      });
    });
  });

  describe('modelRegistry.deleteComment', () => {
    it('deletes by id from the query string: {}, and a second delete is 404', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 1, 'sdk-comment');
      const created = await w.modelRegistry.createComment({
        name,
        version: '1',
        comment: 'oops',
      });
      const id = created.comment?.id ?? '';

      // Act
      const deleted = await w.modelRegistry.deleteComment({ id });

      // Assess
      expect(deleted).toEqual({});
      expectApiError(
        await failureOf(w.modelRegistry.deleteComment({ id })),
        'RESOURCE_DOES_NOT_EXIST',
        404
      );
    });
  });
});

describe('registry webhooks', () => {
  /** The receiver is on this machine: only a local stack can reach it. */
  const local = process.env.STAGEGATE_URL === undefined;
  const secret = 'sdk-webhook-secret';
  const authorization = 'Bearer sdk-receiver-token';
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
  });

  afterAll(async () => {
    await receiver?.close();
  });

  const url = () =>
    local ? receiver.url : 'https://example.com/stagegate-sdk-hook';

  async function webhookOn(
    w: ReturnType<typeof client>,
    name: string,
    events: ml.RegistryWebhookEvent[] = ['MODEL_VERSION_CREATED']
  ): Promise<ml.RegistryWebhook> {
    const created = await w.modelRegistry.createWebhook({
      model_name: name,
      events,
      status: 'TEST_MODE',
      http_url_spec: { url: url(), secret, authorization },
    });
    if (!created.webhook) throw new Error('no webhook answered');
    return created.webhook;
  }

  describe('modelRegistry.createWebhook', () => {
    it('answers the webhook under `webhook` without its secret or authorization', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 0, 'sdk-wh');

      // Act
      const created = await w.modelRegistry.createWebhook({
        model_name: name,
        events: ['MODEL_VERSION_CREATED', 'TRANSITION_REQUEST_CREATED'],
        description: 'sdk',
        http_url_spec: { url: url(), secret, authorization },
      });

      // Assess
      expect(created.webhook).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
        model_name: name,
        events: ['MODEL_VERSION_CREATED', 'TRANSITION_REQUEST_CREATED'],
        description: 'sdk',
        status: 'ACTIVE',
        http_url_spec: { url: url(), enable_ssl_verification: true },
        creation_timestamp: expect.any(Number),
        last_updated_timestamp: expect.any(Number),
      });
      expect(JSON.stringify(created)).not.toContain(secret);
      expect(JSON.stringify(created)).not.toContain(authorization);
    });
  });

  describe('modelRegistry.listWebhooks', () => {
    it('iterates across pages (max_results=1), sending each next_page_token', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 0, 'sdk-wh');
      const ids = [
        (await webhookOn(w, name)).id,
        (await webhookOn(w, name, ['COMMENT_CREATED'])).id,
        (await webhookOn(w, name)).id,
      ];
      const sent = recordRequests(w);

      // Act
      const listed = await collect(
        w.modelRegistry.listWebhooks({ model_name: name, max_results: 1 })
      );

      // Assess
      expect(listed.map((webhook) => webhook.id).sort()).toEqual(ids.sort());
      expect(sent).toHaveLength(3);
      expect(sent[0]?.query.page_token).toBeUndefined();
      expect(sent[1]?.query.page_token).toEqual(expect.any(String));
      expect(JSON.stringify(listed)).not.toContain(secret);
    });

    it('sends repeated events to filter on', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 0, 'sdk-wh');
      await webhookOn(w, name, ['MODEL_VERSION_CREATED']);
      const comments = await webhookOn(w, name, ['COMMENT_CREATED']);
      const tags = await webhookOn(w, name, ['MODEL_VERSION_TAG_SET']);

      // Act
      const listed = await collect(
        w.modelRegistry.listWebhooks({
          model_name: name,
          events: ['COMMENT_CREATED', 'MODEL_VERSION_TAG_SET'],
        })
      );

      // Assess
      expect(listed.map((webhook) => webhook.id).sort()).toEqual(
        [comments.id, tags.id].sort()
      );
    });
  });

  describe('modelRegistry.updateWebhook', () => {
    it('fails as ApiError INVALID_PARAMETER_VALUE 400 naming the id the body-less PATCH lacks', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 0, 'sdk-wh');
      const webhook = await webhookOn(w, name);

      // Act
      const failure = await failureOf(
        w.modelRegistry.updateWebhook({
          id: webhook.id ?? '',
          description: 'after',
        })
      );

      // Assess
      expectApiError(failure, 'INVALID_PARAMETER_VALUE', 400);
      expect(failure.message).toMatch(/'id'/);
    });

    it('updates when PATCHed with a JSON body, answering the SDK’s UpdateWebhookResponse', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 0, 'sdk-wh');
      const webhook = await webhookOn(w, name);

      // Act
      const response = await call<ml.UpdateWebhookResponse>(
        'PATCH',
        `${MLFLOW}/registry-webhooks/update`,
        {
          body: {
            id: webhook.id,
            description: 'after',
            status: 'ACTIVE',
            events: ['COMMENT_CREATED'],
          },
        }
      );

      // Assess
      expect(response.status).toBe(200);
      expect(response.body.webhook).toMatchObject({
        id: webhook.id,
        description: 'after',
        status: 'ACTIVE',
        events: ['COMMENT_CREATED'],
        http_url_spec: { url: url(), enable_ssl_verification: true },
      });
      expect(JSON.stringify(response.body)).not.toContain(secret);
    });
  });

  describe('webhooks across renameModel and deleteModel', () => {
    it('lists a webhook under its model’s new name after renameModel, and none after deleteModel and a new model of the name', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 0, 'sdk-wh');
      const renamed = `${name}-renamed`;
      const webhook = await webhookOn(w, name);

      // Act
      await w.modelRegistry.renameModel({ name, new_name: renamed });
      await w.modelRegistry.createModel({ name });
      const byNewName = await collect(
        w.modelRegistry.listWebhooks({ model_name: renamed })
      );
      const byOldName = await collect(
        w.modelRegistry.listWebhooks({ model_name: name })
      );
      await w.modelRegistry.deleteModel({ name: renamed });
      await w.modelRegistry.createModel({ name: renamed });
      const afterDelete = await collect(
        w.modelRegistry.listWebhooks({ model_name: renamed })
      );

      // Assess
      expect(byNewName).toEqual([{ ...webhook, model_name: renamed }]);
      expect(byOldName).toEqual([]);
      expect(afterDelete).toEqual([]);
      expectApiError(
        await failureOf(
          w.modelRegistry.deleteWebhook({ id: webhook.id ?? '' })
        ),
        'RESOURCE_DOES_NOT_EXIST',
        404
      );
    });
  });

  describe('modelRegistry.deleteWebhook', () => {
    it('deletes by id from the query string: {}, then 404', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 0, 'sdk-wh');
      const webhook = await webhookOn(w, name);

      // Act
      const deleted = await w.modelRegistry.deleteWebhook({
        id: webhook.id ?? '',
      });

      // Assess
      expect(deleted).toEqual({});
      expect(
        await collect(w.modelRegistry.listWebhooks({ model_name: name }))
      ).toEqual([]);
      expectApiError(
        await failureOf(
          w.modelRegistry.deleteWebhook({ id: webhook.id ?? '' })
        ),
        'RESOURCE_DOES_NOT_EXIST',
        404
      );
    });
  });

  describe.runIf(local)('modelRegistry.testRegistryWebhook', () => {
    it('posts a signed mock event to the receiver and returns its {status_code, body}', async () => {
      // Prepare
      const w = client();
      const { name } = await modelWithVersions(w, 0, 'sdk-wh');
      const webhook = await webhookOn(w, name, [
        'MODEL_VERSION_TRANSITIONED_STAGE',
      ]);
      receiver.respondWith(200, 'received by sdk test');
      const before = receiver.received.length;

      // Act
      const answered = await w.modelRegistry.testRegistryWebhook({
        id: webhook.id ?? '',
        event: 'MODEL_VERSION_TRANSITIONED_STAGE',
      });

      // Assess
      expect(answered).toEqual({
        status_code: 200,
        body: 'received by sdk test',
      });
      const delivery = receiver.received[before];
      if (!delivery) throw new Error('the receiver got nothing');
      expect(
        signatureVerifies(
          secret,
          delivery.body,
          delivery.headers['x-databricks-signature']
        )
      ).toBe(true);
      expect(delivery.headers.authorization).toBe(authorization);
      expect(JSON.parse(delivery.body)).toMatchObject({
        event: 'MODEL_VERSION_TRANSITIONED_STAGE',
        webhook_id: webhook.id,
        model_name: name,
        version: '1',
      });
    });
  });
});

describe('modelRegistry coverage', () => {
  it('exercises every method of w.modelRegistry somewhere in this file', () => {
    // Prepare
    const w = client();
    const names = new Set<string>();
    for (
      let owner: object | null = w.modelRegistry;
      owner && owner !== Object.prototype;
      owner = Object.getPrototypeOf(owner)
    ) {
      for (const name of Object.getOwnPropertyNames(owner)) {
        const value = (w.modelRegistry as unknown as Record<string, unknown>)[
          name
        ];
        if (
          typeof value === 'function' &&
          name !== 'constructor' &&
          !name.startsWith('_')
        ) {
          names.add(name);
        }
      }
    }
    const source = readFileSync(new URL(import.meta.url), 'utf8');

    // Act
    const missing = [...names].filter((name) => !source.includes(`.${name}(`));

    // Assess
    expect(names.size).toBeGreaterThanOrEqual(36);
    expect(missing).toEqual([]);
  });
});
