import type { ModelRecord } from '#ports/model-registry-store.ts';
import { InvalidParameterValueError } from '../errors.ts';
import { limits } from '../limits.ts';
import type { ModelVersion } from '../model-version.ts';
import {
  decodePageToken,
  encodePageToken,
  validateMaxResults,
} from '../pagination.ts';
import type { RegisteredModel } from '../registered-model.ts';
import {
  compareBy,
  exactName,
  type FilterClause,
  likePrefix,
  matchesFilter,
  type OrderKey,
  parseModelFilter,
  parseModelOrderBy,
  parseVersionFilter,
  parseVersionOrderBy,
  runIds,
  type Sortable,
} from '../search.ts';
import {
  type ModelVersionView,
  modelViews,
  type RegisteredModelView,
  type RegistryDependencies,
  versionView,
} from './dependencies.ts';

/** Which models the caller may see (from its access check). */
export type Visibility = (record: ModelRecord) => boolean;

const ALL_VISIBLE: Visibility = () => true;

export interface SearchInput {
  readonly filter?: string | undefined;
  readonly orderBy?: readonly string[] | undefined;
  readonly maxResults?: number | undefined;
  readonly pageToken?: string | undefined;
}

/** MLflow: 100 by default, at most 1000 per page. */
const MODEL_PAGE = { defaultMaxResults: 100, maxMaxResults: 1000 };
/**
 * Databricks' bound (MLflow's is 200000, but 10000 versions already fill
 * most of a Lambda response); the MLflow client asks for 10000 by default.
 */
const VERSION_PAGE = { defaultMaxResults: 10000, maxMaxResults: 10000 };
/** Index items read per store call while filling a filtered page. */
const MODEL_BATCH = 200;
/** Models whose versions are read in parallel during a version search. */
const VERSION_READ_CONCURRENCY = 8;

function modelSubject(model: RegisteredModel) {
  return {
    attributes: { name: model.name },
    tags: Object.fromEntries(model.tags.map((t) => [t.key, t.value])),
  };
}

/**
 * `registered-models/search` and `list`: walks the index of the first
 * order key (name, or last update) from the page token's position, keeps
 * the models the filter matches, and stops at `max_results + 1` matches or
 * the end of the index. The extra match decides whether a next page
 * exists, so a non-final page is never empty and the last page has no token.
 */
export async function searchRegisteredModels(
  deps: RegistryDependencies,
  input: SearchInput,
  visible: Visibility = ALL_VISIBLE
): Promise<{ models: RegisteredModelView[]; nextPageToken?: string }> {
  const maxResults = validateMaxResults(input.maxResults, MODEL_PAGE);
  const clauses = withoutPromptsByDefault(parseModelFilter(input.filter));
  const order = parseModelOrderBy(input.orderBy);
  const first = order[0] ?? { key: 'name', direction: 'ASC' };
  const orderBy = first.key === 'name' ? 'name' : 'last_updated_timestamp';
  const descending = first.direction === 'DESC';
  const signature = order.map((o) => `${o.key} ${o.direction}`).join(',');
  const after = positionFromToken(input.pageToken, signature);

  const name = exactName(clauses);
  if (name !== undefined) {
    // One model at most: a direct read, never an index walk.
    const record = possibleName(name)
      ? await deps.store.getModelRecordByName(name)
      : undefined;
    const records =
      record &&
      !after &&
      visible(record) &&
      matchesFilter(clauses, modelSubject(record.model))
        ? [record]
        : [];
    const models = await modelViews(deps, records.slice(0, maxResults));
    return { models };
  }

  const prefix = likePrefix(clauses);
  if (prefix !== undefined && !possibleName(prefix)) return { models: [] };
  const namePrefix = orderBy === 'name' && !descending ? prefix : undefined;
  const matched: { record: ModelRecord; position: string }[] = [];
  let position = after;
  let exhausted = false;
  while (matched.length <= maxResults && !exhausted) {
    const page = await deps.store.listModels({
      orderBy,
      descending,
      after: position,
      namePrefix,
      limit: Math.max(MODEL_BATCH, maxResults + 1 - matched.length),
    });
    for (const [index, record] of page.records.entries()) {
      position = page.positions[index];
      // Filtering by permission inside the walk keeps pages full: a page
      // is cut only at max_results + 1 visible matches.
      if (
        visible(record) &&
        matchesFilter(clauses, modelSubject(record.model))
      ) {
        matched.push({ record, position: position ?? '' });
        if (matched.length > maxResults) break;
      }
    }
    exhausted = page.exhausted || page.records.length === 0;
  }
  const pageItems = matched.slice(0, maxResults);
  const models = await modelViews(
    deps,
    pageItems.map((m) => m.record)
  );
  const last = pageItems.at(-1);
  return matched.length > maxResults && last
    ? {
        models,
        nextPageToken: encodePageToken({ o: signature, p: last.position }),
      }
    : { models };
}

/**
 * A filter value longer than any model name can match nothing; it must not
 * reach the store, whose keys it would overflow.
 */
function possibleName(value: string): boolean {
  return value.length <= limits.modelNameLength;
}

/** MLflow 3.x marks prompts (stored as registered models) with this tag. */
const PROMPT_TAG = 'mlflow.prompt.is_prompt';

/**
 * As the MLflow 3.x server: prompts are not models, so a search that says
 * nothing about the prompt tag leaves them out (the 3.x client appends the
 * same clause itself; 2.x clients never create prompts).
 */
function withoutPromptsByDefault(clauses: FilterClause[]): FilterClause[] {
  if (clauses.some((c) => c.kind === 'tag' && c.key === PROMPT_TAG)) {
    return clauses;
  }
  return [
    ...clauses,
    { kind: 'tag', key: PROMPT_TAG, comparator: '!=', value: 'true' },
  ];
}

function positionFromToken(
  pageToken: string | undefined,
  signature: string
): string | undefined {
  if (pageToken === undefined || pageToken === '') return undefined;
  const cursor = decodePageToken(pageToken);
  if (
    cursor.o !== signature ||
    cursor.p === undefined ||
    cursor.p === '' ||
    // Index positions are at most a timestamp and a name; anything longer
    // was not issued here and would overflow DynamoDB's key limit.
    Buffer.byteLength(cursor.p) > 1024
  ) {
    throw new InvalidParameterValueError(
      'Invalid page token: it belongs to a search with another order_by.'
    );
  }
  return cursor.p;
}

function versionSortable(version: ModelVersionView): Sortable {
  return {
    name: version.name,
    version_number: version.version,
    creation_timestamp: version.creationTimestamp,
    last_updated_timestamp: version.lastUpdatedTimestamp,
  };
}

function versionSubject(version: ModelVersionView) {
  return {
    attributes: {
      name: version.name,
      version_number: version.version,
      run_id: version.runId,
      source_path: version.source,
    },
    tags: Object.fromEntries(version.tags.map((t) => [t.key, t.value])),
  };
}

/**
 * `model-versions/search`: reads the candidates from the narrowest access
 * path the filter allows (one model's partition for `name = …`, the run
 * index for `run_id = …`/`IN`, else every model's partition, name-prefix
 * narrowed for `name LIKE 'p%'`), filters and sorts them in memory, and
 * pages with a keyset token on the sort key (the order is total: name and
 * version number break every tie).
 */
export async function searchModelVersions(
  deps: RegistryDependencies,
  input: SearchInput,
  visible: Visibility = ALL_VISIBLE
): Promise<{ versions: ModelVersionView[]; nextPageToken?: string }> {
  const maxResults = validateMaxResults(input.maxResults, VERSION_PAGE);
  const clauses = parseVersionFilter(input.filter);
  const order = parseVersionOrderBy(input.orderBy);
  const compare = compareBy(order);
  const signature = order.map((o) => `${o.key} ${o.direction}`).join(',');
  const after = sortKeyFromToken(input.pageToken, signature);

  const candidates = await versionCandidates(deps, clauses, visible);
  const sorted = candidates
    .filter((version) => matchesFilter(clauses, versionSubject(version)))
    .map((version) => ({ version, key: versionSortable(version) }))
    .filter(({ key }) => !after || compare(key, after) > 0)
    .sort((a, b) => compare(a.key, b.key));
  const page = sorted.slice(0, maxResults);
  const last = page.at(-1);
  const versions = page.map((entry) => entry.version);
  return sorted.length > maxResults && last
    ? {
        versions,
        nextPageToken: encodePageToken({
          o: signature,
          k: JSON.stringify(last.key),
        }),
      }
    : { versions };
}

function sortKeyFromToken(
  pageToken: string | undefined,
  signature: string
): Sortable | undefined {
  if (pageToken === undefined || pageToken === '') return undefined;
  const cursor = decodePageToken(pageToken);
  if (cursor.o !== signature || cursor.k === undefined) {
    throw new InvalidParameterValueError(
      'Invalid page token: it belongs to a search with another order_by.'
    );
  }
  try {
    const key = JSON.parse(cursor.k) as Sortable;
    if (typeof key.name === 'string') return key;
  } catch {
    // Falls through to the error below.
  }
  throw new InvalidParameterValueError(
    'Invalid page token, could not base64-decode'
  );
}

async function versionCandidates(
  deps: RegistryDependencies,
  clauses: readonly FilterClause[],
  visible: Visibility
): Promise<ModelVersionView[]> {
  const name = exactName(clauses);
  if (name !== undefined) {
    if (!possibleName(name)) return [];
    const record = await deps.store.getModelRecordByName(name);
    if (!record || !visible(record)) return [];
    const versions = await deps.store.listVersions(record.model.id);
    return versions.map((v) =>
      versionView(record.model, v, { withAliases: false })
    );
  }
  const runs = runIds(clauses);
  // Versions without a run are not in the run index: '' takes the walk.
  if (runs !== undefined && !runs.includes('')) {
    const versions = (
      await Promise.all(runs.map((run) => deps.store.listVersionsByRunId(run)))
    ).flat();
    return withModels(deps, versions, visible);
  }
  const views: ModelVersionView[] = [];
  const namePrefix = likePrefix(clauses);
  if (namePrefix !== undefined && !possibleName(namePrefix)) return [];
  let after: string | undefined;
  for (;;) {
    const page = await deps.store.listModels({
      orderBy: 'name',
      descending: false,
      after,
      namePrefix,
      limit: MODEL_BATCH,
    });
    const models = page.records.filter(visible).map((record) => record.model);
    for (
      let start = 0;
      start < models.length;
      start += VERSION_READ_CONCURRENCY
    ) {
      const batch = models.slice(start, start + VERSION_READ_CONCURRENCY);
      const lists = await Promise.all(
        batch.map((model) => deps.store.listVersions(model.id))
      );
      for (const [index, versions] of lists.entries()) {
        const model = batch[index];
        if (!model) continue;
        views.push(
          ...versions.map((v) => versionView(model, v, { withAliases: false }))
        );
      }
    }
    after = page.positions.at(-1);
    if (page.exhausted || page.records.length === 0) return views;
  }
}

/** Joins versions found through the run index with their models' names. */
async function withModels(
  deps: RegistryDependencies,
  versions: readonly ModelVersion[],
  visible: Visibility
): Promise<ModelVersionView[]> {
  const records = await deps.store.getModelRecordsByIds(
    versions.map((v) => v.modelId)
  );
  const byId = new Map(
    records.filter(visible).map((r) => [r.model.id, r.model])
  );
  return versions.flatMap((version) => {
    const model = byId.get(version.modelId);
    // A version whose model is gone (a deletion mid-purge) or hidden from
    // the caller is not shown.
    return model ? [versionView(model, version, { withAliases: false })] : [];
  });
}

export type { OrderKey };
