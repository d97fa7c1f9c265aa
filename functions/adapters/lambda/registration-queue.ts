import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type {
  RegistrationJob,
  RegistrationQueue,
} from '#ports/registration-queue.ts';

/**
 * {@link RegistrationQueue} as an asynchronous invocation of the
 * registration function (`InvocationType: Event`): Lambda queues the event
 * and answers 202 at once; the copy runs in its own invocation with its own
 * 15-minute budget, and the API call that created the version returns
 * before any byte is copied. Locally, the runtime's Lambda endpoint
 * accepts the same call and runs the same handler in-process.
 */
export class LambdaRegistrationQueue implements RegistrationQueue {
  readonly #client: LambdaClient;
  readonly #functionName: string;

  constructor(options: { client: LambdaClient; functionName: string }) {
    this.#client = options.client;
    this.#functionName = options.functionName;
  }

  async enqueue(job: RegistrationJob): Promise<void> {
    const result = await this.#client.send(
      new InvokeCommand({
        FunctionName: this.#functionName,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(job)),
      })
    );
    if (result.StatusCode !== 202) {
      throw new Error(
        `The registration function did not accept the job (status ${result.StatusCode}).`
      );
    }
  }
}
