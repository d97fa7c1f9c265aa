import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { SlackAction, SlackActionQueue } from '#ports/slack.ts';

/**
 * {@link SlackActionQueue} as an asynchronous invocation of the Slack
 * actions function (`InvocationType: Event`): Lambda answers 202 at once,
 * so the callback answers Slack within its 3 s whatever the decision
 * takes. Locally, the runtime's Lambda endpoint runs the same handler
 * in-process, in the background.
 */
export class LambdaSlackActionQueue implements SlackActionQueue {
  readonly #client: LambdaClient;
  readonly #functionName: string;

  constructor(options: { client: LambdaClient; functionName: string }) {
    this.#client = options.client;
    this.#functionName = options.functionName;
  }

  async enqueue(action: SlackAction): Promise<void> {
    const result = await this.#client.send(
      new InvokeCommand({
        FunctionName: this.#functionName,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(action)),
      })
    );
    if (result.StatusCode !== 202) {
      throw new Error(
        `The Slack actions function did not accept the action (status ${result.StatusCode}).`
      );
    }
  }
}
