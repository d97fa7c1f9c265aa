import type { RegisteredModel, Tag } from '#domain/registered-model.ts';
import type { TokenInfo } from '#domain/tokens.ts';

/**
 * MLflow/Databricks JSON shapes. Empty lists are left out, as MLflow's
 * protobuf serializer does; timestamps are epoch milliseconds.
 */
export interface RegisteredModelJson {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  user_id: string;
  description: string;
  tags?: { key: string; value: string }[];
}

export function registeredModelJson(
  model: RegisteredModel
): RegisteredModelJson {
  return {
    name: model.name,
    creation_timestamp: model.creationTimestamp,
    last_updated_timestamp: model.lastUpdatedTimestamp,
    user_id: model.userId,
    description: model.description,
    ...nonEmpty('tags', model.tags.map(tagJson)),
  };
}

export function tagJson(tag: Tag): { key: string; value: string } {
  return { key: tag.key, value: tag.value };
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
