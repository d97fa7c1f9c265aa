import { createRouteGuard } from '#http/access-guard.ts';
import {
  type ApiHandler,
  createApiHandler,
  type Operation,
} from '#http/api-handler.ts';
import type { FunctionGroup } from '#http/routes.ts';
import type { AccessReads } from '#ports/access-reads.ts';
import type { IdentityStore } from '#ports/identity-store.ts';
import type { ModelRegistryStore } from '#ports/model-registry-store.ts';
import type { TransitionRequestStore } from '#ports/transition-request-store.ts';
import type { FunctionNeeds, TableNeed } from '#shared/needs.ts';
import type { ResourcesFor } from '#shared/resources.ts';
import type { FunctionRoot } from '#shared/root.ts';

/**
 * The table as the registry's stores use it: every write, both indexes
 * (models by name and by update, tokens, webhooks, open requests).
 */
export const registryTableNeed: TableNeed = {
  access: 'readWrite',
  indexes: ['GSI1', 'GSI2'],
};

/** What the route guard of every API group reads. */
export interface GuardDependencies {
  /** The caller as stored now (group, admin and deactivation changes). */
  readonly identities: Pick<IdentityStore, 'getPrincipal'>;
  /** For groups whose routes check permissions on models. */
  readonly store?: ModelRegistryStore;
  /** The caller and the model a request names, read together. */
  readonly reads?: AccessReads;
  /** For groups whose routes address transition requests and comments. */
  readonly requests?: Pick<
    TransitionRequestStore,
    'listOpenRequests' | 'getSettings' | 'findCommentById'
  >;
}

/** The root of one API function group. */
export interface ApiRoot<N extends FunctionNeeds, D extends GuardDependencies>
  extends FunctionRoot<N, D, ApiHandler> {
  readonly group: FunctionGroup;
  readonly operations: readonly Operation<D>[];
}

/**
 * Declares an API group's root, for dependencies `D`: its operations are
 * dispatched by the shared handler (`createApiHandler`), behind the route
 * guard over the `identities` and `store` of its dependencies.
 *
 * @example defineApiRoot<TokensDependencies>()({ group, needs, operations, wire })
 */
export function defineApiRoot<D extends GuardDependencies>() {
  return <const N extends FunctionNeeds>(spec: {
    group: FunctionGroup;
    needs: N;
    operations: readonly Operation<D>[];
    wire: (resources: ResourcesFor<N>) => D;
  }): ApiRoot<N, D> => ({
    ...spec,
    build: (deps) =>
      createApiHandler({
        group: spec.group,
        deps,
        operations: spec.operations,
        guard: createRouteGuard({
          identities: deps.identities,
          ...(deps.store ? { store: deps.store } : {}),
          ...(deps.reads ? { reads: deps.reads } : {}),
          ...(deps.requests ? { requests: deps.requests } : {}),
        }),
      }),
  });
}
