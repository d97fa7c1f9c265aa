import { describe, expect, it } from 'vitest';
import {
  InvalidParameterValueError,
  PermissionDeniedError,
  ResourceDoesNotExistError,
} from '#domain/errors.ts';
import type { Principal } from '#domain/principal.ts';
import { createRouteGuard } from '#http/access-guard.ts';
import { type RouteDefinition, routes } from '#http/routes.ts';
import { MemoryIdentityStore } from '#test/support/memory-identity-store.ts';
import { MemoryModelRegistryStore } from '#test/support/memory-model-registry-store.ts';

const alice: Principal = {
  id: '42',
  userName: 'alice@example.com',
  kind: 'user',
  isAdmin: false,
  groups: [],
};

function route(operation: string): RouteDefinition {
  const found = routes.find((r) => r.operation === operation);
  if (!found) throw new Error(`no route for ${operation}`);
  return found;
}

/** Model `readable` (alice may read it) and model `secret` (she may not). */
async function guard() {
  const store = new MemoryModelRegistryStore();
  for (const [id, grants] of [
    [
      'readable',
      [
        {
          grantee: { kind: 'user' as const, name: alice.userName },
          level: 'CAN_READ' as const,
        },
      ],
    ],
    ['secret', []],
  ] as const) {
    await store.createRegisteredModel(
      {
        id,
        name: `model-${id}`,
        description: '',
        creationTimestamp: 1,
        lastUpdatedTimestamp: 1,
        userId: 'admin',
        tags: [],
        aliases: [],
      },
      grants
    );
  }
  const identities = new MemoryIdentityStore();
  await identities.putPrincipal(alice);
  return createRouteGuard({ identities, store });
}

describe('route guard: artifact paths', () => {
  const list = route('listArtifacts');
  const download = route('downloadArtifact');

  it('allows a path of a model the caller can read', async () => {
    const checked = await (await guard()).check(list, alice, {
      path: 'mlflow-registry/readable/1',
    });
    expect(checked.level).toBe('CAN_READ');
  });

  it('refuses a path of a model the caller cannot read, on both routes', async () => {
    const g = await guard();
    await expect(
      g.check(list, alice, { path: 'mlflow-registry/secret/1' })
    ).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(
      g.check(download, alice, { proxy: 'mlflow-registry/secret/1/MLmodel' })
    ).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it('checks every artifact path a request carries, so a readable decoy does not let another through', async () => {
    const g = await guard();
    await expect(
      g.check(list, alice, {
        path: 'mlflow-registry/secret/1',
        proxy: 'mlflow-registry/readable/1',
      })
    ).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(
      g.check(download, alice, {
        proxy: 'mlflow-registry/secret/1/x',
        path: 'mlflow-registry/readable/1',
      })
    ).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it('answers 404 for unknown models and paths outside the managed prefix, 400 for traversal', async () => {
    const g = await guard();
    await expect(
      g.check(list, alice, { path: 'mlflow-registry/nobody/1' })
    ).rejects.toBeInstanceOf(ResourceDoesNotExistError);
    await expect(g.check(list, alice, {})).rejects.toBeInstanceOf(
      ResourceDoesNotExistError
    );
    await expect(
      g.check(list, alice, { path: 'tmp-external-source/x/y' })
    ).rejects.toBeInstanceOf(ResourceDoesNotExistError);
    await expect(
      g.check(download, alice, {
        proxy: 'mlflow-registry/readable/1/../../secret/1',
      })
    ).rejects.toBeInstanceOf(InvalidParameterValueError);
  });
});
