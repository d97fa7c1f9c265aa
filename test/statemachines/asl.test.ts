import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  findPlaceholders,
  substituteDefinition,
} from '../../local/stepfunctions/engine.ts';
import { substitutionKeysByDefinitionFile } from '../../statemachines/substitutions.ts';

interface AslValidationResult {
  readonly isValid: boolean;
  errorsText(separator?: string): string;
}

/** asl-validator 4 is CommonJS without types: `module.exports = validator`. */
const validateAsl = createRequire(import.meta.url)('asl-validator') as (
  definition: unknown,
  options: { checkPaths: boolean; checkArn: boolean }
) => AslValidationResult;

/** What `asl-validator --json-path` checks by default. */
const CLI_DEFAULTS = { checkPaths: true, checkArn: true };

const statemachinesDir = fileURLToPath(
  new URL('../../statemachines/', import.meta.url)
);
const definitionFiles = readdirSync(statemachinesDir)
  .filter((file) => file.endsWith('.asl.json'))
  .sort();

/**
 * A deployable-looking value per key: ARN placeholders get a Lambda ARN (so
 * the ARN check of `Resource` passes), anything else a name.
 */
function sampleSubstitutions(keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    keys.map((key) => [
      key,
      key.endsWith('Arn')
        ? `arn:aws:lambda:us-east-1:123456789012:function:stagegate-${key}`
        : `stagegate-${key}`,
    ])
  );
}

function readDefinition(file: string): string {
  return readFileSync(`${statemachinesDir}${file}`, 'utf8');
}

describe('statemachines/*.asl.json', () => {
  it('finds the definitions', () => {
    // Assess
    expect(definitionFiles).toContain('transition-request.asl.json');
  });

  describe.each(definitionFiles)('%s', (file) => {
    const keys = substitutionKeysByDefinitionFile[file] ?? [];

    it('is valid ASL as written, placeholders and all', () => {
      // Act
      const result = validateAsl(
        JSON.parse(readDefinition(file)),
        CLI_DEFAULTS
      );

      // Assess
      expect(result.isValid, result.errorsText('\n')).toBe(true);
    });

    it('is valid ASL after substitution', () => {
      // Prepare
      const substituted = substituteDefinition(
        readDefinition(file),
        sampleSubstitutions(keys)
      );

      // Act
      const result = validateAsl(JSON.parse(substituted), CLI_DEFAULTS);

      // Assess
      expect(result.isValid, result.errorsText('\n')).toBe(true);
    });

    it('uses exactly the placeholders CDK and the local engine substitute', () => {
      // Act
      const placeholders = findPlaceholders(readDefinition(file));

      // Assess
      expect(Object.hasOwn(substitutionKeysByDefinitionFile, file)).toBe(true);
      expect([...placeholders].sort()).toEqual([...keys].sort());
    });
  });
});
