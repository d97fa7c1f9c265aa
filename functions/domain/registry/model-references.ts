import type { StageBounds } from '#ports/model-registry-store.ts';
import { findModelAccess, modelResource } from '../access.ts';
import { managedUploadOf } from '../artifacts/downloads.ts';
import { managedRoot } from '../artifacts/paths.ts';
import { authorize } from '../authorization.ts';
import {
  InvalidParameterValueError,
  ResourceDoesNotExistError,
} from '../errors.ts';
import type { ModelVersion } from '../model-version.ts';
import type { Principal } from '../principal.ts';
import { canonicalStage, type Stage } from '../stages.ts';
import type { RegistryDependencies } from './dependencies.ts';

/** Which version of a model a `models:/` URI names. */
export type VersionSelector =
  | { readonly kind: 'version'; readonly version: number }
  | { readonly kind: 'stage'; readonly stage: Stage }
  | { readonly kind: 'latest' }
  | { readonly kind: 'alias'; readonly alias: string };

/**
 * MLflow's model URIs of this registry: `models:/<name>/<version>`,
 * `models:/<name>/<stage>`, `models:/<name>/latest` and
 * `models:/<name>@<alias>`. A URI naming another registry
 * (`models://<profile>@databricks/…`) does not resolve here.
 * @throws InvalidParameterValueError naming the URI.
 */
export function parseModelUri(uri: string): {
  name: string;
  selector: VersionSelector;
} {
  const refuse = (why: string): never => {
    throw new InvalidParameterValueError(
      `Invalid model version source '${uri}': ${why}. Use models:/<name>/<version>, models:/<name>/<stage>, models:/<name>/latest or models:/<name>@<alias>.`
    );
  };
  const match = /^models:(\/*)(.*)$/i.exec(uri);
  const path = match?.[2] ?? '';
  if (match?.[1] === '//' || match?.[1] === '') {
    refuse('it names another registry');
  }
  const at = path.lastIndexOf('@');
  const slash = path.lastIndexOf('/');
  if (at > slash && at > 0) {
    const alias = path.slice(at + 1);
    if (alias === '') refuse('the alias is empty');
    return { name: path.slice(0, at), selector: { kind: 'alias', alias } };
  }
  if (slash <= 0 || slash === path.length - 1) {
    refuse('it names no version, stage or alias');
  }
  const name = path.slice(0, slash);
  const suffix = path.slice(slash + 1);
  if (/^\d+$/.test(suffix)) {
    const version = Number(suffix);
    if (version < 1 || !Number.isSafeInteger(version)) {
      refuse('the version is not a version number');
    }
    return { name, selector: { kind: 'version', version } };
  }
  if (suffix.toLowerCase() === 'latest') {
    return { name, selector: { kind: 'latest' } };
  }
  return { name, selector: { kind: 'stage', stage: canonicalStage(suffix) } };
}

/** What a `models:/` source resolved to at the version's creation. */
export type ResolvedReference =
  /** The referenced version's files are managed here: they are copied. */
  | {
      readonly kind: 'managed';
      /** Where its files are (`mlflow-registry/<model id>/<version>/`). */
      readonly keyPrefix: string;
      /** Their SHA-256s, from its registration's manifest. */
      readonly sha256s: ReadonlyMap<string, string>;
    }
  /** Its files are elsewhere: where it loads from is recorded. */
  | { readonly kind: 'location'; readonly storageLocation: string };

/**
 * Resolves a `models:/` source when a version is created from it, as
 * MLflow resolves `copy_model_version`'s source: the referenced model must
 * exist and the caller be able to read it, and the version must exist and
 * be READY. A managed version's files are copied into the new version's
 * own managed prefix (so the copy outlives the original); otherwise the
 * original's download location is recorded.
 * @throws InvalidParameterValueError or ResourceDoesNotExistError naming
 *   the source (never a 500: MLflow's client retries those);
 *   PermissionDeniedError when the caller may not read the model.
 */
export async function resolveModelReference(
  deps: RegistryDependencies,
  caller: Principal,
  source: string
): Promise<ResolvedReference> {
  const { name, selector } = parseModelUri(source);
  const unresolved = (why: string) =>
    new ResourceDoesNotExistError(
      `Model version source '${source}' does not resolve: ${why}.`
    );
  const access = await findModelAccess(deps.store, name).catch(
    (error: unknown) => {
      throw error instanceof InvalidParameterValueError
        ? unresolved(`'${name}' is not a valid model name`)
        : error;
    }
  );
  if (!access.record) throw unresolved(`no registered model '${name}'`);
  const record = access.record;
  authorize(caller, 'registry:ReadRegisteredModel', {
    kind: 'model',
    model: modelResource({ record, rootGrants: access.rootGrants }, name),
  });
  const number = versionNumber(record, selector);
  const version =
    number === undefined
      ? undefined
      : await deps.store.getVersion(record.model.id, number);
  if (!version) {
    throw unresolved(`model '${name}' has no ${describe(selector)}`);
  }
  if (version.status !== 'READY') {
    throw new InvalidParameterValueError(
      `Model version source '${source}' does not resolve: version ${version.version} of '${name}' is ${version.status}; a version is copied once it is READY.`
    );
  }
  return resolvedFrom(deps, version);
}

function versionNumber(
  record: {
    readonly stageBounds: StageBounds;
    readonly model: {
      readonly aliases: readonly { alias: string; version: number }[];
    };
  },
  selector: VersionSelector
): number | undefined {
  switch (selector.kind) {
    case 'version':
      return selector.version;
    case 'stage': {
      return record.stageBounds[selector.stage]?.highest;
    }
    case 'latest': {
      const highest = Object.values(record.stageBounds).map((b) => b.highest);
      return highest.length > 0 ? Math.max(...highest) : undefined;
    }
    case 'alias':
      return record.model.aliases.find((a) => a.alias === selector.alias)
        ?.version;
  }
}

function describe(selector: VersionSelector): string {
  switch (selector.kind) {
    case 'version':
      return `version ${selector.version}`;
    case 'stage':
      return `version in ${selector.stage}`;
    case 'latest':
      return 'versions';
    case 'alias':
      return `alias '${selector.alias}'`;
  }
}

async function resolvedFrom(
  deps: RegistryDependencies,
  version: ModelVersion
): Promise<ResolvedReference> {
  const uploadId = managedUploadOf(version, deps.artifacts?.bucketName);
  if (uploadId === undefined || !deps.artifacts) {
    return {
      kind: 'location',
      storageLocation: version.storageLocation ?? version.source,
    };
  }
  const session = await deps.artifacts.uploads.get(uploadId);
  return {
    kind: 'managed',
    keyPrefix: `${managedRoot(version.modelId, version.version)}/`,
    sha256s: new Map(
      (session?.manifest ?? []).map((entry) => [entry.path, entry.sha256])
    ),
  };
}
