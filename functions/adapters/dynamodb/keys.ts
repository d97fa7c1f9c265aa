import type { Stage } from '#domain/stages.ts';

/**
 * Item keys and index partitions of the single-table design
 * (docs/design-notes.md, "Table design", which a unit test holds to this file): each is built here
 * and nowhere else. Index sort keys are built by the adapter that writes
 * the item.
 */
export const keys = {
  registeredModel: (id: string) => ({ PK: modelPartition(id), SK: '#RM' }),
  /**
   * A model's stage members (a number set per stage): apart from the model
   * item, whose reads must not grow with the versions.
   */
  registeredModelStages: (id: string) => ({
    PK: modelPartition(id),
    SK: '#STAGES',
  }),
  /** Uniqueness guard of a model name; points at the model's id. */
  registeredModelName: (name: string) => ({
    PK: `RMNAME#${name}`,
    SK: '#RMNAME',
  }),
  modelVersion: (modelId: string, version: number) => ({
    PK: modelPartition(modelId),
    SK: `${VERSION_PREFIX}${padVersion(version)}`,
  }),
  /**
   * The lease of a version's registration, while it is PENDING_REGISTRATION
   * (in the model's partition, so it goes with the model).
   */
  pendingRegistration: (modelId: string, version: number) => ({
    PK: modelPartition(modelId),
    SK: `REG#${padVersion(version)}`,
  }),
  /** GSI2 partition of the pending registrations, by lease expiry. */
  pendingRegistrations: 'REGISTRATIONS#PENDING',
  activity: (
    modelId: string,
    version: number,
    timestamp: number,
    id: string
  ) => ({
    PK: modelPartition(modelId),
    SK: `${activityPrefix(version)}${sortableTimestamp(timestamp)}#${id}`,
  }),
  /** The registry-wide (root) access control list. */
  rootAcl: { PK: 'ACL#root', SK: '#ACL' },
  /** GSI1 partition listing every registered model by name. */
  registeredModelsByName: 'RM',
  /** GSI2 partition listing every registered model by last update. */
  registeredModelsByUpdate: 'RM',
  /** GSI2 partition listing the versions made from one run. */
  versionsOfRun: (runId: string) => `RUN#${runId}`,
  principal: (id: string) => ({ PK: `PRINCIPAL#${id}`, SK: '#PRINCIPAL' }),
  token: (tokenHash: string) => ({ PK: `TOKEN#${tokenHash}`, SK: '#TOKEN' }),
  /** GSI1 partition listing one principal's tokens by id. */
  tokensOfPrincipal: (principalId: string) => `PRINCIPAL#${principalId}#TOKENS`,
  /**
   * Uniqueness guard of a principal's name within its kind (a user's user
   * name, a service principal's application id), case-insensitive as SCIM's
   * `userName`; points at the principal's id.
   */
  principalName: (kind: string, userName: string) => ({
    PK: `PRINCIPALNAME#${kind}#${userName.toLowerCase()}`,
    SK: '#PRINCIPALNAME',
  }),
  /** GSI1 partition listing the principals of one kind by lower-cased name. */
  principalsOfKind: (kind: string) => `PRINCIPALS#${kind}`,
  group: (id: string) => ({ PK: `GROUP#${id}`, SK: '#GROUP' }),
  /** Uniqueness guard of a group's display name (case-insensitive). */
  groupName: (displayName: string) => ({
    PK: `GROUPNAME#${displayName.toLowerCase()}`,
    SK: '#GROUPNAME',
  }),
  /** GSI1 partition listing every group by lower-cased display name. */
  groupsByName: 'GROUPS',
  /** GSI2 partition listing every token by id (token management). */
  allTokens: 'TOKENS',
  /** An upload session (its planned files, then its manifest). */
  uploadSession: (id: string) => ({ PK: `UPLOAD#${id}`, SK: '#UPLOAD' }),
  /**
   * GSI2 partition of the upload sessions in one status that the cleanup
   * job still has to look at, oldest first (`<time>#<id>`): OPEN and
   * COMPLETED by creation, CONSUMED by consumption until cleaned.
   */
  uploadsForCleanup: (status: string) => `UPLOADS#${status}`,
  /** A registry webhook, secrets included (`WEBHOOK#<id>`/`#WEBHOOK`). */
  webhook: (id: string) => ({ PK: `WEBHOOK#${id}`, SK: '#WEBHOOK' }),
  /**
   * GSI1 partition listing one model's webhooks by id: by the model's id,
   * which a rename keeps and a new model of the same name does not get.
   */
  webhooksOfModel: (modelId: string) => `WEBHOOKS#RM#${modelId}`,
  /** GSI1 partition listing the registry-wide webhooks by id. */
  registryWebhooks: 'WEBHOOKS#REGISTRY',
  /** GSI2 partition listing every webhook by id. */
  allWebhooks: 'WEBHOOKS',
  /** A service principal's OAuth secret, by the hash of its value. */
  oauthSecret: (secretHash: string) => ({
    PK: `OAUTHSECRET#${secretHash}`,
    SK: '#OAUTHSECRET',
  }),
  /** GSI1 partition listing one principal's OAuth secrets by id. */
  oauthSecretsOfPrincipal: (principalId: string) =>
    `PRINCIPAL#${principalId}#OAUTHSECRETS`,
  /** The IP access lists and whether they are enforced, as one item. */
  ipAccessSettings: { PK: 'WORKSPACE#conf', SK: '#IPACCESS' },
  /**
   * The managed files a deletion left for the cleanup job: a version's, or
   * (`#MODEL`) a whole model's. Outside the model's partition, which the
   * model's deletion empties.
   */
  artifactPurge: (modelId: string, version: number | undefined) => ({
    PK: `PURGE#${modelId}`,
    SK:
      version === undefined
        ? '#MODEL'
        : `${VERSION_PREFIX}${padVersion(version)}`,
  }),
  /** GSI2 partition of the pending artifact purges, oldest first. */
  artifactPurges: 'ARTIFACTS#PURGE',
  /**
   * A registry event in the outbox (`EVENT#<id>`), written by the
   * transaction of its change; outside its model's partition, so a
   * model's deletion never takes an event not dispatched yet.
   */
  event: (id: string) => ({ PK: `EVENT#${id}`, SK: '#EVENT' }),
  /** GSI2 partition of the events not dispatched yet, by commit time. */
  pendingEvents: 'EVENTS#PENDING',
  /** GSI1 partition listing one version's events (or a model's own). */
  eventsOf: (modelId: string, version?: number) =>
    version === undefined
      ? `EVENTS#RM#${modelId}`
      : `EVENTS#RM#${modelId}#${padVersion(version)}`,
  /** One delivery of a webhook's delivery log, in the webhook's partition. */
  delivery: (webhookId: string, deliveryId: string) => ({
    PK: `WEBHOOK#${webhookId}`,
    SK: `DELIVERY#${deliveryId}`,
  }),
  /** GSI1 partition listing one webhook's deliveries by creation. */
  deliveriesOf: (webhookId: string) => `DELIVERIES#${webhookId}`,
  /**
   * What became of one e-mail (`EMAIL#<id>`): sent, and its links used
   * (removed by TTL once its links have expired).
   */
  email: (id: string) => ({ PK: `EMAIL#${id}`, SK: '#EMAIL' }),
  /** A model's Slack channel, in its partition (it goes with the model). */
  slackModelChannel: (modelId: string) => ({
    PK: modelPartition(modelId),
    SK: '#SLACK',
  }),
  /** The registry-wide Slack channel. */
  slackRegistryChannel: { PK: 'SLACK#registry', SK: '#SLACK' },
  /** Where a request's Slack message is, and how the request ended. */
  slackMessage: (modelId: string, requestId: string) => ({
    PK: modelPartition(modelId),
    SK: `SLACKMSG#${requestId}`,
  }),
  /** A Slack callback's signature seen (the replay guard; TTL-deleted). */
  slackSignature: (signature: string) => ({
    PK: `SLACKSIG#${signature}`,
    SK: '#SLACKSIG',
  }),
} as const;

export const VERSION_PREFIX = 'MV#';

export function modelPartition(modelId: string): string {
  return `RM#${modelId}`;
}

export function activityPrefix(version: number): string {
  return `ACT#${padVersion(version)}#`;
}

/** Fixed-width numbers sort correctly as strings. */
export function sortableTimestamp(epochMillis: number): string {
  return String(epochMillis).padStart(15, '0');
}

export function padVersion(version: number): string {
  return String(version).padStart(10, '0');
}

/** GSI2 position of a model: last update, then name. */
export function lastUpdatedPosition(epochMillis: number, name: string): string {
  return `${sortableTimestamp(epochMillis)}#${name}`;
}

/**
 * The number set of the versions in a stage, on the stage members item
 * (and, written before the members had their own item, on the model item).
 */
export function stageAttribute(stage: Stage): string {
  return `stage_${stage}`;
}

/** The model item's lowest and highest version of a non-empty stage. */
export function stageBoundAttributes(stage: Stage): {
  lowest: string;
  highest: string;
} {
  return { lowest: `lowest_${stage}`, highest: `highest_${stage}` };
}

export const REQUEST_PREFIX = 'TR#';

export function requestPrefix(version: number): string {
  return `${REQUEST_PREFIX}${padVersion(version)}#`;
}

export const requestKeys = {
  request: (modelId: string, version: number, id: string) => ({
    PK: modelPartition(modelId),
    SK: `${requestPrefix(version)}${id}`,
  }),
  /** One open request per version, stage and creator. */
  openLock: (
    modelId: string,
    version: number,
    stage: string,
    creator: string
  ) => ({
    PK: modelPartition(modelId),
    SK: `TRLOCK#${padVersion(version)}#${stage}#${creator}`,
  }),
  /** GSI1 entry that finds a request by id alone. */
  byId: (id: string) => `TRID#${id}`,
  /**
   * GSI2 partition of every pending request (its workflow has work left:
   * open, or approved and not yet applied), by creation time and id: the
   * inbox walks it newest first. The value predates approved requests
   * staying in it.
   */
  pending: 'TR#OPEN',
  /** GSI1 entry that finds a comment by id alone. */
  commentById: (id: string) => `COMMENT#${id}`,
  settings: (modelId: string) => ({
    PK: modelPartition(modelId),
    SK: '#SETTINGS',
  }),
  /** The registry-wide protected-stage policy. */
  registryPolicy: { PK: 'POLICY#registry', SK: '#POLICY' },
} as const;
