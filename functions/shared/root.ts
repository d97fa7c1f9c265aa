import type { FunctionNeeds } from './needs.ts';
import type { ResourceFactories, ResourcesFor } from './resources.ts';

/**
 * The composition root of one function: what it needs (data the CDK stack
 * grants from), how its dependencies are made from those resources, and
 * how its handler is built from dependencies. Importing a root constructs
 * nothing; Lambda (`handlerFromEnv`), the local runtime and the tests each
 * build the same handler, from AWS resources or from in-memory fakes.
 */
export interface FunctionRoot<N extends FunctionNeeds, D, H> {
  readonly needs: N;
  /**
   * The dependencies from the declared resources, plus the function's
   * optional settings from the environment; called once, at cold start.
   */
  readonly wire: (resources: ResourcesFor<N>) => D;
  readonly build: (deps: D) => H;
}

/** Declares a root; `needs` keeps its literal type for `wire`. */
export function defineRoot<const N extends FunctionNeeds, D, H>(
  root: FunctionRoot<N, D, H>
): FunctionRoot<N, D, H> {
  return root;
}

/**
 * A Lambda entry point's handler, made once at cold start: each resource
 * of the root's needs from its factory (which reads its variable, checked
 * for presence, and makes the one traced client of its service), then the
 * root's dependencies and handler.
 *
 * @example
 * export const handler = handlerFromEnv(authorizerRoot, {
 *   table: registryTableFromEnv,
 * });
 */
export function handlerFromEnv<N extends FunctionNeeds, D, H>(
  root: FunctionRoot<N, D, H>,
  factories: ResourceFactories<N>
): H {
  const resources = Object.fromEntries(
    Object.entries(factories).map(([name, make]) => [
      name,
      (make as () => unknown)(),
    ])
  );
  return root.build(root.wire(resources as ResourcesFor<N>));
}
