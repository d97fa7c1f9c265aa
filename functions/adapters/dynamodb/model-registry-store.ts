import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Activity } from '#domain/activity.ts';
import type { RegistryEvent } from '#domain/events.ts';
import type { ModelVersion } from '#domain/model-version.ts';
import type { Grant, RootPermissionLevel } from '#domain/permissions.ts';
import type { RegisteredModel } from '#domain/registered-model.ts';
import type {
  ModelAccess,
  ModelListingPage,
  ModelListingQuery,
  ModelRecord,
  ModelRegistryStore,
  TransitionCommit,
  UploadConsumption,
  VersionDeletion,
  VersionStatusUpdate,
} from '#ports/model-registry-store.ts';
import { DynamoDBModelActivities } from './activities.ts';
import { DynamoDBModelAcls } from './model-acls.ts';
import { DynamoDBModelDeletions } from './model-deletions.ts';
import { DynamoDBModelVersions } from './model-versions.ts';
import { DynamoDBRegisteredModels } from './registered-models.ts';

/**
 * {@link ModelRegistryStore} on the registry's DynamoDB table, composed of
 * one module per entity (`registered-models.ts`, `model-acls.ts`,
 * `model-versions.ts`, `activities.ts`, `model-deletions.ts`).
 *
 * A model's versions and activities share its partition (`RM#<id>`), so
 * one Query reads them and a model's deletion knows everything it must
 * remove; the model item carries the stage membership, the version counter
 * and the revision that the entities' conditional writes check.
 */
export class DynamoDBModelRegistryStore implements ModelRegistryStore {
  readonly #models: DynamoDBRegisteredModels;
  readonly #acls: DynamoDBModelAcls;
  readonly #versions: DynamoDBModelVersions;
  readonly #activities: DynamoDBModelActivities;
  readonly #deletions: DynamoDBModelDeletions;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    const table = { client: options.client, tableName: options.tableName };
    this.#models = new DynamoDBRegisteredModels(table);
    this.#acls = new DynamoDBModelAcls(table);
    this.#versions = new DynamoDBModelVersions(table);
    this.#activities = new DynamoDBModelActivities(table);
    this.#deletions = new DynamoDBModelDeletions(table);
  }

  createRegisteredModel(
    model: RegisteredModel,
    grants: readonly Grant[],
    events?: readonly RegistryEvent[]
  ): Promise<void> {
    return this.#models.createRegisteredModel(model, grants, events);
  }

  getModelRecordByName(name: string): Promise<ModelRecord | undefined> {
    return this.#models.getModelRecordByName(name);
  }

  getModelAccessByName(name: string): Promise<ModelAccess> {
    return this.#models.getModelAccessByName(name);
  }

  getModelAccessById(id: string): Promise<ModelAccess> {
    return this.#models.getModelAccessById(id);
  }

  getModelRecordById(
    id: string,
    options?: { readonly stages?: boolean }
  ): Promise<ModelRecord | undefined> {
    return this.#models.getModelRecordById(id, options);
  }

  getModelRecordsByIds(
    ids: readonly string[],
    options?: { readonly stages?: boolean }
  ): Promise<readonly ModelRecord[]> {
    return this.#models.getModelRecordsByIds(ids, options);
  }

  listModels(query: ModelListingQuery): Promise<ModelListingPage> {
    return this.#models.listModels(query);
  }

  updateModelDescription(
    model: RegisteredModel,
    description: string,
    now: number
  ): Promise<void> {
    return this.#models.updateModelDescription(model, description, now);
  }

  renameModel(record: ModelRecord, newName: string, now: number) {
    return this.#models.renameModel(record, newName, now);
  }

  setModelTag(modelId: string, key: string, value: string): Promise<void> {
    return this.#models.setModelTag(modelId, key, value);
  }

  deleteModelTag(modelId: string, key: string): Promise<boolean> {
    return this.#models.deleteModelTag(modelId, key);
  }

  setAlias(modelId: string, alias: string, version: number): Promise<void> {
    return this.#models.setAlias(modelId, alias, version);
  }

  deleteAlias(modelId: string, alias: string): Promise<void> {
    return this.#models.deleteAlias(modelId, alias);
  }

  setModelGrants(modelId: string, grants: readonly Grant[]): Promise<void> {
    return this.#acls.setModelGrants(modelId, grants);
  }

  getRootGrants(): Promise<readonly Grant<RootPermissionLevel>[] | undefined> {
    return this.#acls.getRootGrants();
  }

  setRootGrants(grants: readonly Grant<RootPermissionLevel>[]): Promise<void> {
    return this.#acls.setRootGrants(grants);
  }

  createVersion(
    record: ModelRecord,
    version: ModelVersion,
    consume?: UploadConsumption,
    events?: readonly RegistryEvent[],
    claimed?: boolean
  ): Promise<void> {
    return this.#versions.createVersion(
      record,
      version,
      consume,
      events,
      claimed
    );
  }

  claimVersionNumber(
    modelId: string,
    atMost: number
  ): Promise<number | undefined> {
    return this.#versions.claimVersionNumber(modelId, atMost);
  }

  setVersionStatus(
    modelId: string,
    version: number,
    update: VersionStatusUpdate
  ): Promise<boolean> {
    return this.#versions.setVersionStatus(modelId, version, update);
  }

  getVersion(
    modelId: string,
    version: number
  ): Promise<ModelVersion | undefined> {
    return this.#versions.getVersion(modelId, version);
  }

  getVersions(
    versionKeys: readonly { modelId: string; version: number }[]
  ): Promise<readonly ModelVersion[]> {
    return this.#versions.getVersions(versionKeys);
  }

  listVersions(modelId: string): Promise<readonly ModelVersion[]> {
    return this.#versions.listVersions(modelId);
  }

  listVersionsByRunId(runId: string): Promise<readonly ModelVersion[]> {
    return this.#versions.listVersionsByRunId(runId);
  }

  updateVersionDescription(
    modelId: string,
    version: number,
    description: string,
    now: number
  ): Promise<void> {
    return this.#versions.updateVersionDescription(
      modelId,
      version,
      description,
      now
    );
  }

  setVersionTag(
    modelId: string,
    version: number,
    key: string,
    value: string,
    events?: readonly RegistryEvent[]
  ): Promise<void> {
    return this.#versions.setVersionTag(modelId, version, key, value, events);
  }

  deleteVersionTag(
    modelId: string,
    version: number,
    key: string
  ): Promise<boolean> {
    return this.#versions.deleteVersionTag(modelId, version, key);
  }

  commitTransition(commit: TransitionCommit): Promise<void> {
    return this.#versions.commitTransition(commit);
  }

  listActivities(
    modelId: string,
    version: number
  ): Promise<readonly Activity[]> {
    return this.#activities.listActivities(modelId, version);
  }

  deleteModel(record: ModelRecord, now: number): Promise<void> {
    return this.#deletions.deleteModel(record, now);
  }

  deleteVersion(deletion: VersionDeletion): Promise<void> {
    return this.#deletions.deleteVersion(deletion);
  }
}
