import { describe, expect, it } from 'vitest';
import type { Webhook } from '#domain/webhook.ts';
import type { WebhookStore } from '#ports/webhook-store.ts';

/** Returns a store that holds no webhooks yet. */
export type WebhookStoreFactory = () => Promise<WebhookStore>;

const T0 = 1_700_000_000_000;
const MODEL_A = 'a'.repeat(32);
const MODEL_B = 'b'.repeat(32);

function idOf(index: number): string {
  return index.toString(16).padStart(32, '0');
}

function aWebhook(overrides: Partial<Webhook> = {}): Webhook {
  return {
    id: idOf(1),
    modelId: MODEL_A,
    events: ['MODEL_VERSION_CREATED', 'COMMENT_CREATED'],
    description: 'notify the team',
    status: 'ACTIVE',
    httpUrlSpec: {
      url: 'https://hooks.example.com/x?key=k',
      secret: 'shh',
      authorization: 'Bearer receiver',
      enableSslVerification: true,
    },
    creationTimestamp: T0,
    lastUpdatedTimestamp: T0,
    ...overrides,
  };
}

async function listAll(
  store: WebhookStore,
  modelId: string | undefined,
  limit: number
): Promise<string[]> {
  const ids: string[] = [];
  let afterId: string | undefined;
  for (;;) {
    const page = await store.list({ modelId, afterId, limit });
    ids.push(...page.webhooks.map((webhook) => webhook.id));
    afterId = page.lastId ?? afterId;
    if (!page.more) return ids;
  }
}

/**
 * The behaviour every {@link WebhookStore} implementation must share, run
 * against the in-memory fake and against DynamoDB Local.
 */
export function describeWebhookStoreContract(
  name: string,
  createStore: WebhookStoreFactory
): void {
  describe(`WebhookStore contract (${name})`, () => {
    describe('create / get', () => {
      it('keeps every field, secrets and the model id included', async () => {
        // Prepare
        const store = await createStore();
        const http = aWebhook();
        const { httpUrlSpec: _http, ...withoutTarget } = aWebhook();
        const job: Webhook = {
          ...withoutTarget,
          id: idOf(2),
          jobSpec: {
            jobId: '7',
            accessToken: 'dapi-token',
            workspaceUrl: 'https://w.example.com',
          },
        };
        const { modelId: _model, ...withoutModel } = aWebhook();
        const registryWide: Webhook = { ...withoutModel, id: idOf(3) };

        // Act
        for (const webhook of [http, job, registryWide]) {
          await store.create(webhook);
        }

        // Assess
        expect(await store.get(http.id)).toStrictEqual(http);
        expect(await store.get(job.id)).toStrictEqual(job);
        expect(await store.get(registryWide.id)).toStrictEqual(registryWide);
        expect(await store.get(idOf(4))).toBeUndefined();
      });
    });

    describe('put / delete', () => {
      it('replaces a webhook, and never one deleted meanwhile', async () => {
        // Prepare
        const store = await createStore();
        const webhook = aWebhook();
        await store.create(webhook);
        const changed = { ...webhook, status: 'DISABLED' as const };

        // Act
        const replaced = await store.put(changed);
        const deleted = await store.delete(webhook.id);
        const deletedAgain = await store.delete(webhook.id);
        const resurrected = await store.put(webhook);

        // Assess
        expect([replaced, deleted, deletedAgain, resurrected]).toEqual([
          true,
          true,
          false,
          false,
        ]);
        expect(await store.get(webhook.id)).toBeUndefined();
      });
    });

    describe('list', () => {
      it("lists one model's webhooks by its id, or all, in id order across pages", async () => {
        // Prepare
        const store = await createStore();
        const ofA = [idOf(5), idOf(1), idOf(3)];
        const ofB = [idOf(2), idOf(4)];
        for (const id of ofA) await store.create(aWebhook({ id }));
        for (const id of ofB) {
          await store.create(aWebhook({ id, modelId: MODEL_B }));
        }

        // Act
        const listedA = await listAll(store, MODEL_A, 2);
        const listedAll = await listAll(store, undefined, 2);

        // Assess
        expect(listedA).toEqual([...ofA].sort());
        expect(listedAll).toEqual([...ofA, ...ofB].sort());
        expect(await listAll(store, 'c'.repeat(32), 10)).toEqual([]);
      });
    });

    describe('deleteOfModel', () => {
      it("deletes one model's webhooks and nothing else", async () => {
        // Prepare
        const store = await createStore();
        await store.create(aWebhook({ id: idOf(1) }));
        await store.create(aWebhook({ id: idOf(2) }));
        await store.create(aWebhook({ id: idOf(3), modelId: MODEL_B }));

        // Act
        await store.deleteOfModel(MODEL_A);

        // Assess
        expect(await store.get(idOf(1))).toBeUndefined();
        expect(await store.get(idOf(2))).toBeUndefined();
        expect(await store.get(idOf(3))).toBeDefined();
        expect(await listAll(store, undefined, 10)).toEqual([idOf(3)]);
      });
    });
  });
}
