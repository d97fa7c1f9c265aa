import { describe, expect, it } from 'vitest';
import { InvalidParameterValueError } from '#domain/errors.ts';
import {
  canonicalStage,
  isActiveStage,
  STAGES,
  validateArchiveExistingVersions,
} from '#domain/stages.ts';

function refusal(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected a refusal');
}

describe('stages', () => {
  describe('canonicalStage', () => {
    it.each([
      ['none', 'None'],
      ['STAGING', 'Staging'],
      [' production ', 'Production'],
      ['Archived', 'Archived'],
    ])(
      'reads %j as %s, in any case and without surrounding blanks',
      (input, stage) => {
        expect(canonicalStage(input)).toBe(stage);
      }
    );

    it.each(['prod', 'Live', ''])(
      "refuses %j with MLflow's message, listing the stages",
      (input) => {
        // Act
        const error = refusal(() => canonicalStage(input));

        // Assess
        expect(error).toBeInstanceOf(InvalidParameterValueError);
        expect(error).toMatchObject({
          code: 'INVALID_PARAMETER_VALUE',
          message: `Invalid Model Version stage: ${input}. Value must be one of None, Staging, Production, Archived.`,
        });
      }
    );
  });

  describe('isActiveStage', () => {
    it('holds for Staging and Production only', () => {
      expect(STAGES.filter(isActiveStage)).toStrictEqual([
        'Staging',
        'Production',
      ]);
    });
  });

  describe('validateArchiveExistingVersions', () => {
    it('accepts the flag for the active stages, and its absence anywhere', () => {
      // Act
      const check = () => {
        for (const stage of STAGES)
          validateArchiveExistingVersions(stage, false);
        validateArchiveExistingVersions('Staging', true);
        validateArchiveExistingVersions('Production', true);
      };

      // Assess
      expect(check).not.toThrow();
    });

    it.each(['None', 'Archived'] as const)(
      'refuses the flag for %s with 400 (MLflow answers 500)',
      (stage) => {
        // Act
        const error = refusal(() =>
          validateArchiveExistingVersions(stage, true)
        );

        // Assess
        expect(error).toBeInstanceOf(InvalidParameterValueError);
        expect(error).toMatchObject({
          code: 'INVALID_PARAMETER_VALUE',
          message: `Model version transition cannot archive existing model versions because '${stage}' is not an Active stage. Valid stages are Staging, Production.`,
        });
      }
    );
  });
});
