import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalStepFunctionsEngine } from '../../local/stepfunctions/engine.ts';
import type { TransitionRequestSubstitutions } from '../../statemachines/substitutions.ts';
import { waitForTerminalStatus } from './support/polling.ts';

const STATE_MACHINE_ARN =
  'arn:aws:states:us-east-1:123456789012:stateMachine:stagegate-transition-request';
const SUBSTITUTIONS: TransitionRequestSubstitutions = {
  RegistryTableName: 'stagegate-test-registry',
};

const engine = new LocalStepFunctionsEngine({ handlers: {} });

afterAll(() => engine.stopAllExecutions());

describe('transition-request.asl.json', () => {
  describe('startExecution', () => {
    it('runs to SUCCEEDED with the substituted table name in its output', async () => {
      // Prepare
      engine.registerStateMachine({
        stateMachineArn: STATE_MACHINE_ARN,
        definitionPath: fileURLToPath(
          new URL(
            '../../statemachines/transition-request.asl.json',
            import.meta.url
          )
        ),
        substitutions: SUBSTITUTIONS,
      });
      const input = { modelName: 'churn', version: '3', stage: 'Production' };

      // Act
      const { executionArn } = engine.startExecution(
        STATE_MACHINE_ARN,
        JSON.stringify(input)
      );
      const description = await waitForTerminalStatus(() =>
        engine.describeExecution(executionArn)
      );

      // Assess
      expect(description).toMatchObject({ status: 'SUCCEEDED' });
      expect(JSON.parse(description.output ?? 'null')).toEqual({
        registryTable: 'stagegate-test-registry',
        input,
      });
    });
  });
});
