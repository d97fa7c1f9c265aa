import type { Activity } from '#domain/activity.ts';
import type { EffectiveLevel } from '#domain/permissions.ts';
import type { RegisteredModel, Tag } from '#domain/registered-model.ts';
import type {
  ModelVersionView,
  RegisteredModelView,
} from '#domain/registry/dependencies.ts';
import type { StagePolicy } from '#domain/stage-policy.ts';
import type { TokenInfo } from '#domain/tokens.ts';

/**
 * MLflow/Databricks JSON shapes. As MLflow's protobuf serializer, empty
 * lists and unset optional strings are left out; `version` is a string and
 * timestamps are epoch milliseconds; `current_stage` is always present
 * (clients read a missing one as '').
 */
export function tagJson(tag: Tag): { key: string; value: string } {
  return { key: tag.key, value: tag.value };
}

export function modelVersionJson(version: ModelVersionView) {
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
) {
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
) {
  return {
    ...registeredModelJson(view),
    id: view.model.id,
    ...permissionLevelJson(permissionLevel),
    stage_policy: stagePolicyJson(policy),
  };
}

/** The protected-stage policy (the registry's, or a model's in force). */
export function stagePolicyJson(policy: StagePolicy) {
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
) {
  const { aliases: _aliases, ...fields } = modelVersionJson(
    version
  ) as ReturnType<typeof modelVersionJson> & { aliases?: string[] };
  return { ...fields, ...permissionLevelJson(permissionLevel) };
}

export function activityJson(activity: Activity) {
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

export function tokenInfoJson(info: TokenInfo) {
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
