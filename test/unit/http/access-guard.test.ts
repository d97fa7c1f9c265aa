import { describe, expect, it } from 'vitest';
import {
  PermissionDeniedError,
  RegisteredModelDoesNotExistError,
  ResourceDoesNotExistError,
  UnauthenticatedError,
} from '#domain/errors.ts';
import { createComment } from '#domain/registry/comments.ts';
import {
  createTransitionRequest,
  setTransitionRequestSettings,
} from '#domain/registry/requests.ts';
import { checked, createRouteGuard } from '#http/access-guard.ts';
import { type RouteDefinition, routes } from '#http/routes.ts';
import type { AccessQuery, AccessReads } from '#ports/access-reads.ts';
import {
  ADMIN,
  accessTo,
  aPrincipal,
  type GovernanceDependencies,
  governanceDependencies,
  modelWithVersions,
} from '#test/support/governance.ts';
import { MemoryIdentityStore } from '#test/support/memory-identity-store.ts';

const reader = aPrincipal('reader');
const stranger = aPrincipal('stranger');
const stagingManager = aPrincipal('staging-manager');

function route(operation: string): RouteDefinition {
  const found = routes.find((r) => r.operation === operation);
  if (!found) throw new Error(`no route for ${operation}`);
  return found;
}

/** Model `m` (version 1) readable by `reader`, decidable to Staging. */
async function setUp(): Promise<{
  deps: GovernanceDependencies;
  guard: ReturnType<typeof createRouteGuard>;
  identities: MemoryIdentityStore;
}> {
  const deps = governanceDependencies();
  await modelWithVersions(deps, 'm', 1, {
    reader: 'CAN_READ',
    'staging-manager': 'CAN_MANAGE_STAGING_VERSIONS',
  });
  const identities = new MemoryIdentityStore();
  for (const who of [reader, stranger, stagingManager, ADMIN]) {
    await identities.putPrincipal(who);
  }
  return {
    deps,
    identities,
    guard: createRouteGuard({
      identities,
      store: deps.store,
      requests: deps.requests,
    }),
  };
}

async function rejectionOf(attempt: Promise<unknown>): Promise<unknown> {
  return attempt.then(
    () => undefined,
    (error: unknown) => error
  );
}

describe('route guard', () => {
  describe('principal', () => {
    it('re-reads the caller, and refuses one that no longer exists or is deactivated', async () => {
      // Prepare
      const { guard, identities } = await setUp();
      identities.deactivate(stranger.id);

      // Act
      const current = await guard.principal(reader);
      const gone = await rejectionOf(guard.principal(aPrincipal('ghost')));
      const inactive = await rejectionOf(guard.principal(stranger));

      // Assess
      expect(current.userName).toBe('reader');
      expect(gone).toBeInstanceOf(UnauthenticatedError);
      expect(inactive).toBeInstanceOf(UnauthenticatedError);
    });
  });

  describe('admit', () => {
    /** AccessReads over the memory stores, recording each query. */
    function readsOver(
      deps: GovernanceDependencies,
      identities: MemoryIdentityStore
    ): AccessReads & { queries: AccessQuery[] } {
      const queries: AccessQuery[] = [];
      return {
        queries,
        async read(query) {
          queries.push(query);
          const found =
            'name' in query.model
              ? await deps.store.getModelAccessByName(query.model.name)
              : await deps.store.getModelAccessById(query.model.id);
          const versions = found.record
            ? await deps.store.getVersions(
                query.versions.map((version) => ({
                  modelId: found.record?.model.id ?? '',
                  version,
                }))
              )
            : [];
          return {
            principal: await identities.getPrincipal(query.principalId),
            record: found.record,
            rootGrants: query.rootGrants ? found.rootGrants : undefined,
            versions: new Map(versions.map((v) => [v.version, v])),
            ...(query.settings && found.record
              ? {
                  settings: await deps.requests.getSettings(
                    found.record.model.id
                  ),
                }
              : {}),
          };
        },
      };
    }

    it('reads the caller with the model and the version the request names, in one read', async () => {
      // Prepare
      const { deps, identities } = await setUp();
      const reads = readsOver(deps, identities);
      const guard = createRouteGuard({ identities, store: deps.store, reads });

      // Act
      const { principal, access } = await guard.admit(
        route('getModelVersion'),
        reader,
        { name: 'm', version: '1' }
      );
      const asAdmin = await guard.admit(route('getRegisteredModel'), ADMIN, {
        name: 'm',
      });

      // Assess
      expect(principal.userName).toBe('reader');
      expect(access.model?.record.model.name).toBe('m');
      expect(access.model?.versions?.get(1)?.version).toBe(1);
      expect(asAdmin.access.level).toBe('CAN_MANAGE');
      expect(reads.queries).toStrictEqual([
        {
          principalId: reader.id,
          model: { name: 'm' },
          rootGrants: true,
          versions: [1],
          // A read needs the stage bounds only, not which stage each
          // version is in.
          stageMembers: false,
          settings: false,
        },
        // An admin's read does not depend on the registry-wide grants.
        {
          principalId: ADMIN.id,
          model: { name: 'm' },
          rootGrants: false,
          versions: [],
          stageMembers: false,
          settings: false,
        },
      ]);
    });

    it('reads a stage change’s settings with the model, and checks on them without reading them again', async () => {
      // Prepare: Production is protected on model m.
      const { deps, identities } = await setUp();
      const record = await deps.store.getModelRecordByName('m');
      if (!record) throw new Error('model m was not created');
      await setTransitionRequestSettings(deps, record, {
        protectedStages: ['Production'],
      });
      const reads = readsOver(deps, identities);
      let settingsReads = 0;
      const requests = new Proxy(deps.requests, {
        get(target, key, receiver) {
          const value = Reflect.get(target, key, receiver);
          if (key === 'getSettings') {
            return (...args: [string]) => {
              settingsReads += 1;
              return target.getSettings(...args);
            };
          }
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const guard = createRouteGuard({
        identities,
        store: deps.store,
        requests,
        reads,
      });

      // Act
      const { access } = await guard.admit(
        route('transitionModelVersionStage'),
        ADMIN,
        { name: 'm', version: '1', stage: 'Production' }
      );
      const databricks = await guard.admit(
        route('getRegisteredModelDatabricks'),
        reader,
        { name: 'm' }
      );

      // Assess
      expect(reads.queries.map((query) => query.settings)).toStrictEqual([
        true,
        true,
      ]);
      expect(access.settings?.protectedStages).toStrictEqual(['Production']);
      expect(databricks.access.model?.settings?.model.protectedStages).toEqual([
        'Production',
      ]);
      expect(settingsReads).toBe(0);
    });

    it('refuses a caller deactivated since the authorizer resolved it, and a stranger', async () => {
      // Prepare
      const { deps, identities } = await setUp();
      const guard = createRouteGuard({
        identities,
        store: deps.store,
        reads: readsOver(deps, identities),
      });
      identities.deactivate(reader.id);

      // Act
      const inactive = await rejectionOf(
        guard.admit(route('getRegisteredModel'), reader, { name: 'm' })
      );
      const refused = await rejectionOf(
        guard.admit(route('getRegisteredModel'), stranger, { name: 'm' })
      );
      const missing = await rejectionOf(
        guard.admit(route('getRegisteredModel'), ADMIN, { name: 'nope' })
      );

      // Assess
      expect(inactive).toBeInstanceOf(UnauthenticatedError);
      expect(refused).toBeInstanceOf(PermissionDeniedError);
      expect(missing).toBeInstanceOf(RegisteredModelDoesNotExistError);
    });
  });

  describe('check', () => {
    it('lets a public route through without reading anything', async () => {
      // Prepare
      const guard = createRouteGuard({ identities: new MemoryIdentityStore() });

      // Act
      const context = await guard.check(route('health'), stranger, {});

      // Assess
      expect(context.model).toBeUndefined();
    });

    it('resolves the model a route names and hands it, with the caller’s level, to the operation', async () => {
      // Prepare
      const { deps, guard } = await setUp();

      // Act
      const context = await guard.check(route('getRegisteredModel'), reader, {
        name: 'm',
      });

      // Assess
      expect(context.level).toBe('CAN_READ');
      expect(checked(context, 'model')).toEqual(await accessTo(deps, 'm'));
      expect(() => checked(context, 'request')).toThrow(/resolved no request/);
    });

    it('answers 404 for a model that does not exist, and 403 naming it for one the caller may not read', async () => {
      // Prepare
      const { guard } = await setUp();

      // Act
      const missing = await rejectionOf(
        guard.check(route('getRegisteredModel'), reader, { name: 'nope' })
      );
      const refused = await rejectionOf(
        guard.check(route('getRegisteredModel'), stranger, { name: 'm' })
      );

      // Assess
      expect(missing).toBeInstanceOf(RegisteredModelDoesNotExistError);
      expect(refused).toBeInstanceOf(PermissionDeniedError);
      expect((refused as Error).message).toContain("'m'");
    });

    it('leaves input the operation will refuse (no name) to its validation', async () => {
      // Prepare
      const { guard } = await setUp();

      // Act
      const context = await guard.check(route('getRegisteredModel'), stranger, {
        name: ['m', 'n'],
      });

      // Assess
      expect(context.model).toBeUndefined();
    });

    it('names a model addressed by id only by that id in a refusal, and checks root by its own rule', async () => {
      // Prepare
      const { deps, guard } = await setUp();
      const { record } = await accessTo(deps, 'm');

      // Act
      const byId = await rejectionOf(
        guard.check(route('setPermissions'), reader, {
          registered_model_id: record.model.id,
        })
      );
      const rootRead = await guard.check(route('getPermissions'), stranger, {
        registered_model_id: 'root',
      });
      const rootChange = await rejectionOf(
        guard.check(route('setPermissions'), stranger, {
          registered_model_id: 'root',
        })
      );
      const unknown = await rejectionOf(
        guard.check(route('getPermissions'), reader, {
          registered_model_id: 'f'.repeat(32),
        })
      );

      // Assess
      expect((byId as Error).message).toContain(record.model.id);
      expect((byId as Error).message).not.toContain("'m'");
      expect(rootRead.model).toBeUndefined();
      expect(rootChange).toBeInstanceOf(PermissionDeniedError);
      expect((rootChange as Error).message).toContain('on the registry');
      expect(unknown).toBeInstanceOf(ResourceDoesNotExistError);
    });

    it('checks a stage change by the version’s stage in the model’s record', async () => {
      // Prepare
      const { guard } = await setUp();
      const transition = route('transitionModelVersionStage');

      // Act
      const toStaging = await guard.check(transition, stagingManager, {
        name: 'm',
        version: '1',
        stage: 'staging',
      });
      const toProduction = await rejectionOf(
        guard.check(transition, stagingManager, {
          name: 'm',
          version: '1',
          stage: 'Production',
        })
      );

      // Assess
      expect(toStaging.level).toBe('CAN_MANAGE_STAGING_VERSIONS');
      expect((toProduction as Error).message).toContain(
        'registry:TransitionToProduction'
      );
    });

    it('refuses a Can Manage holder’s direct move into a protected stage on both variants, and lets an admin through with the policy', async () => {
      // Prepare
      const { deps, guard } = await setUp();
      const manager = aPrincipal('manager');
      await modelWithVersions(deps, 'p', 1, { manager: 'CAN_MANAGE' });
      const { record } = await accessTo(deps, 'p');
      await setTransitionRequestSettings(deps, record, {
        protectedStages: ['Staging', 'Production'],
      });
      const into = (stage: string) => ({ name: 'p', version: '1', stage });

      // Act
      const refusals = await Promise.all(
        [
          route('transitionModelVersionStage'),
          route('transitionModelVersionStageDatabricks'),
        ].map((r) => rejectionOf(guard.check(r, manager, into('Production'))))
      );
      const intoStaging = await rejectionOf(
        guard.check(
          route('transitionModelVersionStage'),
          manager,
          into('Staging')
        )
      );
      const toArchived = await guard.check(
        route('transitionModelVersionStage'),
        manager,
        into('Archived')
      );
      const byAdmin = await guard.check(
        route('transitionModelVersionStage'),
        ADMIN,
        into('Production')
      );

      // Assess
      for (const refused of [...refusals, intoStaging]) {
        expect(refused).toBeInstanceOf(PermissionDeniedError);
        expect((refused as Error).message).toMatch(
          /is a protected stage of registered model 'p'.*transition-requests\/create/
        );
      }
      expect(toArchived.level).toBe('CAN_MANAGE');
      expect(checked(byAdmin, 'settings')).toMatchObject({
        protectedStages: ['Staging', 'Production'],
        requiredApprovals: 1,
      });
    });

    it('addresses the request a decision names and hands it to the operation', async () => {
      // Prepare
      const { deps, guard } = await setUp();
      const { request } = await createTransitionRequest(
        deps,
        reader,
        await accessTo(deps, 'm'),
        { version: 1, stage: 'Staging' }
      );

      // Act
      const context = await guard.check(
        route('approveTransitionRequest'),
        stagingManager,
        { name: 'm', version: '1', stage: 'Staging' }
      );
      const cancelByOther = await rejectionOf(
        guard.check(route('deleteTransitionRequest'), stagingManager, {
          name: 'm',
          version: '1',
          stage: 'Staging',
          creator: 'reader',
        })
      );

      // Assess
      expect(checked(context, 'request')).toMatchObject({
        currentStage: 'None',
        to: 'Staging',
        request: { id: request.id },
      });
      expect(cancelByOther).toBeInstanceOf(PermissionDeniedError);
    });

    it('resolves a comment by id, 404 when it is gone, and lets only its author edit it', async () => {
      // Prepare
      const { deps, guard } = await setUp();
      const comment = await createComment(
        deps,
        reader,
        await accessTo(deps, 'm'),
        { version: 1, comment: 'hi' }
      );

      // Act
      const own = await guard.check(route('updateComment'), reader, {
        id: comment.id,
      });
      const others = await rejectionOf(
        guard.check(route('updateComment'), stagingManager, { id: comment.id })
      );
      const gone = await rejectionOf(
        guard.check(route('deleteComment'), reader, { id: 'f'.repeat(32) })
      );

      // Assess
      expect(checked(own, 'comment').id).toBe(comment.id);
      expect(others).toBeInstanceOf(PermissionDeniedError);
      expect(gone).toBeInstanceOf(ResourceDoesNotExistError);
    });

    it('refuses a non-admin on an admin route, and defers uploads and webhooks to their use cases', async () => {
      // Prepare
      const { guard } = await setUp();

      // Act
      const admin = await rejectionOf(
        guard.check(route('listUsers'), reader, {})
      );
      const upload = await guard.check(route('completeUploadSession'), reader, {
        upload_id: 'x',
      });
      const webhook = await guard.check(
        route('listRegistryWebhooks'),
        reader,
        {}
      );

      // Assess
      expect((admin as Error).message).toBe('reader is not a workspace admin.');
      expect(upload.model).toBeUndefined();
      expect(webhook.model).toBeUndefined();
    });

    it('lets listings show only the models the caller may read', async () => {
      // Prepare
      const { deps, guard } = await setUp();
      const { record } = await accessTo(deps, 'm');

      // Act
      const forReader = await guard.check(
        route('searchRegisteredModels'),
        reader,
        {}
      );
      const forStranger = await guard.check(
        route('searchRegisteredModels'),
        stranger,
        {}
      );

      // Assess
      expect(forReader.visible(record)).toBe(true);
      expect(forStranger.visible(record)).toBe(false);
    });

    it('reports a model route in a function without a store as a wiring error', async () => {
      // Prepare
      const guard = createRouteGuard({ identities: new MemoryIdentityStore() });

      // Act & Assess
      await expect(
        guard.check(route('getRegisteredModel'), reader, { name: 'm' })
      ).rejects.toThrow('This function has no registry store.');
      await expect(
        guard.check(route('updateComment'), reader, { id: 'c' })
      ).rejects.toThrow('This function has no transition request store.');
    });
  });
});
