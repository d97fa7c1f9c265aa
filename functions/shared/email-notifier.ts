import { DynamoDBEmailLedger } from '#adapters/dynamodb/email-ledger.ts';
import { DynamoDBIdentityStore } from '#adapters/dynamodb/identity-store.ts';
import { DynamoDBModelRegistryStore } from '#adapters/dynamodb/model-registry-store.ts';
import { DynamoDBTransitionRequestStore } from '#adapters/dynamodb/transition-request-store.ts';
import {
  type EmailNotificationDependencies,
  notifyByEmail,
} from '#domain/email/email-notifications.ts';
import type { RegistryEventType } from '#domain/events.ts';
import type { EventNotifier } from '#domain/registry/event-delivery.ts';
import { recordMetric } from './invocation.ts';
import { logger } from './powertools.ts';
import type { MailChannel, RegistryTable } from './resources.ts';
import { now } from './system.ts';

/** The events e-mail tells anyone about (by their generic type). */
const MAILED: ReadonlySet<RegistryEventType> = new Set([
  'TRANSITION_REQUEST_CREATED',
  'TRANSITION_REQUEST_REMINDER',
  'TRANSITION_REQUEST_APPROVED',
  'TRANSITION_REQUEST_REJECTED',
  'TRANSITION_REQUEST_CANCELLED',
  'TRANSITION_REQUEST_EXPIRED',
]);

/**
 * E-mail as an {@link EventNotifier} of the event dispatcher. It never
 * throws (an e-mail outage holds back no other channel's events): a mail
 * the transport refuses, or the event's mails as a whole when a read
 * fails, is logged (recipients and errors, never links) and counted, not
 * retried; the request stays in the approvers' inbox, and the reminder
 * mails them again.
 */
export function emailNotifier(
  deps: EmailNotificationDependencies
): EventNotifier {
  return async (event, modelName) => {
    if (!MAILED.has(event.types[0])) return;
    try {
      const report = await notifyByEmail(deps, event, modelName);
      if (report.sent > 0) {
        recordMetric({ name: 'EmailsSent', value: report.sent });
      }
      if (report.failed.length > 0) {
        recordMetric({ name: 'EmailsFailed', value: report.failed.length });
        logger.warn('E-mails were not sent', {
          eventId: event.id,
          failed: report.failed,
        });
      }
    } catch (error) {
      recordMetric({ name: 'EmailsFailed' });
      logger.error('The e-mails of an event were not sent', {
        eventId: event.id,
        error,
      });
    }
  };
}

/** The e-mail notifier on the registry table, where e-mail is on. */
export function emailNotifiersOf(resources: {
  readonly table: RegistryTable;
  readonly mail: MailChannel | undefined;
  readonly linkKey: () => Promise<Uint8Array>;
}): EventNotifier[] {
  const { table, mail, linkKey } = resources;
  if (!mail) return [];
  return [
    emailNotifier({
      store: new DynamoDBModelRegistryStore(table),
      requests: new DynamoDBTransitionRequestStore(table),
      identities: new DynamoDBIdentityStore(table),
      ledger: new DynamoDBEmailLedger(table),
      transport: mail.transport,
      linkKey,
      settings: mail.settings,
      now,
    }),
  ];
}
