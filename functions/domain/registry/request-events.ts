import type { ModelAccess } from '../access.ts';
import { InvalidParameterValueError } from '../errors.ts';
import {
  possibleApprovers,
  type RegistryEvent,
  transitionRequestCreated,
  transitionRequestDecided,
  transitionRequestExpired,
  transitionRequestReminder,
} from '../events.ts';
import {
  separatesDuties,
  type TransitionRequest,
  type TransitionRequestSettings,
} from '../transition-request.ts';
import type { LifecycleEvent } from '../transition-request-lifecycle.ts';

/**
 * The events of transition requests, kept out of the lifecycle's code so
 * that it only hands them to the commit that writes them (the outbox).
 */

interface EventSource {
  readonly now: () => number;
  readonly newId: () => string;
}

/** Who may decide a request, as the model's grants say now. */
export function approversOf(
  model: ModelAccess,
  request: Pick<TransitionRequest, 'fromStage' | 'toStage' | 'creator'>,
  settings: Pick<
    TransitionRequestSettings,
    'separationOfDutiesStages' | 'protectedStages' | 'requiredApprovals'
  >
) {
  return possibleApprovers({
    grants: model.record.grants,
    rootGrants: model.rootGrants,
    from: request.fromStage,
    to: request.toStage,
    requester: request.creator,
    separationOfDuties: separatesDuties(settings, request.toStage),
  });
}

/** `TRANSITION_REQUEST_CREATED` (and its stage's type), to the approvers. */
export function requestCreatedEvents(
  deps: EventSource,
  request: TransitionRequest,
  model: ModelAccess,
  settings: Pick<
    TransitionRequestSettings,
    'separationOfDutiesStages' | 'protectedStages' | 'requiredApprovals'
  >
): RegistryEvent[] {
  return [
    transitionRequestCreated(
      { id: deps.newId(), at: request.creationTimestamp },
      request,
      model.record.model.name,
      approversOf(model, request, settings)
    ),
  ];
}

/**
 * The event of a lifecycle step, where it has one: a user's decision
 * (approved, rejected, cancelled) or the expiry, each a notice to the
 * requester. System closes and the workflow's own steps announce nothing.
 */
export function requestStepEvents(
  deps: EventSource,
  request: TransitionRequest,
  event: LifecycleEvent,
  details: {
    readonly modelName?: string | undefined;
    readonly by: string;
    readonly comment?: string | undefined;
  }
): RegistryEvent[] {
  const origin = { id: deps.newId(), at: deps.now() };
  switch (event) {
    case 'approve':
    case 'reject':
    case 'cancel':
      return [
        transitionRequestDecided(origin, request, details.modelName, {
          event,
          by: details.by,
          comment: details.comment,
        }),
      ];
    case 'expire':
      return [transitionRequestExpired(origin, request)];
    default:
      return [];
  }
}

/** The one reminder of a request still open, to its possible approvers. */
export function requestReminderEvents(
  deps: EventSource,
  request: TransitionRequest,
  model: ModelAccess,
  settings: Pick<
    TransitionRequestSettings,
    'separationOfDutiesStages' | 'protectedStages' | 'requiredApprovals'
  >
): RegistryEvent[] {
  return [
    transitionRequestReminder(
      { id: deps.newId(), at: deps.now() },
      request,
      model.record.model.name,
      approversOf(model, request, settings)
    ),
  ];
}

/** The longest reminder age: a request lasts at most 360 days. */
const MAX_REMINDER_AFTER_SECONDS = 360 * 24 * 3600;

/** `reminder_after_seconds`: whole seconds, 0 (no reminder) to 360 days. */
export function validateReminderAfter(seconds: number): number {
  if (
    !Number.isInteger(seconds) ||
    seconds < 0 ||
    seconds > MAX_REMINDER_AFTER_SECONDS
  ) {
    throw new InvalidParameterValueError(
      `reminder_after_seconds must be a whole number of seconds between 0 (no reminder) and ${MAX_REMINDER_AFTER_SECONDS} (360 days).`
    );
  }
  return seconds;
}
