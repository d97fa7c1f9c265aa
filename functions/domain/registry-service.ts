import type { ModelRegistryStore } from '#ports/model-registry-store.ts';
import {
  InvalidParameterValueError,
  RegisteredModelDoesNotExistError,
} from './errors.ts';
import { limits } from './limits.ts';
import {
  decodePageToken,
  encodePageToken,
  validateMaxResults,
} from './pagination.ts';
import type { Principal } from './principal.ts';
import {
  type RegisteredModel,
  type Tag,
  validateDescription,
  validateModelName,
  validateTags,
} from './registered-model.ts';

/** What the registry use cases need from the outside world. */
export interface RegistryDependencies {
  readonly store: ModelRegistryStore;
  /** Epoch milliseconds. */
  readonly now: () => number;
  /** A new stable model id (lowercase hex, safe in Databricks path params). */
  readonly newId: () => string;
}

export interface CreateRegisteredModelInput {
  readonly name: string;
  readonly description?: string | undefined;
  readonly tags?: readonly Tag[] | undefined;
}

export async function createRegisteredModel(
  deps: RegistryDependencies,
  caller: Principal,
  input: CreateRegisteredModelInput
): Promise<RegisteredModel> {
  const name = validateModelName(input.name);
  const description = validateDescription(input.description ?? '');
  const tags = validateTags(input.tags ?? []);
  const now = deps.now();
  const model: RegisteredModel = {
    id: deps.newId(),
    name,
    description,
    creationTimestamp: now,
    lastUpdatedTimestamp: now,
    userId: caller.userName,
    tags,
  };
  await deps.store.createRegisteredModel(model);
  return model;
}

export async function getRegisteredModel(
  deps: RegistryDependencies,
  name: string
): Promise<RegisteredModel> {
  const model = await deps.store.getRegisteredModelByName(
    validateModelName(name)
  );
  if (!model) throw new RegisteredModelDoesNotExistError(name);
  return model;
}

export interface SearchRegisteredModelsInput {
  readonly maxResults?: number | undefined;
  readonly pageToken?: string | undefined;
}

export interface RegisteredModelPage {
  readonly models: readonly RegisteredModel[];
  /** Absent on the last page; a non-final page is never empty. */
  readonly nextPageToken?: string;
}

export async function searchRegisteredModels(
  deps: RegistryDependencies,
  input: SearchRegisteredModelsInput
): Promise<RegisteredModelPage> {
  const maxResults = validateMaxResults(input.maxResults, limits.searchModels);
  const afterName =
    input.pageToken === undefined || input.pageToken === ''
      ? undefined
      : decodeAfterName(input.pageToken);
  // One more than asked tells whether a next page exists without an empty
  // final page (MLflow fetches max_results + 1 for the same reason).
  const fetched = await deps.store.listRegisteredModelsByName({
    afterName,
    limit: maxResults + 1,
  });
  const models = fetched.slice(0, maxResults);
  const last = models.at(-1);
  if (fetched.length > maxResults && last) {
    return { models, nextPageToken: encodePageToken({ after: last.name }) };
  }
  return { models };
}

function decodeAfterName(pageToken: string): string {
  const cursor = decodePageToken(pageToken);
  if (cursor.after === undefined) {
    throw new InvalidParameterValueError(
      'Invalid page token, could not base64-decode'
    );
  }
  return cursor.after;
}
