import type {
  ModelRecord,
  ModelRegistryStore,
} from '#ports/model-registry-store.ts';
import { validateModelName } from './registered-model.ts';
import { isWellFormed, wellFormed } from './text.ts';

/**
 * How many models after the name's prefix are looked at for a name stored
 * with a lone surrogate: a bound on the work a name holding U+FFFD can ask
 * for, far above the models sharing a prefix in practice.
 */
const ILL_FORMED_NAME_SCAN = 1000;

/**
 * The model a caller names. A name stored with a lone surrogate (before
 * the edge refused them) can no longer be sent as it is; responses show it
 * with U+FFFD in its place, and that form names it here, so such a model
 * can still be read, renamed and deleted.
 */
export async function findModelRecord(
  store: Pick<
    ModelRegistryStore,
    'getModelRecordByName' | 'getModelRecordById' | 'listModels'
  >,
  name: string
): Promise<ModelRecord | undefined> {
  const exact = await store.getModelRecordByName(validateModelName(name));
  const replaced = name.indexOf('\ufffd');
  if (exact || replaced < 0) return exact;
  let after: string | undefined;
  for (let seen = 0; seen < ILL_FORMED_NAME_SCAN; ) {
    const page = await store.listModels({
      orderBy: 'name',
      descending: false,
      namePrefix: name.slice(0, replaced),
      after,
      limit: 100,
    });
    const stored = page.records.find(
      (record) =>
        !isWellFormed(record.model.name) &&
        wellFormed(record.model.name) === name
    );
    // The listing is eventually consistent; the record by id is not.
    if (stored) return store.getModelRecordById(stored.model.id);
    seen += page.records.length;
    after = page.positions.at(-1);
    if (page.exhausted || after === undefined) return undefined;
  }
  return undefined;
}
