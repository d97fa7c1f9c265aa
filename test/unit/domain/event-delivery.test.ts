import { describe, expect, it } from 'vitest';
import type { BusEntry, RegistryEvent } from '#domain/events.ts';
import { modelVersionTransitioned } from '#domain/events.ts';
import {
  type DeliveryDependencies,
  type DispatchDependencies,
  deliverMessage,
  dispatchEvent,
  dispatchPending,
} from '#domain/registry/event-delivery.ts';
import { type Webhook, WebhookDeliveryError } from '#domain/webhook.ts';
import { DEFAULT_RETRY_POLICY } from '#domain/webhook-delivery.ts';
import type { DeliveryMessage, DeliveryQueue } from '#ports/delivery-queue.ts';
import type {
  WebhookRequest,
  WebhookResponse,
  WebhookSender,
} from '#ports/webhook-sender.ts';
import { MemoryDeliveryStore } from '#test/support/memory-delivery-store.ts';
import { MemoryOutboxStore } from '#test/support/memory-outbox-store.ts';
import { MemoryWebhookStore } from '#test/support/memory-webhook-store.ts';

const T0 = 1_700_000_000_000;
const MODEL = 'a'.repeat(32);
const OTHER = 'b'.repeat(32);

function hex(index: number): string {
  return index.toString(16).padStart(32, '0');
}

function aWebhook(index: number, overrides: Partial<Webhook> = {}): Webhook {
  return {
    id: hex(index),
    modelId: MODEL,
    events: ['MODEL_VERSION_TRANSITIONED_STAGE'],
    status: 'ACTIVE',
    httpUrlSpec: {
      url: 'https://hooks.example.com/x',
      secret: 's',
      enableSslVerification: true,
    },
    creationTimestamp: T0,
    lastUpdatedTimestamp: T0,
    ...overrides,
  };
}

class RecordingQueue implements DeliveryQueue {
  readonly queued: { message: DeliveryMessage; delayMs: number }[] = [];
  readonly dead: DeliveryMessage[] = [];

  async enqueue(messages: readonly DeliveryMessage[], delayMs = 0) {
    for (const message of messages) this.queued.push({ message, delayMs });
  }

  async deadLetter(message: DeliveryMessage) {
    this.dead.push(message);
  }
}

class ScriptedSender implements WebhookSender {
  readonly sent: WebhookRequest[] = [];
  readonly answers: (WebhookResponse | Error)[] = [];

  async post(request: WebhookRequest): Promise<WebhookResponse> {
    this.sent.push(request);
    const answer = this.answers.shift() ?? { statusCode: 200, body: '' };
    if (answer instanceof Error) throw answer;
    return answer;
  }
}

function transitionEvent(id = hex(0xe1)): RegistryEvent {
  return modelVersionTransitioned(
    { id, at: T0 },
    { id: MODEL, name: 'fraud' },
    { version: 1, from: 'None', to: 'Production' },
    'bob'
  );
}

function dispatchWorld(webhooks: Webhook[]) {
  const store = new MemoryWebhookStore();
  const outbox = new MemoryOutboxStore();
  const deliveries = new MemoryDeliveryStore();
  const queue = new RecordingQueue();
  const published: BusEntry[] = [];
  const deps: DispatchDependencies = {
    outbox,
    webhooks: store,
    deliveries,
    queue,
    bus: { publish: async (entries) => void published.push(...entries) },
    store: {
      getModelRecordById: async (id) =>
        id === MODEL
          ? ({ model: { id, name: 'fraud-now' } } as never)
          : undefined,
    },
    now: () => T0 + 10,
  };
  return {
    deps,
    outbox,
    deliveries,
    queue,
    published,
    ready: Promise.all(webhooks.map((webhook) => store.create(webhook))),
  };
}

describe('event delivery', () => {
  describe('dispatchEvent', () => {
    it('makes one delivery per subscribed ACTIVE http webhook and type, and publishes each type', async () => {
      // Prepare
      const world = dispatchWorld([
        aWebhook(1, {
          events: [
            'MODEL_VERSION_TRANSITIONED_STAGE',
            'MODEL_VERSION_TRANSITIONED_TO_PRODUCTION',
          ],
        }),
        aWebhook(2, { modelId: undefined }),
        aWebhook(3, { modelId: OTHER }),
        aWebhook(4, { status: 'TEST_MODE' }),
        aWebhook(5, { status: 'DISABLED' }),
        aWebhook(6, { events: ['COMMENT_CREATED'] }),
        aWebhook(7, {
          httpUrlSpec: undefined,
          jobSpec: { jobId: '1', accessToken: 't' },
        }),
      ]);
      await world.ready;
      const event = transitionEvent();
      world.outbox.append([event]);

      // Act
      const made = await dispatchEvent(world.deps, event);

      // Assess
      expect(made.map((d) => [d.webhookId, d.eventType])).toEqual([
        [hex(1), 'MODEL_VERSION_TRANSITIONED_STAGE'],
        [hex(2), 'MODEL_VERSION_TRANSITIONED_STAGE'],
        [hex(1), 'MODEL_VERSION_TRANSITIONED_TO_PRODUCTION'],
      ]);
      expect(world.queue.queued).toHaveLength(3);
      expect(world.published.map((entry) => entry.detailType)).toEqual([
        'MODEL_VERSION_TRANSITIONED_STAGE',
        'MODEL_VERSION_TRANSITIONED_TO_PRODUCTION',
      ]);
      expect(await world.outbox.listPending({ limit: 10 })).toEqual([]);
      const [first] = made;
      expect(JSON.parse(first?.body ?? '{}')).toMatchObject({
        event: 'MODEL_VERSION_TRANSITIONED_STAGE',
        webhook_id: hex(1),
        model_name: 'fraud',
      });
    });

    it('dispatched again, makes the same deliveries and stores no second copy', async () => {
      // Prepare
      const world = dispatchWorld([aWebhook(1)]);
      await world.ready;
      const event = transitionEvent();
      const first = await dispatchEvent(world.deps, event);
      await world.deliveries.claim(first[0] as never, T0, T0 + 5);
      await world.deliveries.recordAttempt(first[0] as never, T0 + 5, {
        status: 'DELIVERED',
        at: T0 + 6,
      });

      // Act
      const again = await dispatchEvent(world.deps, event);

      // Assess
      expect(again.map((d) => d.id)).toEqual(first.map((d) => d.id));
      expect(
        (await world.deliveries.get(hex(1), first[0]?.id ?? ''))?.status
      ).toBe('DELIVERED');
    });

    it('names the model as it is now when the event was written without its name', async () => {
      // Prepare
      const world = dispatchWorld([aWebhook(1)]);
      await world.ready;
      const { modelName: _, ...nameless } = transitionEvent();

      // Act
      const [made] = await dispatchEvent(world.deps, nameless);
      const orphan = await dispatchEvent(world.deps, {
        ...nameless,
        id: hex(0xe2),
        modelId: OTHER,
      });

      // Assess
      expect(JSON.parse(made?.body ?? '{}').model_name).toBe('fraud-now');
      expect(orphan).toEqual([]);
      expect(world.published.at(-1)?.detail.model_name).toBe(OTHER);
    });
  });

  describe('dispatchPending', () => {
    it('dispatches the pending events older than asked, in rounds', async () => {
      // Prepare
      const world = dispatchWorld([]);
      await world.ready;
      world.outbox.append([
        transitionEvent(hex(1)),
        { ...transitionEvent(hex(2)), timestamp: T0 + 5 },
        { ...transitionEvent(hex(3)), timestamp: T0 + 9 },
      ]);

      // Act
      const swept = await dispatchPending(world.deps, {
        limit: 1,
        olderThanMs: 4,
      });
      const rest = await dispatchPending(world.deps, { limit: 1 });

      // Assess
      expect(swept).toBe(2);
      expect(rest).toBe(1);
    });
  });

  describe('deliverMessage', () => {
    async function deliveryWorld(
      webhook: Webhook = aWebhook(1),
      answers: (WebhookResponse | Error)[] = []
    ) {
      const world = dispatchWorld([webhook]);
      await world.ready;
      const [delivery] = await dispatchEvent(world.deps, transitionEvent());
      if (!delivery) throw new Error('no delivery');
      const sender = new ScriptedSender();
      sender.answers.push(...answers);
      const clock = { now: T0 + 100 };
      const queue = new RecordingQueue();
      const webhooks = new MemoryWebhookStore();
      await webhooks.create(webhook);
      const deps: DeliveryDependencies = {
        deliveries: world.deliveries,
        webhooks,
        sender,
        queue,
        policy: { ...DEFAULT_RETRY_POLICY, maxAttempts: 3, baseDelayMs: 1000 },
        allowPrivateUrls: false,
        now: () => clock.now,
        random: () => 1,
      };
      const message = {
        webhookId: delivery.webhookId,
        deliveryId: delivery.id,
      };
      const stored = () =>
        world.deliveries.get(delivery.webhookId, delivery.id);
      return { deps, message, sender, queue, clock, stored, webhooks };
    }

    it('delivers on a 2xx, signed, and records the attempt', async () => {
      // Prepare
      const world = await deliveryWorld();

      // Act
      const outcome = await deliverMessage(world.deps, world.message);

      // Assess
      expect(outcome).toBe('delivered');
      expect(world.sender.sent[0]?.headers).toMatchObject({
        'webhook-id': world.message.deliveryId,
        'x-databricks-signature': expect.stringMatching(/^[0-9a-f]{64}$/),
        'webhook-signature': expect.stringMatching(/^v1,/),
      });
      expect(await world.stored()).toMatchObject({
        status: 'DELIVERED',
        attempts: [{ attempt: 1, statusCode: 200 }],
      });
      expect(await deliverMessage(world.deps, world.message)).toBe('skipped');
    });

    it('retries a 5xx after the backoff, deferring a message that comes early', async () => {
      // Prepare
      const world = await deliveryWorld(aWebhook(1), [
        { statusCode: 503, body: '', retryAfter: '3' },
      ]);

      // Act
      const first = await deliverMessage(world.deps, world.message);
      const early = await deliverMessage(world.deps, world.message);
      world.clock.now += 3_000;
      const second = await deliverMessage(world.deps, world.message);

      // Assess
      expect([first, early, second]).toEqual([
        'retrying',
        'deferred',
        'delivered',
      ]);
      expect(world.queue.queued.map((q) => q.delayMs)).toEqual([3000, 3000]);
      expect((await world.stored())?.attempts.map((a) => a.statusCode)).toEqual(
        [503, 200]
      );
    });

    it('gives up after the last attempt and dead-letters the message', async () => {
      // Prepare
      const timeout = new WebhookDeliveryError('no response within 10 ms');
      const world = await deliveryWorld(aWebhook(1), [
        timeout,
        timeout,
        timeout,
      ]);

      // Act
      const outcomes: string[] = [];
      for (let attempt = 0; attempt < 3; attempt += 1) {
        outcomes.push(await deliverMessage(world.deps, world.message));
        world.clock.now += 10_000;
      }

      // Assess
      expect(outcomes).toEqual(['retrying', 'retrying', 'failed']);
      expect(world.queue.dead).toEqual([world.message]);
      expect(await world.stored()).toMatchObject({
        status: 'FAILED',
        reason: 'Gave up after 3 attempts.',
      });
      expect((await world.stored())?.attempts.map((a) => a.error)).toEqual([
        'no response within 10 ms',
        'no response within 10 ms',
        'no response within 10 ms',
      ]);
    });

    it('gives up at once on a refusal or a blocked address', async () => {
      // Prepare
      const refused = await deliveryWorld(aWebhook(1), [
        { statusCode: 404, body: '' },
      ]);
      const blocked = await deliveryWorld(aWebhook(1), [
        new WebhookDeliveryError('resolves to a private address', {
          retryable: false,
        }),
      ]);
      const privateUrl = await deliveryWorld(
        aWebhook(1, {
          httpUrlSpec: {
            url: 'https://10.0.0.1/x',
            enableSslVerification: true,
          },
        })
      );

      // Act
      const outcomes = [
        await deliverMessage(refused.deps, refused.message),
        await deliverMessage(blocked.deps, blocked.message),
        await deliverMessage(privateUrl.deps, privateUrl.message),
      ];

      // Assess
      expect(outcomes).toEqual(['failed', 'failed', 'failed']);
      expect((await refused.stored())?.reason).toBe(
        'The receiver refused it with HTTP 404.'
      );
      expect((await blocked.stored())?.reason).toMatch(/^Not sent: /);
      expect(privateUrl.sender.sent).toEqual([]);
    });

    it('cancels a delivery whose webhook went away or stopped listening', async () => {
      // Prepare
      const deleted = await deliveryWorld();
      await deleted.webhooks.delete(hex(1));
      const disabled = await deliveryWorld();
      await disabled.webhooks.put(aWebhook(1, { status: 'DISABLED' }));

      // Act
      const outcomes = [
        await deliverMessage(deleted.deps, deleted.message),
        await deliverMessage(disabled.deps, disabled.message),
      ];

      // Assess
      expect(outcomes).toEqual(['cancelled', 'cancelled']);
      expect((await deleted.stored())?.reason).toBe('The webhook was deleted.');
      expect(deleted.sender.sent).toEqual([]);
    });

    it('skips a delivery another attempt holds, and an unknown one', async () => {
      // Prepare
      const world = await deliveryWorld();
      const held = await world.stored();
      if (!held) throw new Error('none');
      await world.deps.deliveries.claim(held, T0 + 100, T0 + 99_999);

      // Act
      const outcomes = [
        await deliverMessage(world.deps, world.message),
        await deliverMessage(world.deps, {
          ...world.message,
          deliveryId: hex(9),
        }),
      ];

      // Assess
      expect(outcomes).toEqual(['skipped', 'skipped']);
      expect(world.sender.sent).toEqual([]);
    });

    it('records nothing it cannot and lets an unexpected failure through', async () => {
      // Prepare
      const world = await deliveryWorld(aWebhook(1), [new Error('bug')]);

      // Act
      const failure = await deliverMessage(world.deps, world.message).catch(
        (error: unknown) => error
      );

      // Assess
      expect(failure).toBeInstanceOf(Error);
      expect((await world.stored())?.attempts).toEqual([]);
    });
  });
});
