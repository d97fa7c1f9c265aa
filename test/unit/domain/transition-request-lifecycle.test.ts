import { describe, expect, it } from 'vitest';
import { InvalidStateError } from '#domain/errors.ts';
import type { TransitionRequestStatus } from '#domain/transition-request.ts';
import {
  approvalEvent,
  isPending,
  LIFECYCLE,
  type LifecycleEvent,
  type LifecycleStep,
  REQUEST_STATUSES,
  releasedOutcomes,
  requireStep,
  statusesLeavingBy,
  stepOf,
  workAfter,
  workIn,
} from '#domain/transition-request-lifecycle.ts';

const EVENTS: readonly LifecycleEvent[] = [
  'start',
  'wait',
  'approve',
  'approve-partially',
  'reject',
  'cancel',
  'expire',
  'close-stale',
  'fail',
  'applied',
  'apply-failed',
];

/**
 * The lifecycle as the README tells it, every cell of status × event:
 * `→ next status, activity by whom, decision released` or `—` (cannot
 * happen). A change to the table must change this too.
 */
const EXPECTED: Readonly<
  Record<TransitionRequestStatus, Partial<Record<LifecycleEvent, string>>>
> = {
  OPEN: {
    start: '→ OPEN',
    wait: '→ OPEN',
    approve:
      '→ APPROVED, APPROVED_REQUEST by caller, releases approved, only from its stage',
    'approve-partially':
      '→ OPEN, APPROVED_REQUEST by caller, only from its stage',
    reject: '→ REJECTED, REJECTED_REQUEST by caller, releases rejected',
    cancel: '→ CANCELLED, CANCELLED_REQUEST by caller, releases cancelled',
    expire: '→ EXPIRED, CANCELLED_REQUEST by system',
    'close-stale': '→ CLOSED, CANCELLED_REQUEST by system, releases closed',
    fail: '→ FAILED, CANCELLED_REQUEST by system, releases closed',
  },
  APPROVED: {
    start: '→ APPROVED',
    applied: '→ APPLIED, APPLIED_TRANSITION by approver (with the transition)',
    'apply-failed': '→ FAILED',
    fail: '→ FAILED',
  },
  APPLIED: {},
  REJECTED: {},
  CANCELLED: {},
  EXPIRED: {},
  CLOSED: {},
  FAILED: {},
};

function describeStep(step: LifecycleStep | undefined): string | undefined {
  if (!step) return undefined;
  const parts = [`→ ${step.to}`];
  if (step.activity) {
    parts.push(
      `${step.activity.type} by ${step.activity.by}${step.activity.withTransition ? ' (with the transition)' : ''}`
    );
  }
  if (step.release) parts.push(`releases ${step.release}`);
  if (step.requiresFromStage) parts.push('only from its stage');
  return parts.join(', ');
}

describe('transition-request lifecycle', () => {
  describe('LIFECYCLE', () => {
    it('has a row for every status', () => {
      // Act & Assess
      expect([...REQUEST_STATUSES].sort()).toEqual(
        Object.keys(EXPECTED).sort()
      );
    });

    for (const status of Object.keys(EXPECTED) as TransitionRequestStatus[]) {
      for (const event of EVENTS) {
        const expected = EXPECTED[status][event];
        it(`${status} × ${event}: ${expected ?? '—'}`, () => {
          // Act
          const step = describeStep(stepOf(status, event));

          // Assess
          expect(step).toBe(expected);
        });
      }
    }

    it('lets only OPEN be decided by a user', () => {
      // Act
      const decidable = (['approve', 'reject', 'cancel'] as const).map(
        (event) => statusesLeavingBy(event)
      );

      // Assess
      expect(decidable).toEqual([['OPEN'], ['OPEN'], ['OPEN']]);
    });

    it('ends in final statuses that no event leaves', () => {
      // Act
      const final = REQUEST_STATUSES.filter(
        (status) => Object.keys(LIFECYCLE[status]).length === 0
      );

      // Assess
      expect(final.sort()).toEqual(
        [
          'APPLIED',
          'CANCELLED',
          'CLOSED',
          'EXPIRED',
          'FAILED',
          'REJECTED',
        ].sort()
      );
      expect(final.some(isPending)).toBe(false);
    });

    it('reaches every status from OPEN', () => {
      // Prepare
      const reached = new Set<TransitionRequestStatus>(['OPEN']);

      // Act
      for (let round = 0; round < REQUEST_STATUSES.length; round++) {
        for (const status of [...reached]) {
          for (const step of Object.values(LIFECYCLE[status])) {
            reached.add(step.to);
          }
        }
      }

      // Assess
      expect([...reached].sort()).toEqual([...REQUEST_STATUSES].sort());
    });
  });

  describe('approvalEvent', () => {
    it('makes the last approval a request needs the one that approves it', () => {
      // Act & Assess
      expect(approvalEvent(0, 1)).toBe('approve');
      expect(approvalEvent(0, 2)).toBe('approve-partially');
      expect(approvalEvent(1, 2)).toBe('approve');
      expect(approvalEvent(1, 3)).toBe('approve-partially');
      // The policy went down after earlier approvals: the next one decides.
      expect(approvalEvent(3, 2)).toBe('approve');
    });

    it('keeps a partial approval from deciding: no status change, nothing released', () => {
      // Act
      const partial = stepOf('OPEN', 'approve-partially');

      // Assess
      expect(partial?.to).toBe('OPEN');
      expect(partial?.release).toBeUndefined();
      expect(statusesLeavingBy('approve-partially')).toEqual(['OPEN']);
    });
  });

  describe('requireStep', () => {
    it('answers the cell of an event that can happen', () => {
      // Act & Assess
      expect(requireStep({ id: 'r1', status: 'OPEN' }, 'approve').to).toBe(
        'APPROVED'
      );
    });

    it('refuses an event that cannot happen with INVALID_STATE', () => {
      // Act
      const attempt = () =>
        requireStep({ id: 'r1', status: 'REJECTED' }, 'close-stale');

      // Assess
      expect(attempt).toThrow(InvalidStateError);
      expect(attempt).toThrow(
        "r1 is REJECTED, which no 'close-stale' step leaves"
      );
    });
  });

  describe('what the workflow does', () => {
    it.each([
      ['OPEN', 'wait'],
      ['APPROVED', 'apply'],
      ['APPLIED', 'end'],
      ['REJECTED', 'end'],
      ['CANCELLED', 'end'],
      ['EXPIRED', 'end'],
      ['CLOSED', 'end'],
      ['FAILED', 'end'],
    ] as const)('in %s: %s', (status, work) => {
      // Act & Assess
      expect(workIn(status)).toBe(work);
      expect(isPending(status)).toBe(work !== 'end');
    });

    it('goes on after each released decision with the work of the status it led to', () => {
      // Act
      const after = Object.fromEntries(
        releasedOutcomes().map((outcome) => [outcome, workAfter(outcome)])
      );

      // Assess
      expect(after).toEqual({
        approved: 'apply',
        rejected: 'end',
        cancelled: 'end',
        closed: 'end',
      });
    });

    it('leads every step releasing the same decision to the same work', () => {
      // Act
      const conflicts = releasedOutcomes().filter((outcome) => {
        const works = new Set(
          REQUEST_STATUSES.flatMap((status) =>
            Object.values(LIFECYCLE[status])
              .filter((step) => step.release === outcome)
              .map((step) => workIn(step.to))
          )
        );
        return works.size !== 1;
      });

      // Assess
      expect(conflicts).toEqual([]);
    });
  });
});
