import { createHash } from 'node:crypto';
import type { Grant, Grantee, RootPermissionLevel } from './permissions.ts';
import {
  ADMINS_GROUP,
  granteeKey,
  levelAllows,
  transitionAbility,
} from './permissions.ts';
import type { Tag } from './registered-model.ts';
import type { Stage } from './stages.ts';
import type { TransitionRequest } from './transition-request.ts';
import type { WebhookEvent } from './webhook.ts';

/**
 * Registry events: what a committed change announces, written into the
 * outbox in the same transaction as the change (docs/architecture.md,
 * decision 11) and delivered from there to registry webhooks and the event
 * bus.
 *
 * One {@link RegistryEvent} is one thing that happened to a model or one
 * of its versions; it fires Databricks' generic event type and, where
 * there is one, the stage-specific type too (a move to Production fires
 * `MODEL_VERSION_TRANSITIONED_STAGE` and
 * `MODEL_VERSION_TRANSITIONED_TO_PRODUCTION`), each delivered on its own
 * with its own `event` field, as Databricks does.
 */
export type RegistryEventType = WebhookEvent;

/** Who a notice is meant for, in Databricks' access-control-list shape. */
export type Recipient = Grantee;

export interface RegistryEvent {
  /** 32 lowercase hex characters, unique. */
  readonly id: string;
  /** The types it fires, the generic one first. */
  readonly types: readonly [RegistryEventType, ...RegistryEventType[]];
  readonly modelId: string;
  /**
   * The model's name when the change committed; absent where the writer
   * did not read it (registration results, expiry), and then the model's
   * name when the event is dispatched.
   */
  readonly modelName?: string | undefined;
  /** Absent for model events (`REGISTERED_MODEL_CREATED`). */
  readonly version?: number | undefined;
  /** Epoch milliseconds: when the change committed. */
  readonly timestamp: number;
  /** Who made the change (`system` for what the registry did itself). */
  readonly userId: string;
  readonly fromStage?: Stage | undefined;
  readonly toStage?: Stage | undefined;
  readonly tags?: readonly Tag[] | undefined;
  readonly comment?: string | undefined;
  /** Transition-request events: the request's stable id and creator. */
  readonly requestId?: string | undefined;
  readonly requester?: string | undefined;
  /** Registration results: the version's status and its message. */
  readonly status?: string | undefined;
  readonly statusMessage?: string | undefined;
  /** Notices to people: the requester, or the request's possible approvers. */
  readonly recipients?: readonly Recipient[] | undefined;
  /** One line a person can read (and a Slack incoming webhook shows). */
  readonly text: string;
}

/** Where an event is made: its id and its commit time. */
export interface EventOrigin {
  readonly id: string;
  readonly at: number;
}

const STAGE_TRANSITION_TYPES: Partial<Record<Stage, RegistryEventType>> = {
  Staging: 'MODEL_VERSION_TRANSITIONED_TO_STAGING',
  Production: 'MODEL_VERSION_TRANSITIONED_TO_PRODUCTION',
  Archived: 'MODEL_VERSION_TRANSITIONED_TO_ARCHIVED',
};

const STAGE_REQUEST_TYPES: Partial<Record<Stage, RegistryEventType>> = {
  Staging: 'TRANSITION_REQUEST_TO_STAGING_CREATED',
  Production: 'TRANSITION_REQUEST_TO_PRODUCTION_CREATED',
  Archived: 'TRANSITION_REQUEST_TO_ARCHIVED_CREATED',
};

function withStageType(
  generic: RegistryEventType,
  specific: RegistryEventType | undefined
): RegistryEvent['types'] {
  return specific ? [generic, specific] : [generic];
}

/** Text quoting user data stays one readable line. */
function quoted(value: string, max = 100): string {
  const flat = value.replace(/\s+/g, ' ');
  return `'${flat.length > max ? `${flat.slice(0, max - 1)}…` : flat}'`;
}

export function registeredModelCreated(
  origin: EventOrigin,
  model: { id: string; name: string; userId: string }
): RegistryEvent {
  return {
    id: origin.id,
    types: ['REGISTERED_MODEL_CREATED'],
    modelId: model.id,
    modelName: model.name,
    timestamp: origin.at,
    userId: model.userId,
    text: `Registered model ${quoted(model.name)} was created.`,
  };
}

export function modelVersionCreated(
  origin: EventOrigin,
  model: { id: string; name: string },
  version: { version: number; userId: string }
): RegistryEvent {
  return {
    id: origin.id,
    types: ['MODEL_VERSION_CREATED'],
    modelId: model.id,
    modelName: model.name,
    version: version.version,
    timestamp: origin.at,
    userId: version.userId,
    text: `Version ${version.version} of registered model ${quoted(model.name)} was created.`,
  };
}

export function modelVersionTagSet(
  origin: EventOrigin,
  model: { id: string; name: string },
  version: number,
  tag: Tag,
  userId: string
): RegistryEvent {
  return {
    id: origin.id,
    types: ['MODEL_VERSION_TAG_SET'],
    modelId: model.id,
    modelName: model.name,
    version,
    timestamp: origin.at,
    userId,
    tags: [{ key: tag.key, value: tag.value }],
    text: `${userId} set version tag(s) ${quoted(tag.key)} = ${quoted(tag.value)} for registered model ${quoted(model.name)} version ${version}.`,
  };
}

export function modelVersionTransitioned(
  origin: EventOrigin,
  model: { id: string; name: string },
  move: { version: number; from: Stage; to: Stage },
  userId: string
): RegistryEvent {
  return {
    id: origin.id,
    types: withStageType(
      'MODEL_VERSION_TRANSITIONED_STAGE',
      STAGE_TRANSITION_TYPES[move.to]
    ),
    modelId: model.id,
    modelName: model.name,
    version: move.version,
    timestamp: origin.at,
    userId,
    fromStage: move.from,
    toStage: move.to,
    text: `Registered model ${quoted(model.name)} version ${move.version} transitioned from ${move.from} to ${move.to}.`,
  };
}

export function commentCreated(
  origin: EventOrigin,
  model: { id: string; name: string },
  comment: { version: number; userId: string; comment: string }
): RegistryEvent {
  return {
    id: origin.id,
    types: ['COMMENT_CREATED'],
    modelId: model.id,
    modelName: model.name,
    version: comment.version,
    timestamp: origin.at,
    userId: comment.userId,
    comment: comment.comment,
    text: `A user commented on registered model ${quoted(model.name)} version ${comment.version}.`,
  };
}

type RequestFields = Pick<
  TransitionRequest,
  'id' | 'modelId' | 'version' | 'fromStage' | 'toStage' | 'creator'
>;

function requestEvent(
  origin: EventOrigin,
  request: RequestFields,
  fields: Pick<RegistryEvent, 'types' | 'userId' | 'text'> &
    Partial<Pick<RegistryEvent, 'modelName' | 'comment' | 'recipients'>>
): RegistryEvent {
  return {
    id: origin.id,
    modelId: request.modelId,
    version: request.version,
    timestamp: origin.at,
    fromStage: request.fromStage,
    toStage: request.toStage,
    requestId: request.id,
    requester: request.creator,
    ...fields,
  };
}

/** A new request, to its possible approvers. */
export function transitionRequestCreated(
  origin: EventOrigin,
  request: RequestFields & { comment: string },
  modelName: string,
  approvers: readonly Recipient[]
): RegistryEvent {
  return requestEvent(origin, request, {
    types: withStageType(
      'TRANSITION_REQUEST_CREATED',
      STAGE_REQUEST_TYPES[request.toStage]
    ),
    modelName,
    userId: request.creator,
    ...(request.comment === '' ? {} : { comment: request.comment }),
    recipients: approvers,
    text: `${request.creator} requested a transition of registered model ${quoted(modelName)} version ${request.version} from ${request.fromStage} to ${request.toStage}.`,
  });
}

/** How a user's decision reads, by the lifecycle event that made it. */
const DECISIONS = {
  approve: { type: 'TRANSITION_REQUEST_APPROVED', verb: 'approved' },
  reject: { type: 'TRANSITION_REQUEST_REJECTED', verb: 'rejected' },
  cancel: { type: 'TRANSITION_REQUEST_CANCELLED', verb: 'cancelled' },
} as const satisfies Record<string, { type: RegistryEventType; verb: string }>;

/** A user decided a request (extension): a notice to the requester. */
export function transitionRequestDecided(
  origin: EventOrigin,
  request: RequestFields,
  modelName: string | undefined,
  decision: {
    event: keyof typeof DECISIONS;
    by: string;
    comment?: string | undefined;
  }
): RegistryEvent {
  const { type, verb } = DECISIONS[decision.event];
  return requestEvent(origin, request, {
    types: [type],
    modelName,
    userId: decision.by,
    ...(decision.comment === undefined ? {} : { comment: decision.comment }),
    recipients: [{ kind: 'user', name: request.creator }],
    text: `${decision.by} ${verb} the request of ${request.creator} to move ${modelName === undefined ? '' : `registered model ${quoted(modelName)} `}version ${request.version} from ${request.fromStage} to ${request.toStage}.`,
  });
}

/** Nobody decided a request in time (extension): a notice to the requester. */
export function transitionRequestExpired(
  origin: EventOrigin,
  request: RequestFields
): RegistryEvent {
  return requestEvent(origin, request, {
    types: ['TRANSITION_REQUEST_EXPIRED'],
    userId: 'system',
    recipients: [{ kind: 'user', name: request.creator }],
    text: `The request of ${request.creator} to move version ${request.version} from ${request.fromStage} to ${request.toStage} expired without a decision.`,
  });
}

/** A request still open past the model's reminder age (extension). */
export function transitionRequestReminder(
  origin: EventOrigin,
  request: RequestFields & { creationTimestamp: number },
  modelName: string,
  approvers: readonly Recipient[]
): RegistryEvent {
  const hours = Math.max(
    1,
    Math.round((origin.at - request.creationTimestamp) / 3_600_000)
  );
  return requestEvent(origin, request, {
    types: ['TRANSITION_REQUEST_REMINDER'],
    modelName,
    userId: 'system',
    recipients: approvers,
    text: `Reminder: ${request.creator} has been waiting about ${hours} h for a decision on moving registered model ${quoted(modelName)} version ${request.version} from ${request.fromStage} to ${request.toStage}.`,
  });
}

/** A version's registration finished (extension): READY or failed. */
export function registrationFinished(
  origin: EventOrigin,
  version: { modelId: string; version: number },
  outcome: { status: 'READY' | 'FAILED_REGISTRATION'; statusMessage: string }
): RegistryEvent {
  const ready = outcome.status === 'READY';
  return {
    id: origin.id,
    types: [
      ready
        ? 'MODEL_VERSION_REGISTRATION_READY'
        : 'MODEL_VERSION_REGISTRATION_FAILED',
    ],
    modelId: version.modelId,
    version: version.version,
    timestamp: origin.at,
    userId: 'system',
    status: outcome.status,
    ...(outcome.statusMessage === ''
      ? {}
      : { statusMessage: outcome.statusMessage }),
    text: ready
      ? `Version ${version.version} is READY: its artifacts were registered.`
      : `Version ${version.version} failed to register: ${outcome.statusMessage}`,
  };
}

/**
 * Who may decide a request from `from` to `to` on a model: every grantee
 * (on the model or registry-wide) whose level may approve that change,
 * and the workspace admins. With separation of duties on the target
 * stage, the requester's own grant is left out (they may not decide it).
 */
export function possibleApprovers(options: {
  grants: readonly Grant[];
  rootGrants: readonly Grant<RootPermissionLevel>[];
  from: Stage;
  to: Stage;
  requester: string;
  separationOfDuties: boolean;
}): Recipient[] {
  const ability = transitionAbility(options.from, options.to, 'approve');
  const found = new Map<string, Recipient>();
  for (const grant of [...options.grants, ...options.rootGrants]) {
    if (grant.level === 'CAN_CREATE_REGISTERED_MODEL') continue;
    if (!levelAllows(grant.level, ability)) continue;
    if (
      options.separationOfDuties &&
      grant.grantee.kind !== 'group' &&
      grant.grantee.name === options.requester
    ) {
      continue;
    }
    found.set(granteeKey(grant.grantee), grant.grantee);
  }
  found.set(granteeKey({ kind: 'group', name: ADMINS_GROUP }), {
    kind: 'group',
    name: ADMINS_GROUP,
  });
  return [...found.values()];
}

/** The wire form of a recipient, as Databricks' access control lists name them. */
export function recipientJson(
  recipient: Recipient
):
  | { user_name: string }
  | { group_name: string }
  | { service_principal_name: string } {
  switch (recipient.kind) {
    case 'user':
      return { user_name: recipient.name };
    case 'group':
      return { group_name: recipient.name };
    case 'service_principal':
      return { service_principal_name: recipient.name };
  }
}

/**
 * The event's body for one of its types, in Databricks' webhook payload
 * shape (`event`, `event_timestamp` in epoch ms, `model_name`, `version`
 * as a string, stages, `text`), plus the extension fields the type carries
 * (`request_id`, `requester`, `recipients`, `status`). Webhook deliveries
 * add `webhook_id` after `event`; the bus adds the ids.
 */
export function eventPayload(
  event: RegistryEvent,
  type: RegistryEventType,
  modelName: string
): Record<string, unknown> {
  return {
    event: type,
    event_timestamp: event.timestamp,
    model_name: modelName,
    ...(event.version === undefined ? {} : { version: String(event.version) }),
    ...(event.toStage === undefined ? {} : { to_stage: event.toStage }),
    ...(event.fromStage === undefined ? {} : { from_stage: event.fromStage }),
    ...(event.tags === undefined
      ? {}
      : {
          tags: event.tags.map((tag) => ({ key: tag.key, value: tag.value })),
        }),
    ...(event.comment === undefined ? {} : { comment: event.comment }),
    ...(event.requestId === undefined ? {} : { request_id: event.requestId }),
    ...(event.requester === undefined ? {} : { requester: event.requester }),
    ...(event.status === undefined ? {} : { status: event.status }),
    ...(event.statusMessage === undefined
      ? {}
      : { status_message: event.statusMessage }),
    ...(event.recipients === undefined
      ? {}
      : { recipients: event.recipients.map(recipientJson) }),
    text: event.text,
  };
}

/** A registry webhook's body: Databricks' field order, `webhook_id` second. */
export function webhookPayload(
  event: RegistryEvent,
  type: RegistryEventType,
  modelName: string,
  webhookId: string
): string {
  const { event: name, ...rest } = eventPayload(event, type, modelName);
  return JSON.stringify({ event: name, webhook_id: webhookId, ...rest });
}

/** `Source` of every entry the registry puts on its event bus. */
export const EVENT_SOURCE = 'stagegate.registry';

/**
 * One entry for the event bus (EventBridge on AWS, `events.jsonl`
 * locally): `detail-type` is the event type, `detail` the Databricks
 * payload with `event_id` (unique per event and type: consumers dedupe on
 * it, delivery being at least once) and `model_id`.
 */
export interface BusEntry {
  readonly source: typeof EVENT_SOURCE;
  readonly detailType: RegistryEventType;
  readonly time: number;
  readonly detail: Record<string, unknown>;
}

export function busEntries(
  event: RegistryEvent,
  modelName: string
): BusEntry[] {
  return event.types.map((type) => ({
    source: EVENT_SOURCE,
    detailType: type,
    time: event.timestamp,
    detail: {
      event_id: typedEventId(event.id, type),
      model_id: event.modelId,
      ...eventPayload(event, type, modelName),
    },
  }));
}

/**
 * A stable id for one type of an event (and, with a webhook's id, for one
 * message to that webhook): the same however often the event is
 * dispatched, so receivers dedupe on it.
 */
export function typedEventId(...parts: string[]): string {
  return createHash('sha256')
    .update(parts.join('\n'))
    .digest('hex')
    .slice(0, 32);
}
