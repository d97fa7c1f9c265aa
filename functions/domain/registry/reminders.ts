import type { ModelRegistryStore } from '#ports/model-registry-store.ts';
import type { TransitionRequestStore } from '#ports/transition-request-store.ts';
import { findModelAccessById } from '../access.ts';
import type { TransitionRequest } from '../transition-request.ts';
import { requestReminderEvents } from './request-events.ts';
import { settingsOf } from './requests.ts';

export interface ReminderDependencies {
  readonly requests: Pick<
    TransitionRequestStore,
    'listPendingRequests' | 'getSettings' | 'recordReminder'
  >;
  readonly store: Pick<ModelRegistryStore, 'getModelAccessById'>;
  readonly now: () => number;
  readonly newId: () => string;
}

/**
 * The scheduled reminder run: every open request older than its model's
 * `reminderAfterSeconds` (and not expired yet) gets one
 * `TRANSITION_REQUEST_REMINDER` event to its possible approvers, as the
 * model's grants name them now. The request's `reminderSentAt`, written in
 * the event's transaction, makes it one however often (or concurrently)
 * the run goes.
 * @returns how many reminders this run sent.
 */
export async function sendReminders(
  deps: ReminderDependencies
): Promise<number> {
  const now = deps.now();
  const due = (await deps.requests.listPendingRequests()).filter(
    (request) =>
      request.status === 'OPEN' &&
      request.reminderSentAt === undefined &&
      request.expiresAt > now
  );
  const byModel = new Map<string, TransitionRequest[]>();
  for (const request of due) {
    byModel.set(request.modelId, [
      ...(byModel.get(request.modelId) ?? []),
      request,
    ]);
  }
  let sent = 0;
  for (const [modelId, requests] of byModel) {
    const found = await findModelAccessById(deps.store, modelId);
    if (!found.record) continue;
    const model = { record: found.record, rootGrants: found.rootGrants };
    const settings = await settingsOf(deps, modelId);
    const after = settings.reminderAfterSeconds * 1000;
    if (after <= 0) continue;
    for (const request of requests) {
      if (now - request.creationTimestamp < after) continue;
      const events = requestReminderEvents(deps, request, model, settings);
      if (await deps.requests.recordReminder(request, now, events)) sent += 1;
    }
  }
  return sent;
}
