import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiResponse, call, MLFLOW, uniqueName } from '../support/api.ts';
import {
  signatureVerifies,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../support/webhook-receiver.ts';
import type { UserWithToken } from './support/principals.ts';
import {
  createModel,
  createUsers,
  type ErrorJson,
  expectStatus,
  grantLevels,
  HEX_ID,
} from './support/requests.ts';

/**
 * Registry webhooks over HTTP: create, list (filters, pages), update
 * (PATCH with a JSON body), delete and test (a signed mock delivery to a
 * receiver on 127.0.0.1), validation, Can Manage / admin checks, and
 * secrets that never come back. Delivery on real events is
 * registry-events.test.ts's.
 */

const WEBHOOKS = `${MLFLOW}/registry-webhooks`;
/** The receiver is on this machine: only a local stack can reach it. */
const local = process.env.STAGEGATE_URL === undefined;

interface WebhookJson {
  id: string;
  model_name?: string;
  events: string[];
  description?: string;
  status: string;
  http_url_spec?: { url: string; enable_ssl_verification: boolean };
  job_spec?: { job_id: string; workspace_url?: string };
  creation_timestamp: number;
  last_updated_timestamp: number;
}

const SECRET = 'shh-webhook-secret-0123';
const AUTHORIZATION = 'Bearer receiver-token-4567';
const ACCESS_TOKEN = 'dapi-job-access-token-89ab';

let receiver: WebhookReceiver;
/** Can Manage on every model `model()` makes. */
let manager: UserWithToken;
/** Can Edit on every model `model()` makes. */
let editor: UserWithToken;
/** No grant at all. */
let stranger: UserWithToken;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  [manager, editor, stranger] = (await createUsers(3)) as [
    UserWithToken,
    UserWithToken,
    UserWithToken,
  ];
});

afterAll(async () => {
  await receiver?.close();
});

/** A new model, `manager` granted Can Manage and `editor` Can Edit. */
async function model(): Promise<string> {
  const { name, id } = await createModel(1, 'wh');
  await grantLevels(id, [
    [manager, 'CAN_MANAGE'],
    [editor, 'CAN_EDIT'],
  ]);
  return name;
}

/** A URL webhooks may post to on the stack under test. */
function targetUrl(): string {
  return local ? receiver.url : 'https://example.com/stagegate-hook';
}

function create(body: Record<string, unknown>, token?: string) {
  return call<{ webhook: WebhookJson } & ErrorJson>(
    'POST',
    `${WEBHOOKS}/create`,
    { body, ...(token === undefined ? {} : { token }) }
  );
}

async function created(
  body: Record<string, unknown>,
  token?: string
): Promise<WebhookJson> {
  const response = await create(body, token);
  expectStatus(response, 200);
  return response.body.webhook;
}

function list(
  query: Record<string, string | number | string[]>,
  token?: string
) {
  return call<
    { webhooks?: WebhookJson[]; next_page_token?: string } & ErrorJson
  >('GET', `${WEBHOOKS}/list`, {
    query,
    ...(token === undefined ? {} : { token }),
  });
}

function update(body: unknown, token?: string) {
  return call<{ webhook: WebhookJson } & ErrorJson>(
    'PATCH',
    `${WEBHOOKS}/update`,
    { body, ...(token === undefined ? {} : { token }) }
  );
}

function remove(id: string, token?: string) {
  return call<ErrorJson>('DELETE', `${WEBHOOKS}/delete`, {
    query: { id },
    ...(token === undefined ? {} : { token }),
  });
}

function test(body: Record<string, unknown>, token?: string) {
  return call<{ status_code: number; body: string } & ErrorJson>(
    'POST',
    `${WEBHOOKS}/test`,
    { body, ...(token === undefined ? {} : { token }) }
  );
}

/** Every webhook of a listing, following its page tokens. */
async function listAll(
  query: Record<string, string | number | string[]>,
  token?: string
): Promise<{ pages: WebhookJson[][]; all: WebhookJson[] }> {
  const pages: WebhookJson[][] = [];
  let pageToken: string | undefined;
  do {
    const response = await list(
      { ...query, ...(pageToken ? { page_token: pageToken } : {}) },
      token
    );
    expectStatus(response, 200);
    pages.push(response.body.webhooks ?? []);
    pageToken = response.body.next_page_token;
  } while (pageToken);
  return { pages, all: pages.flat() };
}

function expectError(
  response: ApiResponse<ErrorJson>,
  status: number,
  code: string,
  message?: RegExp
): void {
  expectStatus(response, status);
  expect(response.body.error_code).toBe(code);
  if (message) expect(response.body.message).toMatch(message);
}

/** No response text carries a stored secret. */
function expectNoSecrets(response: ApiResponse<unknown>): void {
  const text = JSON.stringify(response.body);
  expect(text).not.toContain(SECRET);
  expect(text).not.toContain(AUTHORIZATION);
  expect(text).not.toContain(ACCESS_TOKEN);
  expect(text).not.toMatch(/"secret"|"authorization"|"access_token"/);
}

describe('registry webhooks', () => {
  describe('create', () => {
    it('creates a model webhook with an id, ACTIVE by default, timestamps and the spec without its secrets', async () => {
      // Prepare
      const name = await model();

      // Act
      const response = await create({
        model_name: name,
        events: ['MODEL_VERSION_CREATED', 'TRANSITION_REQUEST_CREATED'],
        description: 'notify the team',
        http_url_spec: {
          url: targetUrl(),
          secret: SECRET,
          authorization: AUTHORIZATION,
        },
      });

      // Assess
      expectStatus(response, 200);
      const { webhook } = response.body;
      expect(webhook).toEqual({
        id: expect.stringMatching(HEX_ID),
        model_name: name,
        events: ['MODEL_VERSION_CREATED', 'TRANSITION_REQUEST_CREATED'],
        description: 'notify the team',
        status: 'ACTIVE',
        http_url_spec: { url: targetUrl(), enable_ssl_verification: true },
        creation_timestamp: expect.any(Number),
        last_updated_timestamp: webhook.creation_timestamp,
      });
      expectNoSecrets(response);
    });

    it('creates a registry-wide job webhook in TEST_MODE without echoing its access token', async () => {
      // Act
      const response = await create({
        events: ['REGISTERED_MODEL_CREATED'],
        status: 'TEST_MODE',
        job_spec: {
          job_id: '123',
          access_token: ACCESS_TOKEN,
          workspace_url: 'https://workspace.example.com',
        },
      });

      // Assess
      expectStatus(response, 200);
      expect(response.body.webhook).toMatchObject({
        status: 'TEST_MODE',
        job_spec: {
          job_id: '123',
          workspace_url: 'https://workspace.example.com',
        },
      });
      expect(response.body.webhook.model_name).toBeUndefined();
      expectNoSecrets(response);
    });

    it.each([
      [
        'an unknown event',
        { events: ['MODEL_VERSION_DELETED'] },
        /MODEL_VERSION_DELETED/,
      ],
      ['no events', { events: [] }, /events/],
      [
        'REGISTERED_MODEL_CREATED on a model',
        { events: ['REGISTERED_MODEL_CREATED'], withModel: true },
        /REGISTERED_MODEL_CREATED/,
      ],
      [
        'both specs',
        {
          job_spec: { job_id: '1', access_token: ACCESS_TOKEN },
        },
        /Exactly one of 'http_url_spec' and 'job_spec'/,
      ],
      [
        'neither spec',
        { http_url_spec: undefined },
        /Exactly one of 'http_url_spec' and 'job_spec'/,
      ],
      ['a URL that is not one', { url: 'not a url' }, /http_url_spec\.url/],
      ['a URL of another scheme', { url: 'ftp://example.com/hook' }, /scheme/],
      [
        'a URL with credentials',
        { url: 'https://user:pass@example.com/hook' },
        /credentials/,
      ],
      ['an unknown status', { status: 'PAUSED' }, /status/],
    ])(
      'refuses %s with 400 INVALID_PARAMETER_VALUE',
      async (_case, change, message) => {
        // Prepare
        const name = await model();
        const { url, withModel, ...rest } = change as Record<string, unknown>;
        const body: Record<string, unknown> = {
          events: ['MODEL_VERSION_CREATED'],
          http_url_spec: { url: url ?? targetUrl(), secret: SECRET },
          ...(withModel === false ? {} : { model_name: name }),
          ...rest,
        };
        if ('http_url_spec' in rest && rest.http_url_spec === undefined) {
          delete body.http_url_spec;
        }

        // Act
        const response = await create(body);

        // Assess
        expectError(response, 400, 'INVALID_PARAMETER_VALUE', message);
        expectNoSecrets(response);
      }
    );

    it('never quotes a malformed secret in its refusal', async () => {
      // Act
      const response = await create({
        model_name: await model(),
        events: ['MODEL_VERSION_CREATED'],
        http_url_spec: { url: targetUrl(), secret: [SECRET] },
      });

      // Assess
      expectError(response, 400, 'INVALID_PARAMETER_VALUE', /secret/);
      expectNoSecrets(response);
    });

    it('answers 404 for a model that does not exist', async () => {
      // Act
      const response = await create({
        model_name: 'wh-no-such-model-anywhere',
        events: ['MODEL_VERSION_CREATED'],
        http_url_spec: { url: targetUrl() },
      });

      // Assess
      expectError(response, 404, 'RESOURCE_DOES_NOT_EXIST');
    });
  });

  describe('list', () => {
    it("lists one model's webhooks across pages, never an empty page with a token", async () => {
      // Prepare
      const name = await model();
      const ids: string[] = [];
      for (let index = 0; index < 5; index += 1) {
        const webhook = await created({
          model_name: name,
          events: ['MODEL_VERSION_CREATED'],
          http_url_spec: { url: targetUrl(), secret: SECRET },
        });
        ids.push(webhook.id);
      }

      // Act
      const { pages, all } = await listAll({
        model_name: name,
        max_results: 2,
      });

      // Assess
      expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
      expect(all.map((webhook) => webhook.id).sort()).toEqual(ids.sort());
    });

    it('filters by events (any of them) and answers the last page without a token', async () => {
      // Prepare
      const name = await model();
      const created1 = await created({
        model_name: name,
        events: ['MODEL_VERSION_CREATED'],
        http_url_spec: { url: targetUrl() },
      });
      const created2 = await created({
        model_name: name,
        events: ['COMMENT_CREATED', 'MODEL_VERSION_TAG_SET'],
        http_url_spec: { url: targetUrl() },
      });
      await created({
        model_name: name,
        events: ['TRANSITION_REQUEST_CREATED'],
        http_url_spec: { url: targetUrl() },
      });

      // Act
      const response = await list({
        model_name: name,
        events: ['MODEL_VERSION_CREATED', 'MODEL_VERSION_TAG_SET'],
      });

      // Assess
      expectStatus(response, 200);
      expect(
        (response.body.webhooks ?? []).map((webhook) => webhook.id).sort()
      ).toEqual([created1.id, created2.id].sort());
      expect(response.body.next_page_token).toBeUndefined();
      expectNoSecrets(response);
    });

    it('lists everything the caller manages without model_name: a manager sees its models, not registry-wide ones', async () => {
      // Prepare
      const name = await model();
      const mine = await created(
        {
          model_name: name,
          events: ['COMMENT_CREATED'],
          http_url_spec: { url: targetUrl() },
        },
        manager.token
      );
      const registryWide = await created({
        events: ['COMMENT_CREATED'],
        http_url_spec: { url: targetUrl() },
      });

      // Act
      const asManager = await listAll({ max_results: 1000 }, manager.token);
      const asAdmin = await listAll({ max_results: 1000 });

      // Assess
      const managerIds = asManager.all.map((webhook) => webhook.id);
      expect(managerIds).toContain(mine.id);
      expect(managerIds).not.toContain(registryWide.id);
      expect(asManager.all.every((webhook) => webhook.model_name)).toBe(true);
      const adminIds = asAdmin.all.map((webhook) => webhook.id);
      expect(adminIds).toEqual(
        expect.arrayContaining([mine.id, registryWide.id])
      );
    });

    it('refuses a bad page token and a bad max_results', async () => {
      // Act
      const badToken = await list({ page_token: 'not-a-token' });
      const badMax = await list({ max_results: 0 });

      // Assess
      expectError(badToken, 400, 'INVALID_PARAMETER_VALUE');
      expectError(badMax, 400, 'INVALID_PARAMETER_VALUE');
    });
  });

  describe('update', () => {
    it('changes events, description and status from a JSON body and keeps the secret it does not echo', async () => {
      // Prepare
      const name = await model();
      const webhook = await created({
        model_name: name,
        events: ['MODEL_VERSION_CREATED'],
        http_url_spec: {
          url: targetUrl(),
          secret: SECRET,
          authorization: AUTHORIZATION,
        },
      });

      // Act
      const response = await update({
        id: webhook.id,
        events: ['COMMENT_CREATED'],
        description: 'changed',
        status: 'TEST_MODE',
        http_url_spec: { url: targetUrl(), enable_ssl_verification: false },
      });

      // Assess
      expectStatus(response, 200);
      expect(response.body.webhook).toMatchObject({
        id: webhook.id,
        model_name: name,
        events: ['COMMENT_CREATED'],
        description: 'changed',
        status: 'TEST_MODE',
        http_url_spec: { url: targetUrl(), enable_ssl_verification: false },
        creation_timestamp: webhook.creation_timestamp,
      });
      expect(
        response.body.webhook.last_updated_timestamp
      ).toBeGreaterThanOrEqual(webhook.last_updated_timestamp);
      expectNoSecrets(response);
      if (local) {
        const before = receiver.received.length;
        expectStatus(await test({ id: webhook.id }), 200);
        const delivery = receiver.received[before];
        expect(
          signatureVerifies(
            SECRET,
            delivery?.body ?? '',
            delivery?.headers['x-databricks-signature']
          )
        ).toBe(true);
        expect(delivery?.headers.authorization).toBe(AUTHORIZATION);
      }
    });

    it("refuses a body-less PATCH (the SDK's) with 400 naming 'id'", async () => {
      // Act
      const response = await call<ErrorJson>('PATCH', `${WEBHOOKS}/update`, {
        headers: { 'content-type': 'application/json' },
      });

      // Assess
      expectError(response, 400, 'INVALID_PARAMETER_VALUE', /'id'/);
    });

    it('refuses REGISTERED_MODEL_CREATED on a model webhook and answers 404 for an unknown id', async () => {
      // Prepare
      const webhook = await created({
        model_name: await model(),
        events: ['MODEL_VERSION_CREATED'],
        http_url_spec: { url: targetUrl() },
      });

      // Act
      const badEvent = await update({
        id: webhook.id,
        events: ['REGISTERED_MODEL_CREATED'],
      });
      const unknown = await update({ id: '0'.repeat(32), description: 'x' });

      // Assess
      expectError(badEvent, 400, 'INVALID_PARAMETER_VALUE');
      expectError(unknown, 404, 'RESOURCE_DOES_NOT_EXIST');
    });
  });

  describe('delete', () => {
    it('deletes a webhook: {} and gone from listings; a second delete is 404', async () => {
      // Prepare
      const name = await model();
      const webhook = await created({
        model_name: name,
        events: ['MODEL_VERSION_CREATED'],
        http_url_spec: { url: targetUrl() },
      });

      // Act
      const response = await remove(webhook.id);

      // Assess
      expectStatus(response, 200);
      expect(response.body).toEqual({});
      const listed = await list({ model_name: name });
      expect(listed.body.webhooks ?? []).toEqual([]);
      expectError(await remove(webhook.id), 404, 'RESOURCE_DOES_NOT_EXIST');
    });
  });

  describe('permissions', () => {
    it('lets a Can Manage holder manage its model webhooks and refuses Can Edit and strangers', async () => {
      // Prepare
      const name = await model();
      const body = {
        model_name: name,
        events: ['MODEL_VERSION_CREATED'],
        http_url_spec: { url: targetUrl(), secret: SECRET },
      };

      // Act
      const asEditor = await create(body, editor.token);
      const asStranger = await create(body, stranger.token);
      const asManager = await create(body, manager.token);

      // Assess
      expectError(asEditor, 403, 'PERMISSION_DENIED', /CAN_MANAGE/);
      expectError(asStranger, 403, 'PERMISSION_DENIED');
      expectStatus(asManager, 200);
      const { id } = asManager.body.webhook;
      expectError(
        await list({ model_name: name }, editor.token),
        403,
        'PERMISSION_DENIED'
      );
      expectError(
        await update({ id, description: 'x' }, editor.token),
        403,
        'PERMISSION_DENIED'
      );
      expectError(await test({ id }, editor.token), 403, 'PERMISSION_DENIED');
      expectError(await remove(id, stranger.token), 403, 'PERMISSION_DENIED');
      expectStatus(await update({ id, description: 'x' }, manager.token), 200);
      expectStatus(await remove(id, manager.token), 200);
    });

    it('keeps registry-wide webhooks to workspace admins', async () => {
      // Prepare
      const body = {
        events: ['REGISTERED_MODEL_CREATED'],
        http_url_spec: { url: targetUrl() },
      };

      // Act
      const asManager = await create(body, manager.token);
      const asAdmin = await create(body);

      // Assess
      expectError(asManager, 403, 'PERMISSION_DENIED', /admin/);
      expectStatus(asAdmin, 200);
      const { id } = asAdmin.body.webhook;
      expectError(await remove(id, manager.token), 403, 'PERMISSION_DENIED');
      expectStatus(await remove(id), 200);
    });
  });

  describe('bound to the model, not to its name', () => {
    const MODELS = `${MLFLOW}/registered-models`;
    const URL_KEY = 'url-key-0123456789';

    async function createModelAs(name: string, user: UserWithToken) {
      expectStatus(
        await call('POST', `${MODELS}/create`, {
          body: { name },
          token: user.token,
        }),
        200
      );
    }

    /**
     * Nothing of the webhook in a response: its URL, secrets or model (the
     * id only when the caller sent it).
     */
    function expectNothingOf(
      response: ApiResponse<unknown>,
      modelName: string
    ): void {
      const text = JSON.stringify(response.body);
      expect(text).not.toContain(URL_KEY);
      expect(text).not.toContain(modelName);
      expectNoSecrets(response);
    }

    it("follows its model's rename; a new model of the old name reaches none of it", async () => {
      // Prepare: A makes `m` with a webhook (secret, Authorization, a key
      // in the URL) and renames `m`; B makes a new `m`.
      const [a, b] = (await createUsers(2)) as [UserWithToken, UserWithToken];
      const name = uniqueName('wh-bound');
      const renamed = `${name}-renamed`;
      await createModelAs(name, a);
      const url = `${targetUrl()}?key=${URL_KEY}`;
      const webhook = await created(
        {
          model_name: name,
          events: ['MODEL_VERSION_CREATED'],
          http_url_spec: { url, secret: SECRET, authorization: AUTHORIZATION },
        },
        a.token
      );
      expectStatus(
        await call('POST', `${MODELS}/rename`, {
          body: { name, new_name: renamed },
          token: a.token,
        }),
        200
      );
      await createModelAs(name, b);
      const before = local ? receiver.received.length : 0;

      // Act: B tries every webhook route on A's webhook.
      const bListByName = await list({ model_name: name }, b.token);
      const bListAll = await list({ max_results: 1000 }, b.token);
      const bUpdate = await update(
        {
          id: webhook.id,
          description: 'hijacked',
          http_url_spec: { url: targetUrl() },
        },
        b.token
      );
      const bTest = await test({ id: webhook.id }, b.token);
      const bDelete = await remove(webhook.id, b.token);

      // Assess: B sees and changes nothing; the receiver got nothing.
      expectStatus(bListByName, 200);
      expect(bListByName.body.webhooks ?? []).toEqual([]);
      expectStatus(bListAll, 200);
      expect(
        (bListAll.body.webhooks ?? []).map((listed) => listed.id)
      ).not.toContain(webhook.id);
      expectNothingOf(bListByName, renamed);
      expectNothingOf(bListAll, renamed);
      for (const refused of [bUpdate, bTest, bDelete]) {
        expect([403, 404]).toContain(refused.status);
        expectNothingOf(refused, renamed);
      }
      if (local) expect(receiver.received.length).toBe(before);

      // Assess: A keeps its webhook, under the model's new name.
      const aList = await list({ model_name: renamed }, a.token);
      expectStatus(aList, 200);
      expect(aList.body.webhooks).toEqual([
        { ...webhook, model_name: renamed },
      ]);
      const adminOldName = await list({ model_name: name });
      expectStatus(adminOldName, 200);
      expect(adminOldName.body.webhooks ?? []).toEqual([]);
      const aUpdate = await update(
        { id: webhook.id, description: 'still mine' },
        a.token
      );
      expectStatus(aUpdate, 200);
      expect(aUpdate.body.webhook).toMatchObject({
        model_name: renamed,
        description: 'still mine',
        http_url_spec: { url },
      });
      if (local) {
        const aTest = await test({ id: webhook.id }, a.token);
        expectStatus(aTest, 200);
        const delivery = receiver.received[before];
        expect(JSON.parse(delivery?.body ?? '{}').model_name).toBe(renamed);
        expect(delivery?.headers.authorization).toBe(AUTHORIZATION);
      }
      expectStatus(await remove(webhook.id, a.token), 200);
    });

    it('goes with its model: a deleted model takes its webhooks, and a new model of the name inherits none', async () => {
      // Prepare
      const name = uniqueName('wh-deleted');
      expectStatus(
        await call('POST', `${MODELS}/create`, { body: { name } }),
        200
      );
      const webhook = await created({
        model_name: name,
        events: ['COMMENT_CREATED'],
        http_url_spec: { url: targetUrl(), secret: SECRET },
      });

      // Act
      expectStatus(
        await call('DELETE', `${MODELS}/delete`, { body: { name } }),
        200
      );
      expectStatus(
        await call('POST', `${MODELS}/create`, { body: { name } }),
        200
      );

      // Assess: gone for everyone, admins included.
      const byName = await list({ model_name: name });
      expectStatus(byName, 200);
      expect(byName.body.webhooks ?? []).toEqual([]);
      const all = await listAll({ max_results: 1000 });
      expect(all.all.map((listed) => listed.id)).not.toContain(webhook.id);
      expectError(
        await update({ id: webhook.id, description: 'x' }),
        404,
        'RESOURCE_DOES_NOT_EXIST'
      );
      expectError(
        await test({ id: webhook.id }),
        404,
        'RESOURCE_DOES_NOT_EXIST'
      );
      expectError(await remove(webhook.id), 404, 'RESOURCE_DOES_NOT_EXIST');
    });
  });

  describe.runIf(local)('test', () => {
    it('POSTs a signed mock event to the URL and answers the receiver status and body unwrapped', async () => {
      // Prepare
      const name = await model();
      const webhook = await created({
        model_name: name,
        events: ['MODEL_VERSION_TRANSITIONED_STAGE', 'COMMENT_CREATED'],
        status: 'TEST_MODE',
        http_url_spec: {
          url: receiver.url,
          secret: SECRET,
          authorization: AUTHORIZATION,
        },
      });
      receiver.respondWith(202, 'accepted by receiver');
      const before = receiver.received.length;

      // Act
      const response = await test({
        id: webhook.id,
        event: 'COMMENT_CREATED',
      });

      // Assess
      receiver.respondWith(200, '{"ok":true}');
      expectStatus(response, 200);
      expect(response.body).toEqual({
        status_code: 202,
        body: 'accepted by receiver',
      });
      expect(receiver.received.length).toBe(before + 1);
      const delivery = receiver.received[before];
      if (!delivery) throw new Error('no delivery');
      expect(delivery.method).toBe('POST');
      expect(delivery.path).toBe('/hook');
      expect(delivery.headers['content-type']).toBe('application/json');
      expect(delivery.headers.authorization).toBe(AUTHORIZATION);
      expect(delivery.headers['x-databricks-signature']).toMatch(
        /^[0-9a-f]{64}$/
      );
      expect(
        signatureVerifies(
          SECRET,
          delivery.body,
          delivery.headers['x-databricks-signature']
        )
      ).toBe(true);
      expect(
        signatureVerifies(
          'another secret',
          delivery.body,
          delivery.headers['x-databricks-signature']
        )
      ).toBe(false);
      expect(JSON.parse(delivery.body)).toEqual({
        event: 'COMMENT_CREATED',
        webhook_id: webhook.id,
        event_timestamp: expect.any(Number),
        model_name: name,
        version: '1',
        to_stage: 'Staging',
        from_stage: 'None',
        text: expect.any(String),
      });
      expectNoSecrets(response);
    });

    it('sends no signature without a secret, and uses the first event when none is given', async () => {
      // Prepare
      const webhook = await created({
        events: ['REGISTERED_MODEL_CREATED', 'COMMENT_CREATED'],
        http_url_spec: { url: receiver.url },
      });
      const before = receiver.received.length;

      // Act
      const response = await test({ id: webhook.id });

      // Assess
      expectStatus(response, 200);
      expect(response.body.status_code).toBe(200);
      const delivery = receiver.received[before];
      expect(delivery?.headers['x-databricks-signature']).toBeUndefined();
      expect(delivery?.headers.authorization).toBeUndefined();
      expect(JSON.parse(delivery?.body ?? '{}').event).toBe(
        'REGISTERED_MODEL_CREATED'
      );
    });

    it('refuses job webhooks, DISABLED webhooks, foreign events and unreachable receivers', async () => {
      // Prepare
      const name = await model();
      const job = await created({
        model_name: name,
        events: ['MODEL_VERSION_CREATED'],
        job_spec: { job_id: '7', access_token: ACCESS_TOKEN },
      });
      const disabled = await created({
        model_name: name,
        events: ['MODEL_VERSION_CREATED'],
        status: 'DISABLED',
        http_url_spec: { url: receiver.url },
      });
      const closed = await startWebhookReceiver();
      await closed.close();
      const unreachable = await created({
        model_name: name,
        events: ['MODEL_VERSION_CREATED'],
        http_url_spec: { url: closed.url },
      });

      // Act
      const jobTest = await test({ id: job.id });
      const disabledTest = await test({ id: disabled.id });
      const foreignEvent = await test({
        id: unreachable.id,
        event: 'COMMENT_CREATED',
      });
      const unreachableTest = await test({ id: unreachable.id });

      // Assess
      expectError(jobTest, 400, 'INVALID_PARAMETER_VALUE', /not supported/);
      expectError(disabledTest, 409, 'INVALID_STATE', /DISABLED/);
      expectError(foreignEvent, 400, 'INVALID_PARAMETER_VALUE');
      expectError(
        unreachableTest,
        400,
        'INVALID_PARAMETER_VALUE',
        /ECONNREFUSED/
      );
      expectNoSecrets(jobTest);
    });
  });
});
