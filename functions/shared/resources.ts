import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { S3Prefix } from '#domain/artifacts/sources.ts';
import type { EmailSettings } from '#domain/email/email-notifications.ts';
import type { ApprovalWorkflow } from '#ports/approval-workflow.ts';
import type {
  ArtifactSourceReader,
  ArtifactStore,
  ArtifactTransfers,
} from '#ports/artifact-store.ts';
import type { DeliveryQueue } from '#ports/delivery-queue.ts';
import type { EventBus } from '#ports/event-bus.ts';
import type { MailTransport } from '#ports/mail-transport.ts';
import type { RegistrationQueue } from '#ports/registration-queue.ts';
import type { SigningKeys } from '#ports/signing-keys.ts';
import type { SlackActionQueue, SlackSecretSource } from '#ports/slack.ts';
import type {
  ExternalSourceAccess,
  FunctionNeeds,
  PrefixNeed,
  QueueAccess,
  WorkflowAccess,
} from './needs.ts';

/** The registry table: the function's one document client and the name. */
export interface RegistryTable {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** The objects of the artifact bucket, under the prefixes it was granted. */
export interface ArtifactBucket {
  readonly bucketName: string;
  readonly artifacts: ArtifactStore & ArtifactTransfers & ArtifactSourceReader;
}

/**
 * Where the registry's e-mail goes and what it says it is from;
 * `undefined` where e-mail is off (`MAIL_TRANSPORT=off`).
 */
export interface MailChannel {
  readonly transport: MailTransport;
  readonly settings: EmailSettings;
}

/**
 * The resources a function declared it needs, and nothing else: a
 * composition root's `wire` cannot reach a resource it did not declare
 * (and therefore is not granted).
 */
export type ResourcesFor<N extends FunctionNeeds> = (N extends {
  table: object;
}
  ? { readonly table: RegistryTable }
  : unknown) &
  (N extends { bucket: readonly PrefixNeed[] }
    ? { readonly bucket: ArtifactBucket }
    : unknown) &
  (N extends { bucketName: true } ? { readonly bucketName: string } : unknown) &
  (N extends { transitionRequestWorkflow: WorkflowAccess }
    ? { readonly workflow: ApprovalWorkflow }
    : unknown) &
  (N extends { registrations: true }
    ? { readonly registrations: RegistrationQueue }
    : unknown) &
  (N extends { externalSources: ExternalSourceAccess }
    ? { readonly externalPrefixes: readonly S3Prefix[] }
    : unknown) &
  (N extends { oauthSigningKey: true }
    ? { readonly signingKeys: SigningKeys }
    : unknown) &
  (N extends { webhookQueue: QueueAccess }
    ? { readonly queue: DeliveryQueue }
    : unknown) &
  (N extends { eventBus: true } ? { readonly bus: EventBus } : unknown) &
  (N extends { mail: true }
    ? { readonly mail: MailChannel | undefined }
    : unknown) &
  (N extends { emailLinkKey: true }
    ? { readonly linkKey: () => Promise<Uint8Array> }
    : unknown) &
  (N extends { slackSecret: true }
    ? { readonly slackSecret: SlackSecretSource }
    : unknown) &
  (N extends { slackActions: true }
    ? { readonly slackActions: SlackActionQueue }
    : unknown);

/**
 * How a Lambda entry point makes each resource of its root's needs (the
 * `*FromEnv` functions of `functions/shared/aws/`): one factory per
 * resource, so a function loads the SDK clients it uses and no other.
 */
export type ResourceFactories<N extends FunctionNeeds> = {
  readonly [K in keyof ResourcesFor<N>]: () => ResourcesFor<N>[K];
};
