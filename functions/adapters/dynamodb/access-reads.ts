import type { ModelVersion } from '#domain/model-version.ts';
import type { RootPermissionLevel } from '#domain/permissions.ts';
import { latestVersionNumbers } from '#domain/registry/dependencies.ts';
import type {
  AccessQuery,
  AccessRead,
  AccessReads,
} from '#ports/access-reads.ts';
import type { ModelRecord } from '#ports/model-registry-store.ts';
import { storedPrincipalFromItem } from './identity-store.ts';
import { keys, modelPartition, VERSION_PREFIX } from './keys.ts';
import { grantsFrom } from './model-acls.ts';
import { toModelVersion } from './model-versions.ts';
import { modelRecordOf, recordWithStagesIn } from './registered-models.ts';
import { needsMembers } from './stage-members.ts';
import { batchGetAll, type Item, type RegistryTable } from './toolkit.ts';
import { settingsKeys, storedSettingsIn } from './transition-request-store.ts';

/** Hints kept per process; past this many the hints start over. */
const MAX_HINTS = 10_000;

/**
 * {@link AccessReads} in one BatchGetItem once this process has read the
 * model: the caller's principal item, the model item, the root access
 * list (when it can change the answer), the model's settings and the
 * registry's policy (when the operation uses them) and the versions the
 * operation reads, with the latest version of each stage as last seen.
 *
 * Two hints make that possible, and neither is ever trusted: a model's id
 * by name (the model item read with it must still carry that name, so a
 * renamed, deleted or reused name falls back to the name item and can
 * never answer with another model: ids are never reused), and the latest
 * version numbers of a model (only which items to read along; what they
 * hold is read fresh, and a stage whose latest version changed is read in
 * a second trip by the use case). Without a hint, the name item is read
 * first, with the caller.
 */
export class DynamoDBAccessReads implements AccessReads {
  readonly #table: RegistryTable;
  readonly #modelIds = new Map<string, string>();
  readonly #latest = new Map<string, readonly number[]>();

  constructor(table: RegistryTable) {
    this.#table = table;
  }

  async read(query: AccessQuery): Promise<AccessRead> {
    const principalKey = keys.principal(query.principalId);
    const named = 'name' in query.model ? query.model.name : undefined;
    const hinted =
      'id' in query.model ? query.model.id : this.#modelIds.get(named ?? '');
    const first = await batchGetAll(this.#table, [
      principalKey,
      ...(query.rootGrants ? [keys.rootAcl] : []),
      ...(hinted === undefined
        ? [keys.registeredModelName(named ?? '')]
        : this.#modelKeys(hinted, query, true)),
    ]);
    const principalItem = first.find((item) => item.PK === principalKey.PK);
    const root = first.find((item) => item.PK === keys.rootAcl.PK);
    let modelId = hinted;
    let items = first;
    let found = hinted === undefined ? undefined : modelIn(items, hinted);
    if (named !== undefined && found?.name !== named) {
      // No hint, or a stale one: the name item says which model it is now.
      if (hinted !== undefined) this.#modelIds.delete(named);
      const nameItem =
        hinted === undefined
          ? first.find((item) => item.PK === keys.registeredModelName(named).PK)
          : await batchGetAll(this.#table, [
              keys.registeredModelName(named),
            ]).then(([item]) => item);
      modelId =
        typeof nameItem?.modelId === 'string' ? nameItem.modelId : undefined;
      items =
        modelId === undefined
          ? []
          : await batchGetAll(
              this.#table,
              this.#modelKeys(modelId, query, false)
            );
      found = modelId === undefined ? undefined : modelIn(items, modelId);
      // A rename between the two reads: the id now answers to another name.
      if (found?.name !== named) found = undefined;
    }
    const record = found
      ? await this.#recordOf(found, items, query.stageMembers)
      : undefined;
    if (record) this.#remember(named, record);
    return {
      principal: principalItem
        ? storedPrincipalFromItem(principalItem)
        : undefined,
      record,
      rootGrants: root ? grantsFrom<RootPermissionLevel>(root.acl) : undefined,
      versions: record ? versionsIn(items, record.model.id) : new Map(),
      ...(record && query.settings
        ? { settings: storedSettingsIn(items, record.model.id) }
        : {}),
    };
  }

  #modelKeys(modelId: string, query: AccessQuery, withLatest: boolean): Item[] {
    const numbers = new Set([
      ...query.versions,
      ...(withLatest ? (this.#latest.get(modelId) ?? []) : []),
    ]);
    return [
      keys.registeredModel(modelId),
      ...(query.stageMembers ? [keys.registeredModelStages(modelId)] : []),
      ...(query.settings ? settingsKeys([modelId]) : []),
      ...[...numbers].map((n) => keys.modelVersion(modelId, n)),
    ];
  }

  /**
   * The record of the model item read: with its members when the query
   * asked for them (read along), else with its bounds (the members read
   * now after all when the model item cannot give them).
   */
  async #recordOf(
    modelItem: Item,
    items: readonly Item[],
    withMembers: boolean
  ): Promise<ModelRecord> {
    const id = String(modelItem.id);
    if (withMembers) return recordWithStagesIn(items, id) as ModelRecord;
    if (!needsMembers(modelItem)) {
      return modelRecordOf(modelItem);
    }
    const [stagesItem] = await batchGetAll(this.#table, [
      keys.registeredModelStages(id),
    ]);
    return modelRecordOf(modelItem, stagesItem ?? null);
  }

  #remember(name: string | undefined, record: ModelRecord): void {
    if (this.#latest.size >= MAX_HINTS) this.#latest.clear();
    this.#latest.set(
      record.model.id,
      latestVersionNumbers(record.stageBounds).map(({ version }) => version)
    );
    if (name === undefined) return;
    if (this.#modelIds.size >= MAX_HINTS) this.#modelIds.clear();
    this.#modelIds.set(name, record.model.id);
  }
}

function modelIn(items: readonly Item[], modelId: string): Item | undefined {
  const { PK, SK } = keys.registeredModel(modelId);
  return items.find((item) => item.PK === PK && item.SK === SK);
}

function versionsIn(
  items: readonly Item[],
  modelId: string
): Map<number, ModelVersion> {
  const partition = modelPartition(modelId);
  return new Map(
    items
      .filter(
        (item) =>
          item.PK === partition && String(item.SK).startsWith(VERSION_PREFIX)
      )
      .map((item) => {
        const version = toModelVersion(item);
        return [version.version, version];
      })
  );
}
