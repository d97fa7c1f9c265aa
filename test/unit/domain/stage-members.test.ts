import { describe, expect, it } from 'vitest';
import { latestVersionNumbers } from '#domain/registry/dependencies.ts';
import { stageBoundsOf, stagesOf } from '#domain/registry/stage-members.ts';
import type { ModelRecord } from '#ports/model-registry-store.ts';

const record: ModelRecord = {
  model: {
    id: 'f'.repeat(32),
    name: 'fraud',
    description: '',
    creationTimestamp: 0,
    lastUpdatedTimestamp: 0,
    userId: 'alice',
    tags: [],
    aliases: [],
  },
  revision: 3,
  versionCounter: 9,
  grants: [],
  stageBounds: { None: { lowest: 4, highest: 9 } },
};

describe('stage members and bounds', () => {
  it('bounds each non-empty stage by its lowest and highest version', () => {
    // Act
    const bounds = stageBoundsOf({
      None: [9, 4, 7],
      Staging: [],
      Production: [2],
      Archived: [1, 3],
    });

    // Assess
    expect(bounds).toStrictEqual({
      None: { lowest: 4, highest: 9 },
      Production: { lowest: 2, highest: 2 },
      Archived: { lowest: 1, highest: 3 },
    });
    // MLflow's latest_versions: each stage's highest, ordered by its lowest.
    expect(latestVersionNumbers(bounds)).toStrictEqual([
      { stage: 'Archived', version: 3 },
      { stage: 'Production', version: 2 },
      { stage: 'None', version: 9 },
    ]);
  });

  it('refuses to answer members a record was read without, as a wiring error', () => {
    // Act
    const members = () => stagesOf(record);

    // Assess
    expect(members).toThrow(
      `The record of model ${record.model.id} was read without its stage members.`
    );
    expect(
      stagesOf({
        ...record,
        stages: { None: [4, 9], Staging: [], Production: [], Archived: [] },
      }).None
    ).toStrictEqual([4, 9]);
  });
});
