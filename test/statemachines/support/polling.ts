import { setTimeout as sleep } from 'node:timers/promises';

export interface PollOptions {
  /** @default 3000 */
  readonly timeoutMs?: number;
  /** @default 5 */
  readonly intervalMs?: number;
  /** What is awaited, for the timeout message. */
  readonly description: string;
}

/**
 * Calls `probe` until it returns something other than undefined. A probe
 * that sees the awaited thing can no longer happen should throw, so the test
 * fails at once with the reason instead of at the deadline.
 * @throws Error after `timeoutMs`, naming `description`.
 */
export async function pollUntil<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  options: PollOptions
): Promise<T> {
  const { timeoutMs = 3000, intervalMs = 5, description } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${description}`
      );
    }
    await sleep(intervalMs);
  }
}

const TERMINAL_STATUSES = new Set([
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
]);

/**
 * Polls a DescribeExecution until the status is terminal, whatever it is, and
 * returns that description for the test to assert on.
 */
export function waitForTerminalStatus<
  T extends { status?: string | undefined },
>(
  describeExecution: () => T | Promise<T>,
  options: Omit<PollOptions, 'description'> = {}
): Promise<T> {
  return pollUntil(
    async () => {
      const description = await describeExecution();
      return description.status !== undefined &&
        TERMINAL_STATUSES.has(description.status)
        ? description
        : undefined;
    },
    { ...options, description: 'a terminal execution status' }
  );
}
