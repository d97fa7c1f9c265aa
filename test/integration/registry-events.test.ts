import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, MLFLOW, uniqueName } from '../support/api.ts';
import {
  type ReceivedWebhook,
  signatureVerifies,
  standardSignatureVerifies,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../support/webhook-receiver.ts';
import type { UserWithToken } from './support/principals.ts';
import {
  COMMENTS,
  createUsers,
  type ErrorJson,
  expectStatus,
  grantLevels,
  HEX_ID,
  NOTIFICATIONS,
  REQUESTS,
  SETTINGS,
} from './support/requests.ts';

/**
 * Registry events delivered to webhooks on a local stack (the receiver is
 * on 127.0.0.1): every event fires once per change, in Databricks' payload
 * shape, signed with `X-Databricks-Signature` and Standard Webhooks'
 * headers; retries with backoff, dead-lettering, the delivery log and
 * redeliver; reminders and expiry notices. The stack runs with three
 * attempts per delivery, tenths of a second apart (global-setup.ts).
 */

const WEBHOOKS = `${MLFLOW}/registry-webhooks`;
const DELIVERIES = '/api/2.0/stagegate/registry-webhooks/deliveries';
const local = process.env.STAGEGATE_URL === undefined;
const SECRET = 'events-secret-0123456789';

interface DeliveryJson {
  id: string;
  webhook_id: string;
  event: string;
  event_id: string;
  message_id: string;
  status: string;
  attempts: { attempt: number; status_code?: number; latency_ms: number }[];
  reason?: string;
  redelivery_of?: string;
}

let receiver: WebhookReceiver;
let reader: UserWithToken;
let approver: UserWithToken;
let stranger: UserWithToken;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  [reader, approver, stranger] = (await createUsers(3)) as [
    UserWithToken,
    UserWithToken,
    UserWithToken,
  ];
});

afterAll(async () => {
  await receiver?.close();
});

async function webhook(body: Record<string, unknown>): Promise<string> {
  const created = await call<{ webhook: { id: string } } & ErrorJson>(
    'POST',
    `${WEBHOOKS}/create`,
    {
      body: {
        http_url_spec: { url: receiver.url, secret: SECRET },
        ...body,
      },
    }
  );
  expectStatus(created, 200);
  return created.body.webhook.id;
}

function payloadOf(received: ReceivedWebhook): Record<string, unknown> {
  return JSON.parse(received.body) as Record<string, unknown>;
}

/** What the receiver got for one webhook, as parsed payloads. */
function bodiesFor(webhookId: string): Record<string, unknown>[] {
  return receiver.received
    .map(payloadOf)
    .filter((body) => body.webhook_id === webhookId);
}

function eventsFor(webhookId: string): string[] {
  return bodiesFor(webhookId).map((body) => String(body.event));
}

async function deliveries(webhookId: string, token?: string) {
  return call<
    { deliveries?: DeliveryJson[]; next_page_token?: string } & ErrorJson
  >('GET', `${DELIVERIES}/list`, {
    query: { id: webhookId },
    ...(token === undefined ? {} : { token }),
  });
}

/** Polls the delivery log until `done` holds for it. */
async function logUntil(
  webhookId: string,
  done: (log: DeliveryJson[]) => boolean
): Promise<DeliveryJson[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const page = await deliveries(webhookId);
    expectStatus(page, 200);
    const log = page.body.deliveries ?? [];
    if (done(log)) return log;
    if (Date.now() > deadline) {
      throw new Error(`Delivery log never matched: ${JSON.stringify(log)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function newModel(): Promise<{ name: string; id: string }> {
  const name = uniqueName('ev');
  const created = await call<{ registered_model: { name: string } }>(
    'POST',
    `${MLFLOW}/registered-models/create`,
    { body: { name } }
  );
  expectStatus(created, 200);
  const got = await call<{ registered_model_databricks: { id: string } }>(
    'GET',
    `${MLFLOW}/databricks/registered-models/get`,
    { query: { name } }
  );
  expectStatus(got, 200);
  return { name, id: got.body.registered_model_databricks.id };
}

async function ok(method: string, path: string, body: unknown, token?: string) {
  const response = await call<ErrorJson>(method, path, {
    body,
    ...(token === undefined ? {} : { token }),
  });
  expectStatus(response, 200);
  return response.body as unknown as Record<string, unknown>;
}

describe.runIf(local)('registry events to webhooks', () => {
  it('fires every event once per change, in Databricks’ shape, with both signatures', async () => {
    // Prepare: a model-level webhook on every event, extensions included.
    const model = await newModel();
    await grantLevels(model.id, [
      [reader, 'CAN_READ'],
      [approver, 'CAN_MANAGE_PRODUCTION_VERSIONS'],
    ]);
    const id = await webhook({
      model_name: model.name,
      events: [
        'MODEL_VERSION_CREATED',
        'MODEL_VERSION_TAG_SET',
        'MODEL_VERSION_TRANSITIONED_STAGE',
        'MODEL_VERSION_TRANSITIONED_TO_STAGING',
        'MODEL_VERSION_TRANSITIONED_TO_PRODUCTION',
        'MODEL_VERSION_TRANSITIONED_TO_ARCHIVED',
        'TRANSITION_REQUEST_CREATED',
        'TRANSITION_REQUEST_TO_STAGING_CREATED',
        'TRANSITION_REQUEST_TO_PRODUCTION_CREATED',
        'TRANSITION_REQUEST_TO_ARCHIVED_CREATED',
        'COMMENT_CREATED',
        'TRANSITION_REQUEST_APPROVED',
        'TRANSITION_REQUEST_REJECTED',
        'TRANSITION_REQUEST_CANCELLED',
      ],
    });
    const name = model.name;

    // Act: one of each change.
    await ok('POST', `${MLFLOW}/model-versions/create`, {
      name,
      source: 's3://events/1',
    });
    await ok('POST', `${MLFLOW}/model-versions/set-tag`, {
      name,
      version: '1',
      key: 'team',
      value: 'risk',
    });
    await ok('POST', `${MLFLOW}/model-versions/transition-stage`, {
      name,
      version: '1',
      stage: 'Staging',
      archive_existing_versions: false,
    });
    await ok('POST', `${COMMENTS}/create`, {
      name,
      version: '1',
      comment: 'Raw text content of the comment',
    });
    const request = (await ok(
      'POST',
      `${REQUESTS}/create`,
      { name, version: '1', stage: 'Production', comment: 'ship it' },
      reader.token
    )) as { request: { id: string } };
    await ok(
      'POST',
      `${REQUESTS}/approve`,
      {
        name,
        version: '1',
        stage: 'Production',
        archive_existing_versions: false,
      },
      approver.token
    );
    await receiver.until(() =>
      eventsFor(id).includes('MODEL_VERSION_TRANSITIONED_TO_PRODUCTION')
    );
    await ok(
      'POST',
      `${REQUESTS}/create`,
      { name, version: '1', stage: 'Archived' },
      reader.token
    );
    await ok('POST', `${REQUESTS}/reject`, {
      name,
      version: '1',
      stage: 'Archived',
    });
    await ok(
      'POST',
      `${REQUESTS}/create`,
      { name, version: '1', stage: 'Staging' },
      reader.token
    );
    const cancelled = await call<ErrorJson>('DELETE', `${REQUESTS}/delete`, {
      query: {
        name,
        version: '1',
        stage: 'Staging',
        creator: reader.userName,
      },
      token: reader.token,
    });
    expectStatus(cancelled, 200);
    await ok('POST', `${MLFLOW}/model-versions/transition-stage`, {
      name,
      version: '1',
      stage: 'Archived',
      archive_existing_versions: false,
    });

    // Assess: each event once, as the log says too.
    const expected = [
      'MODEL_VERSION_CREATED',
      'MODEL_VERSION_TAG_SET',
      'MODEL_VERSION_TRANSITIONED_STAGE',
      'MODEL_VERSION_TRANSITIONED_TO_STAGING',
      'COMMENT_CREATED',
      'TRANSITION_REQUEST_CREATED',
      'TRANSITION_REQUEST_TO_PRODUCTION_CREATED',
      'TRANSITION_REQUEST_APPROVED',
      'MODEL_VERSION_TRANSITIONED_STAGE',
      'MODEL_VERSION_TRANSITIONED_TO_PRODUCTION',
      'TRANSITION_REQUEST_CREATED',
      'TRANSITION_REQUEST_TO_ARCHIVED_CREATED',
      'TRANSITION_REQUEST_REJECTED',
      'TRANSITION_REQUEST_CREATED',
      'TRANSITION_REQUEST_TO_STAGING_CREATED',
      'TRANSITION_REQUEST_CANCELLED',
      'MODEL_VERSION_TRANSITIONED_STAGE',
      'MODEL_VERSION_TRANSITIONED_TO_ARCHIVED',
    ];
    await receiver.until(() => eventsFor(id).length >= expected.length);
    const log = await logUntil(
      id,
      (entries) =>
        entries.length === expected.length &&
        entries.every((entry) => entry.status === 'DELIVERED')
    );
    expect(eventsFor(id).sort()).toEqual([...expected].sort());
    expect(log.every((entry) => entry.attempts.length === 1)).toBe(true);
    expect(new Set(log.map((entry) => entry.message_id)).size).toBe(
      expected.length
    );

    const mine = receiver.received.filter(
      (r) => payloadOf(r).webhook_id === id
    );
    for (const received of mine) {
      expect(received.headers['content-type']).toBe('application/json');
      expect(
        signatureVerifies(
          SECRET,
          received.body,
          received.headers['x-databricks-signature']
        )
      ).toBe(true);
      expect(
        standardSignatureVerifies(SECRET, received.headers, received.body)
      ).toBe(true);
      expect(received.headers['webhook-id']).toMatch(HEX_ID);
    }
    const bodies = bodiesFor(id);
    const transitioned = bodies.find(
      (b) => b.event === 'MODEL_VERSION_TRANSITIONED_TO_PRODUCTION'
    );
    // Databricks' documented example, field for field and in its order.
    expect(Object.keys(transitioned ?? {})).toEqual([
      'event',
      'webhook_id',
      'event_timestamp',
      'model_name',
      'version',
      'to_stage',
      'from_stage',
      'text',
    ]);
    expect(transitioned).toEqual({
      event: 'MODEL_VERSION_TRANSITIONED_TO_PRODUCTION',
      webhook_id: id,
      event_timestamp: expect.any(Number),
      model_name: name,
      version: '1',
      to_stage: 'Production',
      from_stage: 'Staging',
      text: `Registered model '${name}' version 1 transitioned from Staging to Production.`,
    });
    expect(bodies.find((b) => b.event === 'MODEL_VERSION_TAG_SET')).toEqual(
      expect.objectContaining({
        tags: [{ key: 'team', value: 'risk' }],
        version: '1',
      })
    );
    expect(bodies.find((b) => b.event === 'COMMENT_CREATED')).toEqual(
      expect.objectContaining({
        comment: 'Raw text content of the comment',
        text: `A user commented on registered model '${name}' version 1.`,
      })
    );
    expect(
      bodies.find((b) => b.event === 'TRANSITION_REQUEST_TO_PRODUCTION_CREATED')
    ).toEqual(
      expect.objectContaining({
        to_stage: 'Production',
        from_stage: 'Staging',
        request_id: request.request.id,
        requester: reader.userName,
      })
    );
    expect(
      bodies.find((b) => b.event === 'TRANSITION_REQUEST_APPROVED')
    ).toEqual(
      expect.objectContaining({
        request_id: request.request.id,
        recipients: [{ user_name: reader.userName }],
      })
    );
  });

  it('sends REGISTERED_MODEL_CREATED to registry-wide webhooks, and nothing to TEST_MODE, DISABLED or unsubscribed ones', async () => {
    // Prepare
    const wide = await webhook({ events: ['REGISTERED_MODEL_CREATED'] });
    const testMode = await webhook({
      events: ['REGISTERED_MODEL_CREATED'],
      status: 'TEST_MODE',
    });
    const disabled = await webhook({
      events: ['REGISTERED_MODEL_CREATED'],
      status: 'DISABLED',
    });

    // Act
    const model = await newModel();
    await receiver.until(() =>
      bodiesFor(wide).some((b) => b.model_name === model.name)
    );
    // One more change after it: anything wrongly queued for the others
    // would have been delivered before this one.
    const later = await newModel();
    await receiver.until(() =>
      bodiesFor(wide).some((b) => b.model_name === later.name)
    );

    // Assess
    expect(bodiesFor(wide).filter((b) => b.model_name === model.name)).toEqual([
      {
        event: 'REGISTERED_MODEL_CREATED',
        webhook_id: wide,
        event_timestamp: expect.any(Number),
        model_name: model.name,
        text: `Registered model '${model.name}' was created.`,
      },
    ]);
    expect(bodiesFor(testMode)).toEqual([]);
    expect(bodiesFor(disabled)).toEqual([]);
    for (const id of [wide, testMode, disabled]) {
      await call('DELETE', `${WEBHOOKS}/delete`, { query: { id } });
    }
  });

  it('retries a receiver that fails twice and delivers once; the log shows three attempts', async () => {
    // Prepare
    const model = await newModel();
    const id = await webhook({
      model_name: model.name,
      events: ['MODEL_VERSION_CREATED'],
    });
    receiver.failNext((body) => body.includes(id), [500, 503]);

    // Act
    await ok('POST', `${MLFLOW}/model-versions/create`, {
      name: model.name,
      source: 's3://events/retry',
    });
    const [entry] = await logUntil(id, (log) => log[0]?.status === 'DELIVERED');

    // Assess
    const got = receiver.received.filter((r) => payloadOf(r).webhook_id === id);
    expect(got.map((r) => r.status)).toEqual([500, 503, 200]);
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(entry?.attempts.map((a) => a.status_code)).toEqual([500, 503, 200]);
    expect(entry?.attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
  });

  it('gives up after the attempt limit, and at once on a refusal (dead-lettered)', async () => {
    // Prepare
    const model = await newModel();
    const id = await webhook({
      model_name: model.name,
      events: ['MODEL_VERSION_CREATED', 'MODEL_VERSION_TAG_SET'],
    });
    receiver.failNext(
      (body) => body.includes(id) && body.includes('MODEL_VERSION_CREATED'),
      [500, 502, 503]
    );
    receiver.failNext(
      (body) => body.includes(id) && body.includes('MODEL_VERSION_TAG_SET'),
      [410]
    );

    // Act
    await ok('POST', `${MLFLOW}/model-versions/create`, {
      name: model.name,
      source: 's3://events/dead',
    });
    await ok('POST', `${MLFLOW}/model-versions/set-tag`, {
      name: model.name,
      version: '1',
      key: 'k',
      value: 'v',
    });
    const log = await logUntil(
      id,
      (entries) =>
        entries.length === 2 && entries.every((e) => e.status === 'FAILED')
    );

    // Assess
    const created = log.find((e) => e.event === 'MODEL_VERSION_CREATED');
    const tagged = log.find((e) => e.event === 'MODEL_VERSION_TAG_SET');
    expect(created?.attempts.map((a) => a.status_code)).toEqual([
      500, 502, 503,
    ]);
    expect(created?.reason).toBe('Gave up after 3 attempts.');
    expect(tagged?.attempts.map((a) => a.status_code)).toEqual([410]);
    expect(tagged?.reason).toBe('The receiver refused it with HTTP 410.');
  });

  it('redelivers a logged delivery as the same message, for its managers only', async () => {
    // Prepare
    const model = await newModel();
    const id = await webhook({
      model_name: model.name,
      events: ['MODEL_VERSION_CREATED'],
    });
    await ok('POST', `${MLFLOW}/model-versions/create`, {
      name: model.name,
      source: 's3://events/again',
    });
    const [first] = await logUntil(id, (log) => log[0]?.status === 'DELIVERED');
    if (!first) throw new Error('no delivery');

    // Act
    const refused = await call<ErrorJson>('POST', `${DELIVERIES}/redeliver`, {
      body: { id, delivery_id: first.id },
      token: stranger.token,
    });
    const listedByStranger = await deliveries(id, stranger.token);
    const unknown = await call<ErrorJson>('POST', `${DELIVERIES}/redeliver`, {
      body: { id, delivery_id: 'f'.repeat(32) },
    });
    const again = await call<{ delivery: DeliveryJson } & ErrorJson>(
      'POST',
      `${DELIVERIES}/redeliver`,
      { body: { id, delivery_id: first.id } }
    );
    expectStatus(again, 200);
    const log = await logUntil(
      id,
      (entries) =>
        entries.length === 2 && entries.every((e) => e.status === 'DELIVERED')
    );

    // Assess
    expectStatus(refused, 403);
    expectStatus(listedByStranger, 403);
    expectStatus(unknown, 404);
    expect(again.body.delivery).toMatchObject({
      status: 'PENDING',
      redelivery_of: first.id,
      message_id: first.message_id,
      event: 'MODEL_VERSION_CREATED',
    });
    expect(log[0]?.id).toBe(again.body.delivery.id);
    const got = receiver.received.filter((r) => payloadOf(r).webhook_id === id);
    expect(got).toHaveLength(2);
    expect(got[0]?.body).toBe(got[1]?.body);
    expect(got[1]?.headers['webhook-id']).toBe(first.message_id);
  });

  it('pages the delivery log newest first, and refuses a forged page token', async () => {
    // Prepare
    const model = await newModel();
    const id = await webhook({
      model_name: model.name,
      events: ['MODEL_VERSION_TAG_SET'],
    });
    for (const value of ['a', 'b', 'c']) {
      await ok('POST', `${MLFLOW}/model-versions/create`, {
        name: model.name,
        source: `s3://events/${value}`,
      });
    }
    for (const value of ['a', 'b', 'c']) {
      await ok('POST', `${MLFLOW}/model-versions/set-tag`, {
        name: model.name,
        version: '1',
        key: 'k',
        value,
      });
    }
    await logUntil(id, (log) => log.length === 3);

    // Act
    const pages: DeliveryJson[][] = [];
    let token: string | undefined;
    do {
      const page = await call<
        { deliveries?: DeliveryJson[]; next_page_token?: string } & ErrorJson
      >('GET', `${DELIVERIES}/list`, {
        query: {
          id,
          max_results: 2,
          ...(token === undefined ? {} : { page_token: token }),
        },
      });
      expectStatus(page, 200);
      pages.push(page.body.deliveries ?? []);
      token = page.body.next_page_token;
    } while (token !== undefined);
    const forged = await call<ErrorJson>('GET', `${DELIVERIES}/list`, {
      query: {
        id,
        page_token: Buffer.from('{"webhook":"x","from":"y"}').toString(
          'base64url'
        ),
      },
    });

    // Assess
    expect(pages.map((page) => page.length)).toEqual([2, 1]);
    const values = pages
      .flat()
      .map((d) => String(d.attempts.length >= 0 && d.event_id));
    expect(new Set(values).size).toBe(3);
    expectStatus(forged, 400);
    expect(forged.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });
});

describe.runIf(local)('registration results', () => {
  it('announces a version whose artifacts were registered (extension event)', async () => {
    // Prepare: one small file uploaded through the registry.
    const { createHash } = await import('node:crypto');
    const model = await newModel();
    const id = await webhook({
      model_name: model.name,
      events: ['MODEL_VERSION_REGISTRATION_READY'],
    });
    const data = Buffer.from('flavors: {}\n');
    const created = await call<
      { upload_id: string; files: { path: string; url: string }[] } & ErrorJson
    >('POST', '/api/2.0/stagegate/uploads/create', {
      body: {
        name: model.name,
        files: [{ path: 'MLmodel', size: data.length }],
      },
    });
    expectStatus(created, 200);
    const [target] = created.body.files;
    const put = await fetch(target?.url ?? '', { method: 'PUT', body: data });
    expect(put.status).toBe(200);
    const completed = await call<{ source: string } & ErrorJson>(
      'POST',
      '/api/2.0/stagegate/uploads/complete',
      {
        body: {
          upload_id: created.body.upload_id,
          files: [
            {
              path: 'MLmodel',
              size: data.length,
              sha256: createHash('sha256').update(data).digest('hex'),
            },
          ],
        },
      }
    );
    expectStatus(completed, 200);

    // Act
    await ok('POST', `${MLFLOW}/model-versions/create`, {
      name: model.name,
      source: completed.body.source,
    });
    await receiver.until(() => bodiesFor(id).length > 0, 60_000);

    // Assess
    expect(bodiesFor(id)).toEqual([
      expect.objectContaining({
        event: 'MODEL_VERSION_REGISTRATION_READY',
        model_name: model.name,
        version: '1',
        status: 'READY',
      }),
    ]);
  });
});

describe.runIf(local)('reminders and expiry notices', () => {
  it('reminds the possible approvers of a request once, however often the job runs', async () => {
    // Prepare
    const model = await newModel();
    await grantLevels(model.id, [
      [reader, 'CAN_READ'],
      [approver, 'CAN_MANAGE_PRODUCTION_VERSIONS'],
    ]);
    await ok('POST', `${MLFLOW}/model-versions/create`, {
      name: model.name,
      source: 's3://events/remind',
    });
    const settings = await call<ErrorJson>('PATCH', SETTINGS, {
      body: { name: model.name, reminder_after_seconds: 1 },
    });
    expectStatus(settings, 200);
    const id = await webhook({
      model_name: model.name,
      events: ['TRANSITION_REQUEST_REMINDER'],
    });
    const created = (await ok(
      'POST',
      `${REQUESTS}/create`,
      { name: model.name, version: '1', stage: 'Production' },
      reader.token
    )) as { request: { id: string } };

    // Act: the job runs until the request is old enough, then twice more.
    const runJob = async () => {
      const run = await call('POST', '/__stagegate/jobs/reminders', {
        body: {},
      });
      expectStatus(run, 200);
    };
    const deadline = Date.now() + 20_000;
    while (bodiesFor(id).length === 0 && Date.now() < deadline) {
      await runJob();
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await runJob();
    await runJob();
    await logUntil(id, (log) => log.every((e) => e.status === 'DELIVERED'));

    // Assess
    expect(bodiesFor(id)).toEqual([
      expect.objectContaining({
        event: 'TRANSITION_REQUEST_REMINDER',
        model_name: model.name,
        version: '1',
        request_id: created.request.id,
        requester: reader.userName,
        recipients: expect.arrayContaining([
          { user_name: approver.userName },
          { group_name: 'admins' },
        ]),
      }),
    ]);
    const recipients = bodiesFor(id)[0]?.recipients as unknown[];
    expect(recipients).not.toContainEqual({ user_name: reader.userName });
  });

  it('tells the requester when a request expires, and lists the notices of a version', async () => {
    // Prepare
    const model = await newModel();
    await grantLevels(model.id, [[reader, 'CAN_READ']]);
    await ok('POST', `${MLFLOW}/model-versions/create`, {
      name: model.name,
      source: 's3://events/expire',
    });
    await ok(
      'PATCH',
      SETTINGS,
      { name: model.name, request_expiry_seconds: 1 },
      undefined
    );
    const id = await webhook({
      model_name: model.name,
      events: ['TRANSITION_REQUEST_EXPIRED'],
    });

    // Act
    const created = (await ok(
      'POST',
      `${REQUESTS}/create`,
      { name: model.name, version: '1', stage: 'Staging' },
      reader.token
    )) as { request: { id: string } };
    await receiver.until(() => bodiesFor(id).length > 0);
    const notices = await call<{
      notifications: {
        event: string;
        request_id: string;
        recipients: unknown[];
      }[];
    }>('GET', NOTIFICATIONS, { query: { name: model.name, version: '1' } });

    // Assess
    expect(bodiesFor(id)).toEqual([
      expect.objectContaining({
        event: 'TRANSITION_REQUEST_EXPIRED',
        request_id: created.request.id,
        recipients: [{ user_name: reader.userName }],
      }),
    ]);
    expectStatus(notices, 200);
    expect(
      notices.body.notifications.map((n) => [n.event, n.request_id])
    ).toEqual([
      ['TRANSITION_REQUEST_CREATED', created.request.id],
      ['TRANSITION_REQUEST_EXPIRED', created.request.id],
    ]);
  });
});
