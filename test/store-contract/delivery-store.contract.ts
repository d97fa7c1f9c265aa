import { describe, expect, it } from 'vitest';
import type { WebhookDelivery } from '#domain/webhook-delivery.ts';
import type { DeliveryStore } from '#ports/delivery-store.ts';

/** Returns a store that holds no deliveries yet. */
export type DeliveryStoreFactory = () => Promise<DeliveryStore>;

const T0 = 1_700_000_000_000;
const WEBHOOK = 'a'.repeat(32);

function idOf(index: number): string {
  return index.toString(16).padStart(32, '0');
}

function aDelivery(overrides: Partial<WebhookDelivery> = {}): WebhookDelivery {
  return {
    id: idOf(1),
    webhookId: WEBHOOK,
    messageId: idOf(1),
    eventId: 'e'.repeat(32),
    eventType: 'MODEL_VERSION_CREATED',
    modelId: 'm'.repeat(32),
    body: '{"event":"MODEL_VERSION_CREATED"}',
    status: 'PENDING',
    attempts: [],
    creationTimestamp: T0,
    lastUpdatedTimestamp: T0,
    ...overrides,
  };
}

/**
 * The behaviour every {@link DeliveryStore} must share, run against the
 * in-memory fake and against DynamoDB Local.
 */
export function describeDeliveryStoreContract(
  name: string,
  createStore: DeliveryStoreFactory
): void {
  describe(`DeliveryStore contract (${name})`, () => {
    it('stores new deliveries and leaves one already stored as it is', async () => {
      // Prepare
      const store = await createStore();
      await store.create([aDelivery()]);
      const claimedUntil = T0 + 100;
      await store.claim(aDelivery(), T0, claimedUntil);
      await store.recordAttempt(aDelivery(), claimedUntil, {
        attempt: { attempt: 1, at: T0, statusCode: 200, latencyMs: 5 },
        status: 'DELIVERED',
        at: T0 + 5,
      });

      // Act
      await store.create([aDelivery(), aDelivery({ id: idOf(2) })]);

      // Assess
      expect(await store.get(WEBHOOK, idOf(1))).toEqual({
        ...aDelivery(),
        status: 'DELIVERED',
        lastUpdatedTimestamp: T0 + 5,
        attempts: [{ attempt: 1, at: T0, statusCode: 200, latencyMs: 5 }],
      });
      expect(await store.get(WEBHOOK, idOf(2))).toEqual(
        aDelivery({ id: idOf(2) })
      );
      expect(await store.get(WEBHOOK, idOf(3))).toBeUndefined();
    });

    it('lets one claim run at a time, and a lapsed one be taken over', async () => {
      // Prepare
      const store = await createStore();
      await store.create([aDelivery()]);

      // Act
      const first = await store.claim(aDelivery(), T0, T0 + 1000);
      const second = await store.claim(aDelivery(), T0 + 10, T0 + 2000);
      const takeover = await store.claim(aDelivery(), T0 + 1001, T0 + 3000);
      const lostClaim = await store.recordAttempt(aDelivery(), T0 + 1000, {
        status: 'FAILED',
        at: T0 + 1002,
      });
      const kept = await store.recordAttempt(aDelivery(), T0 + 3000, {
        attempt: { attempt: 1, at: T0 + 1001, latencyMs: 3, error: 'refused' },
        status: 'PENDING',
        nextAttemptAt: T0 + 9000,
        at: T0 + 1004,
      });

      // Assess
      expect([first, second, takeover, lostClaim, kept]).toEqual([
        true,
        false,
        true,
        false,
        true,
      ]);
      expect(await store.get(WEBHOOK, idOf(1))).toMatchObject({
        status: 'PENDING',
        nextAttemptAt: T0 + 9000,
        attempts: [{ attempt: 1, error: 'refused' }],
      });
    });

    it('claims no finished delivery, and records the reason it ended', async () => {
      // Prepare
      const store = await createStore();
      await store.create([aDelivery()]);
      await store.claim(aDelivery(), T0, T0 + 10);
      await store.recordAttempt(aDelivery(), T0 + 10, {
        attempt: { attempt: 1, at: T0, statusCode: 410, latencyMs: 2 },
        status: 'FAILED',
        reason: 'refused',
        at: T0 + 2,
      });

      // Act
      const claimed = await store.claim(aDelivery(), T0 + 20, T0 + 30);

      // Assess
      expect(claimed).toBe(false);
      const stored = await store.get(WEBHOOK, idOf(1));
      expect(stored?.reason).toBe('refused');
      expect(stored?.nextAttemptAt).toBeUndefined();
    });

    it('lists a webhook’s deliveries newest first, page by page', async () => {
      // Prepare
      const store = await createStore();
      await store.create(
        [1, 2, 3, 4, 5].map((index) =>
          aDelivery({ id: idOf(index), creationTimestamp: T0 + index })
        )
      );
      await store.create([
        aDelivery({ id: idOf(9), webhookId: 'b'.repeat(32) }),
      ]);

      // Act
      const ids: string[][] = [];
      let from: string | undefined;
      do {
        const page = await store.list(WEBHOOK, { limit: 2, from });
        ids.push(page.deliveries.map((delivery) => delivery.id));
        from = page.next;
      } while (from !== undefined);

      // Assess
      expect(ids).toEqual([[idOf(5), idOf(4)], [idOf(3), idOf(2)], [idOf(1)]]);
    });
  });
}
