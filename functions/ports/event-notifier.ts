import type { RegistryEvent } from '#domain/events.ts';

/**
 * A channel that tells people about registry events (e-mail), fed by the
 * event dispatcher with every committed event. At least once: an event
 * may be handed over twice, so a notifier keeps its own record of what it
 * sent. A notifier throws only for what a later dispatch can fix; what it
 * could not send for good, it reports itself.
 */
export interface EventNotifier {
  notify(event: RegistryEvent, modelName: string): Promise<void>;
}
