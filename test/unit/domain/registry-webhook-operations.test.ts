import { describe, expect, it } from 'vitest';
import {
  InvalidParameterValueError,
  InvalidStateError,
  ResourceDoesNotExistError,
} from '#domain/errors.ts';
import type { Principal } from '#domain/principal.ts';
import { createRegisteredModel } from '#domain/registry/models.ts';
import {
  createWebhook,
  deleteWebhook,
  listWebhooks,
  testWebhook,
  updateWebhook,
  WEBHOOK_TEST_TIMEOUT_MS,
  type WebhookDependencies,
} from '#domain/registry/webhooks.ts';
import { webhookSignature } from '#domain/webhook.ts';
import type { WebhookRequest } from '#ports/webhook-sender.ts';
import { MemoryModelRegistryStore } from '#test/support/memory-model-registry-store.ts';
import { MemoryWebhookStore } from '#test/support/memory-webhook-store.ts';
import { alice, expectRefusal, NOW } from './support/registry.ts';

const admin: Principal = {
  id: '1',
  userName: 'admin',
  kind: 'user',
  isAdmin: true,
  groups: ['admins'],
};
const URL_A = 'https://hooks.example.com/a';
const URL_B = 'https://hooks.example.com/b';

function world() {
  let nextId = 0;
  const clock = { now: NOW };
  const store = new MemoryModelRegistryStore();
  const webhooks = new MemoryWebhookStore();
  const posted: WebhookRequest[] = [];
  const deps: WebhookDependencies = {
    store,
    webhooks,
    sender: {
      post: async (request) => {
        posted.push(request);
        return { statusCode: 202, body: 'queued' };
      },
    },
    now: () => clock.now,
    newId: () => (nextId++).toString(16).padStart(32, '0'),
    allowPrivateUrls: false,
  };
  const registry = { store, webhooks, now: () => clock.now, newId: deps.newId };
  return { deps, registry, webhooks, posted, clock };
}

type World = ReturnType<typeof world>;

async function httpWebhook(
  w: World,
  spec: { url?: string; secret?: string; authorization?: string } = {},
  events = ['MODEL_VERSION_CREATED', 'COMMENT_CREATED']
) {
  return createWebhook(w.deps, admin, {
    events,
    httpUrlSpec: { url: URL_A, ...spec },
  });
}

describe('registry webhook operations', () => {
  describe('createWebhook', () => {
    it('stores a registry-wide http webhook, ACTIVE by default', async () => {
      // Prepare
      const w = world();

      // Act
      const created = await createWebhook(w.deps, admin, {
        events: ['REGISTERED_MODEL_CREATED', 'REGISTERED_MODEL_CREATED'],
        description: 'all models',
        httpUrlSpec: { url: URL_A, secret: 's', enableSslVerification: false },
      });

      // Assess
      expect(created).toStrictEqual({
        id: '00000000000000000000000000000000',
        events: ['REGISTERED_MODEL_CREATED'],
        description: 'all models',
        status: 'ACTIVE',
        httpUrlSpec: { url: URL_A, secret: 's', enableSslVerification: false },
        creationTimestamp: NOW,
        lastUpdatedTimestamp: NOW,
      });
      expect(await w.webhooks.get(created.id)).toStrictEqual(created);
    });

    it("stores a job webhook on a model, answering the model's name", async () => {
      // Prepare
      const w = world();
      await createRegisteredModel(w.registry, alice, { name: 'fraud' });

      // Act
      const created = await createWebhook(w.deps, alice, {
        modelName: 'fraud',
        events: ['MODEL_VERSION_CREATED'],
        status: 'TEST_MODE',
        jobSpec: {
          jobId: '123',
          accessToken: 'dapi-job',
          workspaceUrl: 'https://dbc.example.com',
        },
      });

      // Assess
      expect(created).toMatchObject({
        modelName: 'fraud',
        status: 'TEST_MODE',
        jobSpec: {
          jobId: '123',
          accessToken: 'dapi-job',
          workspaceUrl: 'https://dbc.example.com',
        },
      });
      expect(created).not.toHaveProperty('httpUrlSpec');
    });

    it.each([
      [
        'an empty job id',
        { jobId: '', accessToken: 't' },
        "'job_spec' needs a non-empty 'job_id' and 'access_token'.",
      ],
      [
        'an empty access token',
        { jobId: '1', accessToken: '' },
        "'job_spec' needs a non-empty 'job_id' and 'access_token'.",
      ],
      [
        'a workspace URL that is not absolute',
        { jobId: '1', accessToken: 't', workspaceUrl: 'dbc.example.com' },
        "Invalid value for parameter 'job_spec.workspace_url': not an absolute URL.",
      ],
    ])(
      'refuses a job spec with %s, storing nothing',
      async (_, jobSpec, message) => {
        // Prepare
        const w = world();

        // Act
        const attempt = createWebhook(w.deps, admin, {
          events: ['MODEL_VERSION_CREATED'],
          jobSpec,
        });

        // Assess
        await expectRefusal(
          attempt,
          InvalidParameterValueError,
          'INVALID_PARAMETER_VALUE',
          message
        );
        expect(w.webhooks.ids()).toStrictEqual([]);
      }
    );

    it('refuses a model event on a model webhook only when it is registry-wide', async () => {
      // Prepare
      const w = world();
      await createRegisteredModel(w.registry, alice, { name: 'fraud' });

      // Act
      const attempt = createWebhook(w.deps, alice, {
        modelName: 'fraud',
        events: ['REGISTERED_MODEL_CREATED'],
        httpUrlSpec: { url: URL_A },
      });

      // Assess
      await expectRefusal(
        attempt,
        InvalidParameterValueError,
        'INVALID_PARAMETER_VALUE',
        "Event 'REGISTERED_MODEL_CREATED' is only valid for registry-wide webhooks"
      );
    });
  });

  describe('updateWebhook', () => {
    it('keeps the secret and authorization of an unchanged URL, and removes one given empty', async () => {
      // Prepare
      const w = world();
      const created = await httpWebhook(w, {
        secret: 'shh',
        authorization: 'Bearer x',
      });

      // Act
      const kept = await updateWebhook(w.deps, admin, {
        id: created.id,
        httpUrlSpec: { url: URL_A },
      });
      const cleared = await updateWebhook(w.deps, admin, {
        id: created.id,
        httpUrlSpec: { url: URL_A, secret: '' },
      });

      // Assess
      expect(kept.httpUrlSpec).toStrictEqual({
        url: URL_A,
        secret: 'shh',
        authorization: 'Bearer x',
        enableSslVerification: true,
      });
      expect(cleared.httpUrlSpec).toStrictEqual({
        url: URL_A,
        authorization: 'Bearer x',
        enableSslVerification: true,
      });
    });

    it('never hands the stored secrets to a new URL', async () => {
      // Prepare
      const w = world();
      const created = await httpWebhook(w, {
        secret: 'shh',
        authorization: 'Bearer x',
      });

      // Act
      const moved = await updateWebhook(w.deps, admin, {
        id: created.id,
        httpUrlSpec: { url: URL_B },
      });

      // Assess
      expect(moved.httpUrlSpec).toStrictEqual({
        url: URL_B,
        enableSslVerification: true,
      });
    });

    it('replaces an http target with a job target, and keeps the target when none is given', async () => {
      // Prepare
      const w = world();
      const created = await httpWebhook(w);

      // Act
      const job = await updateWebhook(w.deps, admin, {
        id: created.id,
        jobSpec: { jobId: '9', accessToken: 't' },
      });
      const described = await updateWebhook(w.deps, admin, {
        id: created.id,
        description: 'now a job',
        status: 'DISABLED',
      });

      // Assess
      expect(job).not.toHaveProperty('httpUrlSpec');
      expect(described).toMatchObject({
        description: 'now a job',
        status: 'DISABLED',
        jobSpec: { jobId: '9', accessToken: 't' },
      });
    });

    it('replaces the events, and never moves the update time backwards', async () => {
      // Prepare
      const w = world();
      const created = await httpWebhook(w);
      w.clock.now = NOW - 1000;

      // Act
      const updated = await updateWebhook(w.deps, admin, {
        id: created.id,
        events: ['TRANSITION_REQUEST_CREATED'],
      });

      // Assess
      expect(updated).toMatchObject({
        events: ['TRANSITION_REQUEST_CREATED'],
        creationTimestamp: NOW,
        lastUpdatedTimestamp: NOW,
      });
    });

    it('refuses both targets at once, changing nothing', async () => {
      // Prepare
      const w = world();
      const created = await httpWebhook(w);

      // Act
      const attempt = updateWebhook(w.deps, admin, {
        id: created.id,
        httpUrlSpec: { url: URL_B },
        jobSpec: { jobId: '1', accessToken: 't' },
      });

      // Assess
      await expectRefusal(
        attempt,
        InvalidParameterValueError,
        'INVALID_PARAMETER_VALUE',
        "At most one of 'http_url_spec' and 'job_spec' may be given."
      );
      expect(await w.webhooks.get(created.id)).toStrictEqual(created);
    });

    it('answers 404 for an unknown webhook, and for one deleted while it was updated', async () => {
      // Prepare
      const w = world();
      const created = await httpWebhook(w);
      const put = w.webhooks.put.bind(w.webhooks);
      w.webhooks.put = async (webhook) => {
        await w.webhooks.delete(webhook.id);
        return put(webhook);
      };

      // Act
      const unknown = updateWebhook(w.deps, admin, {
        id: 'f'.repeat(32),
        description: 'x',
      });
      const raced = updateWebhook(w.deps, admin, {
        id: created.id,
        description: 'x',
      });

      // Assess
      await expectRefusal(
        unknown,
        ResourceDoesNotExistError,
        'RESOURCE_DOES_NOT_EXIST',
        `Webhook with id ${'f'.repeat(32)} not found.`
      );
      await expectRefusal(
        raced,
        ResourceDoesNotExistError,
        'RESOURCE_DOES_NOT_EXIST'
      );
      expect(w.webhooks.ids()).toStrictEqual([]);
    });
  });

  describe('deleteWebhook', () => {
    it('deletes a webhook once; a second delete answers 404', async () => {
      // Prepare
      const w = world();
      const created = await httpWebhook(w);

      // Act
      await deleteWebhook(w.deps, admin, { id: created.id });
      const again = deleteWebhook(w.deps, admin, { id: created.id });

      // Assess
      expect(w.webhooks.ids()).toStrictEqual([]);
      await expectRefusal(
        again,
        ResourceDoesNotExistError,
        'RESOURCE_DOES_NOT_EXIST'
      );
    });

    it('answers 404 when a concurrent delete won', async () => {
      // Prepare
      const w = world();
      const created = await httpWebhook(w);
      const remove = w.webhooks.delete.bind(w.webhooks);
      w.webhooks.delete = async (id) => {
        await remove(id);
        return remove(id);
      };

      // Act
      const attempt = deleteWebhook(w.deps, admin, { id: created.id });

      // Assess
      await expectRefusal(
        attempt,
        ResourceDoesNotExistError,
        'RESOURCE_DOES_NOT_EXIST'
      );
    });
  });

  describe('listWebhooks', () => {
    it('keeps the webhooks having at least one of the events asked for', async () => {
      // Prepare
      const w = world();
      const created = await httpWebhook(w, {}, ['COMMENT_CREATED']);
      await httpWebhook(w, {}, ['MODEL_VERSION_CREATED']);
      const both = await httpWebhook(w, {}, [
        'MODEL_VERSION_CREATED',
        'COMMENT_CREATED',
      ]);

      // Act
      const page = await listWebhooks(w.deps, admin, {
        events: ['COMMENT_CREATED', 'TRANSITION_REQUEST_CREATED'],
      });

      // Assess
      expect(page.webhooks.map((hook) => hook.id)).toStrictEqual([
        created.id,
        both.id,
      ]);
    });

    it('pages in id order, each page full until the last, which has no token', async () => {
      // Prepare
      const w = world();
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) ids.push((await httpWebhook(w)).id);

      // Act
      const first = await listWebhooks(w.deps, admin, { maxResults: 2 });
      const second = await listWebhooks(w.deps, admin, {
        maxResults: 2,
        pageToken: first.nextPageToken,
      });
      const third = await listWebhooks(w.deps, admin, {
        maxResults: 2,
        pageToken: second.nextPageToken,
      });

      // Assess
      expect(
        [first, second, third].map((page) => page.webhooks.map((h) => h.id))
      ).toStrictEqual([ids.slice(0, 2), ids.slice(2, 4), ids.slice(4)]);
      expect(third.nextPageToken).toBeUndefined();
    });

    it("refuses a page token of another model's listing, or a garbled one", async () => {
      // Prepare
      const w = world();
      await createRegisteredModel(w.registry, alice, { name: 'fraud' });
      for (let i = 0; i < 2; i += 1) await httpWebhook(w);
      const { nextPageToken } = await listWebhooks(w.deps, admin, {
        maxResults: 1,
      });

      // Act
      const otherModel = listWebhooks(w.deps, admin, {
        modelName: 'fraud',
        pageToken: nextPageToken,
      });
      const garbled = listWebhooks(w.deps, admin, { pageToken: 'e30' });

      // Assess
      await expectRefusal(
        otherModel,
        InvalidParameterValueError,
        'INVALID_PARAMETER_VALUE',
        'Invalid page token.'
      );
      await expectRefusal(
        garbled,
        InvalidParameterValueError,
        'INVALID_PARAMETER_VALUE'
      );
    });
  });

  describe('testWebhook', () => {
    it('posts the test payload of the event asked for, signed with the secret, and answers the receiver', async () => {
      // Prepare
      const w = world();
      const created = await httpWebhook(w, {
        secret: 'shh',
        authorization: 'Bearer x',
      });
      w.clock.now = NOW + 7;

      // Act
      const answer = await testWebhook(w.deps, admin, {
        id: created.id,
        event: 'COMMENT_CREATED',
      });

      // Assess
      expect(answer).toStrictEqual({ statusCode: 202, body: 'queued' });
      const [request] = w.posted;
      expect(request).toMatchObject({
        url: URL_A,
        verifyTls: true,
        timeoutMs: WEBHOOK_TEST_TIMEOUT_MS,
        headers: {
          'content-type': 'application/json',
          authorization: 'Bearer x',
          'x-databricks-signature': webhookSignature(
            'shh',
            request?.body ?? ''
          ),
        },
      });
      expect(JSON.parse(request?.body ?? '{}')).toMatchObject({
        event: 'COMMENT_CREATED',
        webhook_id: created.id,
        event_timestamp: NOW + 7,
      });
    });

    it('uses the first event when none is asked for, and sends no signature without a secret', async () => {
      // Prepare
      const w = world();
      const created = await httpWebhook(w);

      // Act
      await testWebhook(w.deps, admin, { id: created.id, event: '' });

      // Assess
      expect(JSON.parse(w.posted[0]?.body ?? '{}').event).toBe(
        'MODEL_VERSION_CREATED'
      );
      expect(w.posted[0]?.headers).toStrictEqual({
        'content-type': 'application/json',
      });
    });

    it.each([
      [
        'an unknown event',
        'NO_SUCH_EVENT',
        "Invalid value 'NO_SUCH_EVENT' for parameter 'event'.",
      ],
      [
        'an event the webhook is not registered for',
        'TRANSITION_REQUEST_CREATED',
        "is not registered for event 'TRANSITION_REQUEST_CREATED'.",
      ],
    ])('refuses %s, posting nothing', async (_, event, message) => {
      // Prepare
      const w = world();
      const created = await httpWebhook(w);

      // Act
      const attempt = testWebhook(w.deps, admin, { id: created.id, event });

      // Assess
      await expectRefusal(
        attempt,
        InvalidParameterValueError,
        'INVALID_PARAMETER_VALUE',
        message
      );
      expect(w.posted).toStrictEqual([]);
    });

    it('refuses a job webhook (400) and a DISABLED one (409), posting nothing', async () => {
      // Prepare
      const w = world();
      const job = await createWebhook(w.deps, admin, {
        events: ['MODEL_VERSION_CREATED'],
        jobSpec: { jobId: '1', accessToken: 't' },
      });
      const disabled = await createWebhook(w.deps, admin, {
        events: ['MODEL_VERSION_CREATED'],
        status: 'DISABLED',
        httpUrlSpec: { url: URL_A },
      });

      // Act
      const ofJob = testWebhook(w.deps, admin, { id: job.id });
      const ofDisabled = testWebhook(w.deps, admin, { id: disabled.id });

      // Assess
      await expectRefusal(
        ofJob,
        InvalidParameterValueError,
        'INVALID_PARAMETER_VALUE',
        'Testing job webhooks (job_spec) is not supported in this release.'
      );
      await expectRefusal(
        ofDisabled,
        InvalidStateError,
        'INVALID_STATE',
        `Webhook ${disabled.id} is DISABLED`
      );
      expect(w.posted).toStrictEqual([]);
    });

    it('checks the URL again: a private URL allowed once is refused where private URLs are not', async () => {
      // Prepare
      const w = world();
      const created = await createWebhook(
        { ...w.deps, allowPrivateUrls: true },
        admin,
        {
          events: ['MODEL_VERSION_CREATED'],
          httpUrlSpec: { url: 'http://127.0.0.1:9/hook' },
        }
      );

      // Act
      const attempt = testWebhook(w.deps, admin, { id: created.id });

      // Assess
      await expectRefusal(
        attempt,
        InvalidParameterValueError,
        'INVALID_PARAMETER_VALUE',
        'the scheme must be https'
      );
      expect(w.posted).toStrictEqual([]);
    });
  });
});
