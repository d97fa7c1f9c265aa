import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { DeliveryMessage, DeliveryQueue } from '#ports/delivery-queue.ts';

/** SQS's longest delivery delay. */
export const SQS_MAX_DELAY_SECONDS = 900;
/** SQS's batch size. */
const BATCH = 10;

/**
 * {@link DeliveryQueue} on SQS: messages are sent with a delay of at most
 * 15 minutes (a longer wait is reached by the consumer deferring the
 * message again), and dead letters go to the dead-letter queue, whose URL
 * is the queue's with `-dlq` (the stack names them so).
 */
export class SqsDeliveryQueue implements DeliveryQueue {
  readonly #client: SQSClient;
  readonly #queueUrl: string;

  constructor(options: { queueUrl: string; client?: SQSClient }) {
    this.#queueUrl = options.queueUrl;
    const region = regionOf(options.queueUrl);
    this.#client =
      options.client ?? new SQSClient(region === undefined ? {} : { region });
  }

  async enqueue(
    messages: readonly DeliveryMessage[],
    delayMs = 0
  ): Promise<void> {
    const delay = Math.min(
      SQS_MAX_DELAY_SECONDS,
      Math.max(0, Math.ceil(delayMs / 1000))
    );
    for (let start = 0; start < messages.length; start += BATCH) {
      await this.#sendBatch(
        this.#queueUrl,
        messages.slice(start, start + BATCH),
        delay
      );
    }
  }

  async deadLetter(message: DeliveryMessage): Promise<void> {
    await this.#sendBatch(deadLetterQueueUrl(this.#queueUrl), [message], 0);
  }

  async #sendBatch(
    queueUrl: string,
    messages: readonly DeliveryMessage[],
    delaySeconds: number
  ): Promise<void> {
    const result = await this.#client.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((message, index) => ({
          Id: String(index),
          MessageBody: JSON.stringify(message),
          DelaySeconds: delaySeconds,
        })),
      })
    );
    const [failed] = result.Failed ?? [];
    if (failed) {
      // A partly refused batch fails as a whole: the dispatcher retries the
      // event, and a delivery sent twice is told apart by its delivery id.
      throw new Error(
        `SQS refused ${result.Failed?.length} message(s): ${failed.Code} ${failed.Message ?? ''}`
      );
    }
  }
}

/** The dead-letter queue's URL: the queue's, with `-dlq`. */
export function deadLetterQueueUrl(queueUrl: string): string {
  return `${queueUrl.replace(/\/$/, '')}-dlq`;
}

/** `https://sqs.<region>.amazonaws.com/<account>/<name>` → region. */
function regionOf(queueUrl: string): string | undefined {
  return /^https:\/\/sqs\.([a-z0-9-]+)\./.exec(queueUrl)?.[1];
}
