import { describe, expect, it } from 'vitest';
import {
  PermissionDeniedError,
  RegisteredModelDoesNotExistError,
  ResourceDoesNotExistError,
} from '#domain/errors.ts';
import type { Principal } from '#domain/principal.ts';
import type { RegistryDependencies } from '#domain/registry/dependencies.ts';
import {
  createRegisteredModel,
  deleteRegisteredModel,
  renameRegisteredModel,
} from '#domain/registry/models.ts';
import {
  createWebhook,
  deleteWebhook,
  listWebhooks,
  testWebhook,
  updateWebhook,
  type WebhookDependencies,
} from '#domain/registry/webhooks.ts';
import type { WebhookRequest } from '#ports/webhook-sender.ts';
import { MemoryModelRegistryStore } from '#test/support/memory-model-registry-store.ts';
import { MemoryWebhookStore } from '#test/support/memory-webhook-store.ts';

const NOW = 1_700_000_000_000;
const SECRET = 'shh-secret';
const AUTHORIZATION = 'Bearer receiver-token';
const URL_WITH_KEY = 'https://hooks.example.com/x?key=url-key';

function user(id: string, userName: string): Principal {
  return { id, userName, kind: 'user', isAdmin: false, groups: [] };
}

const alice = user('1', 'alice@example.com');
const bob = user('2', 'bob@example.com');
const admin: Principal = { ...user('3', 'admin'), isAdmin: true };

function createDeps() {
  let nextId = 0;
  const newId = () => (nextId++).toString(16).padStart(32, '0');
  const store = new MemoryModelRegistryStore();
  const webhooks = new MemoryWebhookStore();
  const posted: WebhookRequest[] = [];
  const registry: RegistryDependencies = {
    store,
    webhooks,
    now: () => NOW,
    newId,
  };
  const hooks: WebhookDependencies = {
    store,
    webhooks,
    sender: {
      post: async (request) => {
        posted.push(request);
        return { statusCode: 200, body: 'ok' };
      },
    },
    now: () => NOW,
    newId,
    allowPrivateUrls: false,
  };
  return { registry, hooks, webhooks, posted };
}

type Deps = ReturnType<typeof createDeps>;

async function aliceWebhookOn(deps: Deps, modelName: string) {
  await createRegisteredModel(deps.registry, alice, { name: modelName });
  return createWebhook(deps.hooks, alice, {
    modelName,
    events: ['MODEL_VERSION_CREATED'],
    httpUrlSpec: {
      url: URL_WITH_KEY,
      secret: SECRET,
      authorization: AUTHORIZATION,
    },
  });
}

describe('registry webhooks', () => {
  describe('bound to the model id', () => {
    it("follows its model's rename, and a new model of the old name reaches none of it", async () => {
      // Prepare
      const deps = createDeps();
      const webhook = await aliceWebhookOn(deps, 'm');
      await renameRegisteredModel(deps.registry, { name: 'm', newName: 'n' });
      await createRegisteredModel(deps.registry, bob, { name: 'm' });

      // Act
      const bobByName = await listWebhooks(deps.hooks, bob, { modelName: 'm' });
      const bobAll = await listWebhooks(deps.hooks, bob, {});
      const bobRefusals = await Promise.all([
        updateWebhook(deps.hooks, bob, {
          id: webhook.id,
          description: 'hijacked',
        }).catch((error: unknown) => error),
        testWebhook(deps.hooks, bob, { id: webhook.id }).catch(
          (error: unknown) => error
        ),
        deleteWebhook(deps.hooks, bob, { id: webhook.id }).catch(
          (error: unknown) => error
        ),
      ]);
      const aliceByName = await listWebhooks(deps.hooks, alice, {
        modelName: 'n',
      });
      const adminByOldName = await listWebhooks(deps.hooks, admin, {
        modelName: 'm',
      });

      // Assess
      expect(bobByName.webhooks).toEqual([]);
      expect(bobAll.webhooks).toEqual([]);
      for (const refusal of bobRefusals) {
        expect(refusal).toBeInstanceOf(PermissionDeniedError);
        expect((refusal as Error).message).not.toMatch(/'n'|url-key/);
      }
      expect(deps.posted).toEqual([]);
      expect(deps.webhooks.ids()).toEqual([webhook.id]);
      expect(aliceByName.webhooks).toEqual([{ ...webhook, modelName: 'n' }]);
      expect(adminByOldName.webhooks).toEqual([]);
    });

    it('keeps working for its owner after the rename: update, test and delete', async () => {
      // Prepare
      const deps = createDeps();
      const webhook = await aliceWebhookOn(deps, 'm');
      await renameRegisteredModel(deps.registry, { name: 'm', newName: 'n' });

      // Act
      const updated = await updateWebhook(deps.hooks, alice, {
        id: webhook.id,
        description: 'still mine',
      });
      const tested = await testWebhook(deps.hooks, alice, { id: webhook.id });
      await deleteWebhook(deps.hooks, alice, { id: webhook.id });

      // Assess
      expect(updated).toMatchObject({
        modelName: 'n',
        description: 'still mine',
      });
      expect(tested).toEqual({ statusCode: 200, body: 'ok' });
      expect(deps.posted).toHaveLength(1);
      expect(JSON.parse(deps.posted[0]?.body ?? '{}').model_name).toBe('n');
      expect(deps.posted[0]?.headers.authorization).toBe(AUTHORIZATION);
      expect(deps.webhooks.ids()).toEqual([]);
    });

    it('goes with its model: deleting the model deletes its webhooks, and a new model of the name has none', async () => {
      // Prepare
      const deps = createDeps();
      const webhook = await aliceWebhookOn(deps, 'm');
      const other = await aliceWebhookOn(deps, 'other');

      // Act
      await deleteRegisteredModel(deps.registry, { name: 'm' });
      await createRegisteredModel(deps.registry, alice, { name: 'm' });

      // Assess
      expect(deps.webhooks.ids()).toEqual([other.id]);
      expect(
        (await listWebhooks(deps.hooks, alice, { modelName: 'm' })).webhooks
      ).toEqual([]);
      await expect(
        updateWebhook(deps.hooks, admin, { id: webhook.id, description: 'x' })
      ).rejects.toBeInstanceOf(ResourceDoesNotExistError);
    });

    it('treats a webhook whose model is gone as gone, and removes it', async () => {
      // Prepare: the webhook outlived its model (a crash before the
      // model's deletion removed it).
      const deps = createDeps();
      const webhook = await aliceWebhookOn(deps, 'm');
      await aliceWebhookOn(deps, 'm2');
      await deleteRegisteredModel(
        { ...deps.registry, webhooks: undefined },
        { name: 'm' }
      );
      await deleteRegisteredModel(
        { ...deps.registry, webhooks: undefined },
        { name: 'm2' }
      );
      await createRegisteredModel(deps.registry, alice, { name: 'm' });

      // Act
      const byId = await testWebhook(deps.hooks, admin, {
        id: webhook.id,
      }).catch((error: unknown) => error);
      const all = await listWebhooks(deps.hooks, admin, {});

      // Assess
      expect(byId).toBeInstanceOf(ResourceDoesNotExistError);
      expect(all.webhooks).toEqual([]);
      expect(deps.webhooks.ids()).toEqual([]);
      expect(deps.posted).toEqual([]);
    });
  });

  describe('authorization', () => {
    it('needs Can Manage on the named model, and an admin for registry-wide webhooks', async () => {
      // Prepare
      const deps = createDeps();
      const webhook = await aliceWebhookOn(deps, 'm');
      const registryWide = await createWebhook(deps.hooks, admin, {
        events: ['REGISTERED_MODEL_CREATED'],
        httpUrlSpec: { url: 'https://hooks.example.com/all' },
      });

      // Act & Assess
      await expect(
        createWebhook(deps.hooks, bob, {
          modelName: 'm',
          events: ['COMMENT_CREATED'],
          httpUrlSpec: { url: 'https://hooks.example.com/b' },
        })
      ).rejects.toThrow(/CAN_MANAGE/);
      await expect(
        createWebhook(deps.hooks, bob, {
          events: ['REGISTERED_MODEL_CREATED'],
          httpUrlSpec: { url: 'https://hooks.example.com/b' },
        })
      ).rejects.toThrow(/admin/);
      await expect(
        createWebhook(deps.hooks, alice, {
          modelName: 'nowhere',
          events: ['COMMENT_CREATED'],
          httpUrlSpec: { url: 'https://hooks.example.com/b' },
        })
      ).rejects.toBeInstanceOf(RegisteredModelDoesNotExistError);
      await expect(
        deleteWebhook(deps.hooks, alice, { id: registryWide.id })
      ).rejects.toBeInstanceOf(PermissionDeniedError);
      expect(
        (await listWebhooks(deps.hooks, alice, {})).webhooks.map((w) => w.id)
      ).toEqual([webhook.id]);
      expect(
        (await listWebhooks(deps.hooks, admin, {})).webhooks.map((w) => w.id)
      ).toEqual([webhook.id, registryWide.id].sort());
    });
  });
});
