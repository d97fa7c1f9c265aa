import { stageBoundsOf } from '#domain/registry/stage-members.ts';
import { STAGES, type Stage } from '#domain/stages.ts';
import type {
  ModelRecord,
  StageBounds,
  StageMembers,
} from '#ports/model-registry-store.ts';
import {
  keys,
  lastUpdatedPosition,
  stageAttribute,
  stageBoundAttributes,
} from './keys.ts';
import {
  type Item,
  type TransactItem,
  type TransactItems,
  updateExpression,
} from './toolkit.ts';

/**
 * Stage membership is kept in two places, so that reading a model costs
 * the same with 3 versions as with 10,000:
 *
 * - the **stage members item** (`RM#<id>`/`#STAGES`): a number set per
 *   stage and its own `revision`, bumped by every change of membership.
 *   Only the writes that move versions between stages read it (and the
 *   checks planning them); they condition on its revision, as on the
 *   model's, because a BatchGetItem may read the two items on either side
 *   of a concurrent transaction.
 * - the **model item**'s bounds: the lowest and highest version of each
 *   non-empty stage, all a model read needs (`latest_versions` and its
 *   order, `models:/<name>/<stage>`), with `stageBoundsExact` set while
 *   they are exact. A create adds the newest number, so it can keep them
 *   exact without reading the members; when concurrent creates store their
 *   numbers out of order and the bounds cannot be kept exact in a bounded
 *   number of attempts, the create clears the flag and readers read the
 *   members until the next write that reads them restores it.
 *
 * Model items written before the members had their own item carry their
 * number sets themselves and no flag: they are read with the members item
 * (both sets are one membership: versions move only by the writes that
 * read both, which move those sets to the members item).
 */
export const BOUNDS_EXACT = 'stageBoundsExact';

/** Whether the model item alone cannot give the stage bounds. */
export function needsMembers(modelItem: Item): boolean {
  return (
    modelItem[BOUNDS_EXACT] !== true ||
    STAGES.some((stage) => modelItem[stageAttribute(stage)] !== undefined)
  );
}

/** A model record's fields that do not depend on its stage membership. */
export type ModelFields = Omit<
  ModelRecord,
  'stages' | 'stageBounds' | 'stagesRevision'
>;

/**
 * `base` (the model item's other fields) with the stage bounds, and with
 * the stage members when `stagesItem` is given (read with it; `null`:
 * read, and absent).
 * @throws Error when the members were not read although the model item
 *   needs them for its bounds (see {@link needsMembers}).
 */
export function withStageMembership(
  base: ModelFields,
  modelItem: Item,
  stagesItem: Item | null | undefined
): ModelRecord {
  if (stagesItem === undefined) {
    if (needsMembers(modelItem)) {
      throw new Error(`Model ${base.model.id} needs its stage members read.`);
    }
    return { ...base, stageBounds: boundsOnModelItem(modelItem) };
  }
  const stages = Object.fromEntries(
    STAGES.map((stage) => [
      stage,
      [
        ...new Set([
          ...numberSet(modelItem[stageAttribute(stage)]),
          ...numberSet(stagesItem?.[stageAttribute(stage)]),
        ]),
      ].sort((a, b) => a - b),
    ])
  ) as Record<Stage, number[]>;
  return {
    ...base,
    stages,
    stageBounds: stageBoundsOf(stages),
    stagesRevision: Number(stagesItem?.revision ?? 0),
  };
}

function boundsOnModelItem(item: Item): StageBounds {
  return Object.fromEntries(
    STAGES.flatMap((stage) => {
      const names = stageBoundAttributes(stage);
      const lowest = item[names.lowest];
      const highest = item[names.highest];
      return lowest === undefined || highest === undefined
        ? []
        : [[stage, { lowest: Number(lowest), highest: Number(highest) }]];
    })
  );
}

function numberSet(value: unknown): number[] {
  return value instanceof Set ? [...value].map(Number) : [];
}

/**
 * The model item's update parts that store exact bounds for `members`
 * and, unless `keepLegacy`, drop number sets from before the members item
 * (which the members item must then receive whole).
 */
export function exactBoundsUpdate(
  members: StageMembers,
  options: { keepLegacy?: boolean } = {}
): {
  sets: string[];
  removes: string[];
  names: Record<string, string>;
  values: Item;
} {
  const bounds = stageBoundsOf(members);
  const sets = [`#exact = :exact`];
  const removes: string[] = [];
  const names: Record<string, string> = { '#exact': BOUNDS_EXACT };
  const values: Item = { ':exact': true };
  for (const [i, stage] of STAGES.entries()) {
    const attribute = stageBoundAttributes(stage);
    names[`#lo${i}`] = attribute.lowest;
    names[`#hi${i}`] = attribute.highest;
    if (!options.keepLegacy) {
      names[`#legacy${i}`] = stageAttribute(stage);
      removes.push(`#legacy${i}`);
    }
    const bound = bounds[stage];
    if (bound) {
      values[`:lo${i}`] = bound.lowest;
      values[`:hi${i}`] = bound.highest;
      sets.push(`#lo${i} = :lo${i}`, `#hi${i} = :hi${i}`);
    } else {
      removes.push(`#lo${i}`, `#hi${i}`);
    }
  }
  return { sets, removes, names, values };
}

/**
 * The members item's condition for a write planned on `record`'s members:
 * they are still what it read.
 */
export function membersUnchanged(record: ModelRecord): {
  ConditionExpression: string;
  ExpressionAttributeValues?: Item;
} {
  const revision = record.stagesRevision ?? 0;
  return revision === 0
    ? { ConditionExpression: 'attribute_not_exists(revision)' }
    : {
        ConditionExpression: 'revision = :stagesRevision',
        ExpressionAttributeValues: { ':stagesRevision': revision },
      };
}

/** A transaction's check that `record`'s members did not change. */
export function membersCheck(
  tableName: string,
  record: ModelRecord
): TransactItem {
  return {
    ConditionCheck: {
      TableName: tableName,
      Key: keys.registeredModelStages(record.model.id),
      ...membersUnchanged(record),
    },
  };
}

/**
 * The members item's update that adds `version` to None, a write whose
 * size does not grow with the members: conditioned on the members being
 * those of `plannedOn` for a create planned on them, unconditioned
 * (`plannedOn` absent) for a number the create claimed for itself alone.
 */
export function membersAdd(
  tableName: string,
  modelId: string,
  version: number,
  plannedOn?: ModelRecord
): TransactItem {
  const condition = plannedOn ? membersUnchanged(plannedOn) : undefined;
  return {
    Update: {
      TableName: tableName,
      Key: keys.registeredModelStages(modelId),
      UpdateExpression: 'ADD #none :versions, #revision :one',
      ...(condition
        ? { ConditionExpression: condition.ConditionExpression }
        : {}),
      ExpressionAttributeNames: {
        '#none': stageAttribute('None'),
        '#revision': 'revision',
      },
      ExpressionAttributeValues: {
        ...condition?.ExpressionAttributeValues,
        ':versions': new Set([version]),
        ':one': 1,
      },
    },
  };
}

/**
 * The members item's update that stores `members` whole (after a write
 * planned on `record`'s members), conditioned on them being unchanged.
 */
function membersPut(
  tableName: string,
  record: ModelRecord,
  members: StageMembers
): TransactItem {
  const sets: string[] = [];
  const removes: string[] = [];
  const names: Record<string, string> = { '#revision': 'revision' };
  const condition = membersUnchanged(record);
  const values: Item = { ':one': 1, ...condition.ExpressionAttributeValues };
  for (const [i, stage] of STAGES.entries()) {
    names[`#s${i}`] = stageAttribute(stage);
    if (members[stage].length > 0) {
      values[`:s${i}`] = new Set(members[stage]);
      sets.push(`#s${i} = :s${i}`);
    } else {
      removes.push(`#s${i}`);
    }
  }
  return {
    Update: {
      TableName: tableName,
      Key: keys.registeredModelStages(record.model.id),
      UpdateExpression: updateExpression({
        set: sets,
        remove: removes,
        add: ['#revision :one'],
      }),
      ConditionExpression: condition.ConditionExpression,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}

/**
 * The two writes of a change planned on `record` that leaves its stages
 * with `members` (a transition, a version's deletion), conditioned on both
 * revisions it planned on: the model item (revision and last update moved,
 * exact bounds stored, number sets from before the members item dropped,
 * plus the change's own `also.removes`), then the members item stored
 * whole.
 */
export function membershipChange(
  tableName: string,
  record: ModelRecord,
  members: StageMembers,
  now: number,
  also: {
    readonly removes?: readonly string[];
    readonly names?: Record<string, string>;
  } = {}
): TransactItems {
  const bounds = exactBoundsUpdate(members);
  return [
    {
      Update: {
        TableName: tableName,
        Key: keys.registeredModel(record.model.id),
        UpdateExpression: updateExpression({
          set: [
            'revision = revision + :one',
            'lastUpdatedTimestamp = :now',
            'GSI2SK = :position',
            ...bounds.sets,
          ],
          remove: [...bounds.removes, ...(also.removes ?? [])],
        }),
        ConditionExpression: 'revision = :revision',
        ExpressionAttributeNames: { ...bounds.names, ...also.names },
        ExpressionAttributeValues: {
          ...bounds.values,
          ':one': 1,
          ':now': now,
          ':position': lastUpdatedPosition(now, record.model.name),
          ':revision': record.revision,
        },
      },
    },
    membersPut(tableName, record, members),
  ];
}
