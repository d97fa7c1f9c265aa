import type {
  ModelRecord,
  StageBounds,
  StageMembers,
} from '#ports/model-registry-store.ts';
import { STAGES } from '../stages.ts';

/** The lowest and highest version of each non-empty stage. */
export function stageBoundsOf(members: StageMembers): StageBounds {
  return Object.fromEntries(
    STAGES.filter((stage) => members[stage].length > 0).map((stage) => [
      stage,
      {
        lowest: Math.min(...members[stage]),
        highest: Math.max(...members[stage]),
      },
    ])
  );
}

/**
 * The record's stage members.
 * @throws Error when the record was read without them (a model read's
 *   access check): the route needs them and must not be listed among the
 *   reads that leave them out — a wiring error, not the caller's.
 */
export function stagesOf(record: ModelRecord): StageMembers {
  if (!record.stages) {
    throw new Error(
      `The record of model ${record.model.id} was read without its stage members.`
    );
  }
  return record.stages;
}
