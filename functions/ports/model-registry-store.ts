import type { RegisteredModel } from '#domain/registered-model.ts';

/** A page of registered models in name order, fetched after a cursor. */
export interface RegisteredModelPageQuery {
  /** Only names strictly greater than this one (keyset pagination). */
  readonly afterName?: string;
  /** Upper bound on the number of models returned. */
  readonly limit: number;
}

/**
 * Persistence of registered models and their versions.
 *
 * Implementations enforce the invariants with conditional writes, not with
 * reads before writes: a model name is unique across the registry even under
 * concurrent creates.
 */
export interface ModelRegistryStore {
  /**
   * Stores a new model.
   * @throws RegisteredModelAlreadyExistsError when the name is taken.
   */
  createRegisteredModel(model: RegisteredModel): Promise<void>;

  /** Strongly consistent read by name; `undefined` when there is none. */
  getRegisteredModelByName(name: string): Promise<RegisteredModel | undefined>;

  /** Models ordered by name ascending, at most `limit` of them. */
  listRegisteredModelsByName(
    query: RegisteredModelPageQuery
  ): Promise<readonly RegisteredModel[]>;
}
