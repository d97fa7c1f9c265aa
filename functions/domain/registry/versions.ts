import type { ModelRecord } from '#ports/model-registry-store.ts';
import type { ModelAccess } from '../access.ts';
import type { Activity } from '../activity.ts';
import { assertDownloadable, managedUploadOf } from '../artifacts/downloads.ts';
import { managedDownloadUri } from '../artifacts/paths.ts';
import {
  COPYING_MESSAGE,
  startRegistration,
  uploadToConsume,
} from '../artifacts/registration.ts';
import {
  classifySource,
  dbfsOrigin,
  type SourceKind,
  type SourceToSnapshot,
  sessionFromSource,
} from '../artifacts/sources.ts';
import {
  ConcurrentModificationError,
  InvalidParameterValueError,
  InvalidStateError,
  ResourceDoesNotExistError,
} from '../errors.ts';
import { modelVersionCreated, modelVersionTagSet } from '../events.ts';
import { limits } from '../limits.ts';
import {
  type ModelVersion,
  parseVersionNumber,
  validateRunFields,
  validateSource,
} from '../model-version.ts';
import type { Principal } from '../principal.ts';
import {
  assertTagsFit,
  byKey,
  storedTagKey,
  type Tag,
  validateDescription,
  validateTagKey,
  validateTags,
  validateTagValue,
  withTag,
} from '../registered-model.ts';
import {
  type ModelVersionView,
  type RegistryDependencies,
  requireRecord,
  requireVersion,
  versionView,
  withOptimisticRetry,
} from './dependencies.ts';
import { resolveModelReference } from './model-references.ts';

export interface CreateModelVersionInput {
  readonly name: string;
  readonly source: string;
  readonly runId?: string | undefined;
  readonly runLink?: string | undefined;
  readonly description?: string | undefined;
  readonly tags?: readonly Tag[] | undefined;
}

/**
 * Registers the next version of a model. Numbers are 1, 2, 3, … per model,
 * never reused (deleted versions keep theirs): the first attempt takes
 * `versionCounter + 1` under a condition on the counter, and a create that
 * lost that race claims a number of its own in one atomic update instead
 * of retrying (no retry storm).
 *
 * A source whose files the registry copies — an upload session, the
 * caller's temporary copy (`dbfs:/databricks/mlflow/tmp-external-source/…`),
 * an allow-listed `s3://` prefix, or a managed version (`models:/…`) —
 * creates the version in PENDING_REGISTRATION, consumes the session of
 * those files in the same transaction, and starts the asynchronous copy
 * into the managed prefix, which sets it READY or FAILED_REGISTRATION. A
 * `models:/` source naming a version whose files are elsewhere records
 * that version's download location. Any other source is recorded as given,
 * READY at once (as MLflow records sources it does not manage).
 *
 * @param known the model's record when the route's check read it: the
 *   first attempt plans on it.
 */
export async function createModelVersion(
  deps: RegistryDependencies,
  caller: Principal,
  input: CreateModelVersionInput,
  known?: ModelRecord
): Promise<ModelVersionView> {
  const source = validateSource(input.source);
  const kind = classifySource(source, {
    bucketName: deps.artifacts?.bucketName,
    externalPrefixes: deps.artifacts?.externalPrefixes,
  });
  validateRunFields(input);
  const description = validateDescription(input.description ?? '');
  const tags = [...validateTags(input.tags ?? [])].sort(byKey((t) => t.key));
  const tooMany = (record: ModelRecord) =>
    new InvalidParameterValueError(
      `Registered model '${record.model.name}' has had ${record.versionCounter} versions, the most one model can hold (${limits.versionsPerModel}); register further versions under another model.`
    );
  let fresh = known;
  // The number this create took for itself after losing the race for the
  // next one: kept across attempts, so a retry never takes a second one.
  let claimed: number | undefined;
  const files = await filesOfSource(deps, caller, input.name, source, kind);
  const created = await withOptimisticRetry(deps, async () => {
    const record = fresh ?? (await requireRecord(deps, input.name));
    fresh = undefined;
    if (
      claimed === undefined &&
      record.versionCounter >= limits.versionsPerModel
    ) {
      throw tooMany(record);
    }
    const now = deps.now();
    const consume =
      files.uploadId !== undefined && deps.artifacts
        ? await uploadToConsume(
            deps.artifacts,
            caller,
            files.uploadId,
            now,
            record.model.id
          )
        : undefined;
    const store = async (number: number, isClaimed: boolean) => {
      const version: ModelVersion = {
        modelId: record.model.id,
        version: number,
        currentStage: 'None',
        description,
        source,
        runId: input.runId ?? '',
        runLink: input.runLink ?? '',
        status: consume ? 'PENDING_REGISTRATION' : 'READY',
        statusMessage: consume ? COPYING_MESSAGE : '',
        tags,
        creationTimestamp: now,
        lastUpdatedTimestamp: now,
        userId: caller.userName,
        ...(consume && kind.kind !== 'upload'
          ? { uploadId: consume.uploadId }
          : {}),
        ...(files.storageLocation === undefined
          ? {}
          : { storageLocation: files.storageLocation }),
      };
      await deps.store.createVersion(
        record,
        version,
        consume,
        [
          modelVersionCreated(
            { id: deps.newId(), at: now },
            record.model,
            version
          ),
        ],
        isClaimed
      );
      return {
        view: versionView(record.model, version, { withAliases: true }),
        consume,
      };
    };
    if (claimed === undefined) {
      try {
        return await store(record.versionCounter + 1, false);
      } catch (error) {
        if (!(error instanceof ConcurrentModificationError)) throw error;
        // Another create took the next number. Retrying for the one after
        // would race the same writers again (a retry storm whose tail grows
        // with them); a number of its own ends the race in one write.
        claimed = await deps.store.claimVersionNumber(
          record.model.id,
          limits.versionsPerModel
        );
        if (claimed === undefined) throw tooMany(record);
      }
    }
    return store(claimed, true);
  });
  if (!created.consume || !deps.artifacts) return created.view;
  const started = await startRegistration(
    { store: deps.store, artifacts: deps.artifacts, now: deps.now },
    created.view,
    created.consume.uploadId
  );
  return { ...created.view, ...started };
}

/**
 * Where a new version's files come from: the session to consume (an
 * upload's, or one made now from the files at the source), or the
 * download location a `models:/` source resolved to.
 */
async function filesOfSource(
  deps: RegistryDependencies,
  caller: Principal,
  name: string,
  source: string,
  kind: SourceKind
): Promise<{ uploadId?: string; storageLocation?: string }> {
  if (kind.kind === 'unmanaged') return {};
  const artifacts = deps.artifacts;
  if (!artifacts) {
    throw new InvalidStateError(
      'This registry is not configured to manage artifact uploads.'
    );
  }
  if (kind.kind === 'upload') return { uploadId: kind.uploadId };
  let target: SourceToSnapshot;
  if (kind.kind === 'model-reference') {
    const resolved = await resolveModelReference(deps, caller, source);
    if (resolved.kind === 'location') {
      return { storageLocation: resolved.storageLocation };
    }
    target = {
      source,
      origin: { kind: 'model-version', keyPrefix: resolved.keyPrefix },
      sha256s: resolved.sha256s,
    };
  } else {
    target = {
      source,
      origin:
        kind.kind === 'dbfs'
          ? dbfsOrigin(caller, kind.relative)
          : { kind: 's3', bucket: kind.bucket, keyPrefix: kind.keyPrefix },
    };
  }
  if (!artifacts.sources) {
    throw new InvalidStateError(
      'This registry is not configured to read artifact sources.'
    );
  }
  const record = await requireRecord(deps, name);
  const uploadId = await sessionFromSource(
    {
      uploads: artifacts.uploads,
      sources: artifacts.sources,
      now: deps.now,
      newId: deps.newId,
    },
    caller,
    record.model.id,
    target
  );
  return { uploadId };
}

/**
 * @param known the model's record, and versions read with it, when the
 *   caller already read them (the route's check did).
 */
export async function getModelVersion(
  deps: RegistryDependencies,
  input: { name: string; version: string | number },
  known?: Pick<ModelAccess, 'record' | 'versions'>
): Promise<ModelVersionView> {
  const number = parseVersionNumber(input.version);
  const record = known?.record ?? (await requireRecord(deps, input.name));
  const version =
    known?.versions?.get(number) ??
    (await requireVersion(deps, record, number));
  return versionView(record.model, version, { withAliases: true });
}

export async function updateModelVersion(
  deps: RegistryDependencies,
  input: {
    name: string;
    version: string | number;
    description?: string | undefined;
  }
): Promise<ModelVersionView> {
  const number = parseVersionNumber(input.version);
  const record = await requireRecord(deps, input.name);
  await requireVersion(deps, record, number);
  if (input.description !== undefined) {
    await deps.store.updateVersionDescription(
      record.model.id,
      number,
      validateDescription(input.description),
      deps.now()
    );
  }
  return getModelVersion(deps, input);
}

/**
 * Deletes a version that is in None or Archived (Databricks' guard), with
 * its aliases and activities. Its number is never reused.
 */
export async function deleteModelVersion(
  deps: RegistryDependencies,
  input: { name: string; version: string | number }
): Promise<void> {
  const number = parseVersionNumber(input.version);
  const record = await withOptimisticRetry(deps, async () => {
    const record = await requireRecord(deps, input.name);
    const version = await requireVersion(deps, record, number);
    if (
      version.currentStage === 'Staging' ||
      version.currentStage === 'Production'
    ) {
      throw new InvalidStateError(
        `Cannot delete version ${number} of registered model '${input.name}': it is in ${version.currentStage}. Only versions in None or Archived can be deleted.`
      );
    }
    await deps.store.deleteVersion({
      record,
      version: number,
      stage: version.currentStage,
      aliases: record.model.aliases
        .filter((a) => a.version === number)
        .map((a) => a.alias),
      now: deps.now(),
    });
    return record;
  });
  await deps.afterVersionChanges?.(record, [
    { version: number, stage: 'DELETED' },
  ]);
}

export async function setModelVersionTag(
  deps: RegistryDependencies,
  caller: Principal,
  input: { name: string; version: string | number; key: string; value: string }
): Promise<void> {
  validateTagKey(input.key);
  validateTagValue(input.key, input.value);
  const number = parseVersionNumber(input.version);
  const record = await requireRecord(deps, input.name);
  const version = await requireVersion(deps, record, number);
  assertTagsFit(withTag(version.tags, input.key, input.value));
  await deps.store.setVersionTag(
    record.model.id,
    number,
    input.key,
    input.value,
    [
      modelVersionTagSet(
        { id: deps.newId(), at: deps.now() },
        record.model,
        number,
        { key: input.key, value: input.value },
        caller.userName
      ),
    ]
  );
}

export async function deleteModelVersionTag(
  deps: RegistryDependencies,
  input: { name: string; version: string | number; key: string }
): Promise<void> {
  validateTagKey(input.key);
  const number = parseVersionNumber(input.version);
  const record = await requireRecord(deps, input.name);
  const version = await requireVersion(deps, record, number);
  const key = storedTagKey(version.tags, input.key);
  if (!(await deps.store.deleteVersionTag(record.model.id, number, key))) {
    throw new ResourceDoesNotExistError(
      `No tag with name: ${input.key} in model version ${input.name} version ${number}.`
    );
  }
}

/**
 * Where the version's files are. For a version whose files the registry
 * manages, its managed copy as an `mlflow-artifacts:/` URI, which MLflow's
 * client then lists and downloads through this server's artifact
 * endpoints (only once READY); for a `models:/` source resolved to files
 * elsewhere, the location recorded at creation; for any other source, the
 * source as registered (MLflow returns it the same way for sources it does
 * not manage).
 * @throws InvalidStateError for a managed version that is not READY.
 */
export async function getModelVersionDownloadUri(
  deps: RegistryDependencies,
  input: { name: string; version: string | number },
  known?: Pick<ModelAccess, 'record' | 'versions'>
): Promise<string> {
  const version = await getModelVersion(deps, input, known);
  if (version.storageLocation !== undefined) return version.storageLocation;
  if (managedUploadOf(version, deps.artifacts?.bucketName) === undefined) {
    return version.source;
  }
  assertDownloadable(version.name, version);
  return managedDownloadUri(version.modelId, version.version);
}

export async function listModelVersionActivities(
  deps: RegistryDependencies,
  input: { name: string; version: string | number }
): Promise<readonly Activity[]> {
  const number = parseVersionNumber(input.version);
  const record = await requireRecord(deps, input.name);
  await requireVersion(deps, record, number);
  return deps.store.listActivities(record.model.id, number);
}
