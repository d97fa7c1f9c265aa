import {
  ConcurrentModificationError,
  TooManyConcurrentChangesError,
} from './errors.ts';

const BACKOFF_BASE_MS = 5;
const BACKOFF_CAP_MS = 250;

const defaultSleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Optimistic concurrency: runs `attempt` until it commits.
 * `ConcurrentModificationError` means the data changed between the
 * attempt's reads and its conditional write, so it backs off (full jitter,
 * so many concurrent writers spread out instead of colliding in lockstep)
 * and runs again from its reads. Any other error ends the loop; an
 * exhausted budget becomes a 429 that both clients retry.
 */
export async function withOptimisticRetry<T>(
  deps: { readonly sleep?: ((ms: number) => Promise<void>) | undefined },
  attempt: () => Promise<T>,
  options: { maxAttempts: number; what: string }
): Promise<T> {
  const sleep = deps.sleep ?? defaultSleep;
  for (let tries = 1; ; tries += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof ConcurrentModificationError)) throw error;
      if (tries >= options.maxAttempts) {
        throw new TooManyConcurrentChangesError(
          `Too many concurrent changes to ${options.what}; retry the request.`
        );
      }
      await sleep(
        Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** tries)
      );
    }
  }
}
