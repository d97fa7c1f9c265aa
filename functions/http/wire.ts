import { z } from 'zod';
import type { Activity, ActivityType } from '#domain/activity.ts';
import { type EffectiveLevel, PERMISSION_LEVELS } from '#domain/permissions.ts';
import type { RegisteredModel, Tag } from '#domain/registered-model.ts';
import type {
  ModelVersionView,
  RegisteredModelView,
} from '#domain/registry/dependencies.ts';
import type { StagePolicy } from '#domain/stage-policy.ts';
import { STAGES } from '#domain/stages.ts';
import type { TokenInfo } from '#domain/tokens.ts';
import { WEBHOOK_EVENTS } from '#domain/webhook.ts';

/**
 * MLflow/Databricks JSON shapes, each as a zod schema (what the API
 * reference publishes, see functions/http/openapi.ts) and the function that
 * builds it. As MLflow's protobuf serializer, empty lists and unset
 * optional strings are left out; `version` is a string and timestamps are
 * epoch milliseconds; `current_stage` is always present (clients read a
 * missing one as '').
 */
const epochMillis = () =>
  z.number().int().meta({ description: 'Epoch milliseconds.' });

export const stageSchema = z.enum(STAGES).meta({ id: 'Stage' });

export const tagSchema = z
  .object({ key: z.string(), value: z.string() })
  .meta({ id: 'Tag' });

export const modelVersionSchema = z
  .object({
    name: z.string(),
    version: z.string().meta({ description: 'The version number, 1, 2, 3 …' }),
    creation_timestamp: epochMillis(),
    last_updated_timestamp: epochMillis(),
    user_id: z.string().meta({ description: "The creator's user name." }),
    current_stage: stageSchema,
    description: z.string(),
    source: z.string().meta({
      description:
        'As registered: a URI such as `runs:/…` or `s3://…`, or `stagegate-upload:<upload_id>` for files uploaded through the registry.',
    }),
    run_id: z.string(),
    status: z.enum(['PENDING_REGISTRATION', 'READY', 'FAILED_REGISTRATION']),
    status_message: z.string().optional(),
    tags: z.array(tagSchema).optional(),
    run_link: z.string(),
    aliases: z.array(z.string()).optional(),
  })
  .meta({ id: 'ModelVersion' });

export const modelVersionDatabricksSchema = modelVersionSchema
  .omit({ aliases: true })
  .extend({ permission_level: permissionLevelSchema().optional() })
  .meta({ id: 'ModelVersionDatabricks' });

export const registeredModelSchema = z
  .object({
    name: z.string(),
    creation_timestamp: epochMillis(),
    last_updated_timestamp: epochMillis(),
    user_id: z.string(),
    description: z.string(),
    latest_versions: z.array(modelVersionSchema).optional().meta({
      description: 'The highest version in each stage that has one.',
    }),
    tags: z.array(tagSchema).optional(),
    aliases: z
      .array(z.object({ alias: z.string(), version: z.string() }))
      .optional(),
  })
  .meta({ id: 'RegisteredModel' });

export const stagePolicySchema = z
  .object({
    protected_stages: z.array(stageSchema).meta({
      description:
        'Stages a version enters only through an approved transition request.',
    }),
    required_approvals: z.number().int().meta({
      description:
        'Approvals, from distinct approvers, a request into one needs.',
    }),
  })
  .meta({ id: 'StagePolicy' });

export const registeredModelDatabricksSchema = registeredModelSchema
  .extend({
    id: z.string().meta({
      description:
        'Stable id, kept across renames: the `registered_model_id` of the permissions API.',
    }),
    permission_level: permissionLevelSchema().optional(),
    stage_policy: stagePolicySchema,
  })
  .meta({ id: 'RegisteredModelDatabricks' });

export const activitySchema = z
  .object({
    id: z.string(),
    activity_type: z.enum([
      'APPLIED_TRANSITION',
      'REQUESTED_TRANSITION',
      'CANCELLED_REQUEST',
      'APPROVED_REQUEST',
      'REJECTED_REQUEST',
      'SYSTEM_TRANSITION',
      'NEW_COMMENT',
    ] satisfies ActivityType[]),
    from_stage: stageSchema.optional(),
    to_stage: stageSchema.optional(),
    user_id: z.string(),
    creation_timestamp: epochMillis(),
    last_updated_timestamp: epochMillis(),
    comment: z.string().optional(),
    system_comment: z.string().optional(),
  })
  .meta({ id: 'Activity' });

export const tokenInfoSchema = z
  .object({
    token_id: z.string(),
    creation_time: epochMillis(),
    expiry_time: z
      .number()
      .int()
      .meta({ description: 'Epoch milliseconds; -1 when it never expires.' }),
    comment: z.string(),
  })
  .meta({ id: 'TokenInfo' });

export const webhookEventSchema = z
  .enum(WEBHOOK_EVENTS)
  .meta({ id: 'RegistryWebhookEvent' });

/** Who a notice is for: one user, group or service principal. */
export const recipientSchema = z
  .union([
    z.object({ user_name: z.string() }),
    z.object({ group_name: z.string() }),
    z.object({ service_principal_name: z.string() }),
  ])
  .meta({ id: 'Recipient' });

/** `{}`: what operations that change something and report nothing answer. */
export const emptySchema = z.object({}).meta({ id: 'Empty' });

function permissionLevelSchema() {
  return z.enum([...PERMISSION_LEVELS, 'NO_PERMISSIONS']).meta({
    description: "The caller's effective level on the model.",
  });
}

export function tagJson(tag: Tag): z.infer<typeof tagSchema> {
  return { key: tag.key, value: tag.value };
}

export function modelVersionJson(
  version: ModelVersionView
): z.infer<typeof modelVersionSchema> {
  return {
    name: version.name,
    version: String(version.version),
    creation_timestamp: version.creationTimestamp,
    last_updated_timestamp: version.lastUpdatedTimestamp,
    user_id: version.userId,
    current_stage: version.currentStage,
    description: version.description,
    source: version.source,
    run_id: version.runId,
    status: version.status,
    ...(version.statusMessage ? { status_message: version.statusMessage } : {}),
    ...nonEmpty('tags', version.tags.map(tagJson)),
    run_link: version.runLink,
    ...nonEmpty('aliases', [...version.aliases]),
  };
}

/** A model; `latest_versions` when a view with versions is given. */
export function registeredModelJson(
  subject: RegisteredModel | RegisteredModelView
): z.infer<typeof registeredModelSchema> {
  const model = 'model' in subject ? subject.model : subject;
  const latest = 'model' in subject ? subject.latestVersions : [];
  return {
    name: model.name,
    creation_timestamp: model.creationTimestamp,
    last_updated_timestamp: model.lastUpdatedTimestamp,
    user_id: model.userId,
    description: model.description,
    ...nonEmpty('latest_versions', latest.map(modelVersionJson)),
    ...nonEmpty('tags', model.tags.map(tagJson)),
    ...nonEmpty(
      'aliases',
      model.aliases.map((a) => ({ alias: a.alias, version: String(a.version) }))
    ),
  };
}

/**
 * Databricks' `ModelDatabricks`: the model with its stable id and the
 * caller's level; extension: `stage_policy`, the protected stages and the
 * approvals a request into one needs.
 */
export function registeredModelDatabricksJson(
  view: RegisteredModelView,
  permissionLevel: EffectiveLevel | undefined,
  policy: StagePolicy
): z.infer<typeof registeredModelDatabricksSchema> {
  return {
    ...registeredModelJson(view),
    id: view.model.id,
    ...permissionLevelJson(permissionLevel),
    stage_policy: stagePolicyJson(policy),
  };
}

/** The protected-stage policy (the registry's, or a model's in force). */
export function stagePolicyJson(
  policy: StagePolicy
): z.infer<typeof stagePolicySchema> {
  return {
    protected_stages: [...policy.protectedStages],
    required_approvals: policy.requiredApprovals,
  };
}

/** Callers without a level never reach these responses; omit rather than invent. */
function permissionLevelJson(level: EffectiveLevel | undefined) {
  return level && level !== 'NO_PERMISSIONS' ? { permission_level: level } : {};
}

/** Databricks' `ModelVersionDatabricks`. */
export function modelVersionDatabricksJson(
  version: ModelVersionView,
  permissionLevel: EffectiveLevel | undefined
): z.infer<typeof modelVersionDatabricksSchema> {
  const { aliases: _aliases, ...fields } = modelVersionJson(version);
  return { ...fields, ...permissionLevelJson(permissionLevel) };
}

export function activityJson(
  activity: Activity
): z.infer<typeof activitySchema> {
  return {
    id: activity.id,
    activity_type: activity.activityType,
    ...(activity.fromStage ? { from_stage: activity.fromStage } : {}),
    ...(activity.toStage ? { to_stage: activity.toStage } : {}),
    user_id: activity.userId,
    creation_timestamp: activity.creationTimestamp,
    last_updated_timestamp: activity.lastUpdatedTimestamp,
    ...(activity.comment ? { comment: activity.comment } : {}),
    ...(activity.systemComment
      ? { system_comment: activity.systemComment }
      : {}),
  };
}

export function tokenInfoJson(
  info: TokenInfo
): z.infer<typeof tokenInfoSchema> {
  return {
    token_id: info.tokenId,
    creation_time: info.creationTime,
    expiry_time: info.expiryTime,
    comment: info.comment,
  };
}

function nonEmpty<K extends string, T>(
  key: K,
  values: T[]
): Partial<Record<K, T[]>> {
  return values.length > 0 ? ({ [key]: values } as Record<K, T[]>) : {};
}
