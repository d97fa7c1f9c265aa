import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ConcurrentModificationError,
  InvalidStateError,
  TooManyConcurrentChangesError,
} from '#domain/errors.ts';
import { withOptimisticRetry } from '#domain/retry.ts';
import { expectRefusal } from './support/registry.ts';

const OPTIONS = { maxAttempts: 4, what: 'this thing' };

/** An attempt that loses `losses` races, then answers `answer`. */
function losing(losses: number, answer = 'done') {
  let calls = 0;
  const attempt = async () => {
    calls += 1;
    if (calls <= losses) throw new ConcurrentModificationError('lost');
    return answer;
  };
  return { attempt, calls: () => calls };
}

describe('withOptimisticRetry', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('answers the first attempt that commits, without waiting before it', async () => {
    // Prepare
    const sleeps: number[] = [];
    const { attempt, calls } = losing(0);

    // Act
    const answer = await withOptimisticRetry(
      { sleep: async (ms) => void sleeps.push(ms) },
      attempt,
      OPTIONS
    );

    // Assess
    expect(answer).toBe('done');
    expect(calls()).toBe(1);
    expect(sleeps).toStrictEqual([]);
  });

  it('runs again after each lost race, backing off with full jitter under a growing cap', async () => {
    // Prepare
    const sleeps: number[] = [];
    const { attempt, calls } = losing(3);

    // Act
    const answer = await withOptimisticRetry(
      { sleep: async (ms) => void sleeps.push(ms) },
      attempt,
      OPTIONS
    );

    // Assess
    expect(answer).toBe('done');
    expect(calls()).toBe(4);
    expect(sleeps).toHaveLength(3);
    for (const [index, ms] of sleeps.entries()) {
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThan(Math.min(250, 5 * 2 ** (index + 1)));
    }
  });

  it('gives up after the budget with 429, naming what changed', async () => {
    // Prepare
    const sleeps: number[] = [];
    const { attempt, calls } = losing(Number.POSITIVE_INFINITY);

    // Act
    const run = withOptimisticRetry(
      { sleep: async (ms) => void sleeps.push(ms) },
      attempt,
      OPTIONS
    );

    // Assess
    await expectRefusal(
      run,
      TooManyConcurrentChangesError,
      'REQUEST_LIMIT_EXCEEDED',
      'Too many concurrent changes to this thing; retry the request.'
    );
    expect(calls()).toBe(OPTIONS.maxAttempts);
    expect(sleeps).toHaveLength(OPTIONS.maxAttempts - 1);
  });

  it('passes any other error through at once', async () => {
    // Prepare
    let calls = 0;
    const attempt = async () => {
      calls += 1;
      throw new InvalidStateError('no');
    };

    // Act
    const run = withOptimisticRetry(
      { sleep: async () => {} },
      attempt,
      OPTIONS
    );

    // Assess
    await expectRefusal(run, InvalidStateError, 'INVALID_STATE', 'no');
    expect(calls).toBe(1);
  });

  it('waits on a timer when no sleep is given', async () => {
    // Prepare: the first back-off is then half of its 10 ms cap.
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const { attempt, calls } = losing(1);

    // Act
    const run = withOptimisticRetry({}, attempt, OPTIONS);
    await vi.advanceTimersByTimeAsync(4);
    const before = calls();
    await vi.advanceTimersByTimeAsync(1);

    // Assess
    expect(before).toBe(1);
    await expect(run).resolves.toBe('done');
    expect(calls()).toBe(2);
  });
});
