import { API_DOCS_HINT, InvalidParameterValueError } from './errors.ts';
import { limits } from './limits.ts';
import type { Tag } from './registered-model.ts';
import type { Stage } from './stages.ts';

export type ModelVersionStatus =
  | 'PENDING_REGISTRATION'
  | 'FAILED_REGISTRATION'
  | 'READY';

/** A model version as the registry stores it; its model's name is not stored on it. */
export interface ModelVersion {
  readonly modelId: string;
  readonly version: number;
  readonly currentStage: Stage;
  readonly description: string;
  readonly source: string;
  readonly runId: string;
  readonly runLink: string;
  readonly status: ModelVersionStatus;
  readonly statusMessage: string;
  readonly tags: readonly Tag[];
  readonly creationTimestamp: number;
  readonly lastUpdatedTimestamp: number;
  readonly userId: string;
  /**
   * The session its files were registered from, when the registry manages
   * them and the source does not name the session (a temporary copy, an
   * allow-listed prefix, another version).
   */
  readonly uploadId?: string | undefined;
  /**
   * Where its files are, for a source the registry resolved at creation to
   * files it does not manage (a `models:/` reference to such a version):
   * what `get-download-uri` answers, as MLflow's `storage_location`.
   */
  readonly storageLocation?: string | undefined;
}

/**
 * Version numbers arrive as strings (MLflow) or numbers (SDK callers).
 * @throws InvalidParameterValueError with MLflow's message.
 */
export function parseVersionNumber(input: string | number): number {
  const text = String(input).trim();
  if (
    !/^\d+$/.test(text) ||
    Number(text) < 1 ||
    !Number.isSafeInteger(Number(text))
  ) {
    throw new InvalidParameterValueError(
      `Model version must be an integer, got '${input}'`
    );
  }
  return Number(text);
}

/** URI schemes a version's `source` may use (a registry has no local disk). */
const SOURCE_SCHEMES = [
  's3',
  's3a',
  'runs',
  'models',
  'mlflow-artifacts',
  'dbfs',
  'gs',
  'wasbs',
  'abfss',
  'hdfs',
  'http',
  'https',
  // An upload session of this registry (`stagegate-upload:<upload id>`).
  'stagegate-upload',
];

/**
 * MLflow's `_validate_source` for a registry-only server: a local path needs
 * the run's artifact directory, which a registry does not have, so only
 * URIs are accepted; traversal (`..`, `%2f`-encoded separators) and NUL are
 * refused whatever the scheme.
 */
export function validateSource(source: string): string {
  if (source.length > limits.sourceLength) {
    throw new InvalidParameterValueError(
      `Model version source had length ${source.length}, which exceeded length limit of ${limits.sourceLength}`
    );
  }
  if (source.trim() === '') {
    throw new InvalidParameterValueError(
      `Missing value for required parameter 'source'. ${API_DOCS_HINT}`
    );
  }
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(source)?.[1]?.toLowerCase();
  if (!scheme || !SOURCE_SCHEMES.includes(scheme)) {
    throw new InvalidParameterValueError(
      `Invalid model version source: '${source}'. To use a local path as a model version source, the run_id request parameter has to be specified and the local path has to be contained within the artifact directory of the run specified by the run_id.`
    );
  }
  for (const form of decodings(source)) {
    const pathPart = form.replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/*/, '');
    if (
      form.includes('\0') ||
      pathPart.split(/[/\\]/).includes('..') ||
      /%2f|%5c/i.test(form)
    ) {
      throw new InvalidParameterValueError(
        `Invalid model version source: '${source}'. Path traversal is not allowed.`
      );
    }
  }
  return source;
}

/** run_id and run_link are free text for a registry; only their length is bounded. */
export function validateRunFields(input: {
  runId?: string | undefined;
  runLink?: string | undefined;
}): void {
  if ((input.runId ?? '').length > limits.runIdLength) {
    throw new InvalidParameterValueError(
      `run_id had length ${input.runId?.length}, which exceeded length limit of ${limits.runIdLength}`
    );
  }
  if ((input.runLink ?? '').length > limits.runLinkLength) {
    throw new InvalidParameterValueError(
      `run_link had length ${input.runLink?.length}, which exceeded length limit of ${limits.runLinkLength}`
    );
  }
}

/**
 * The source as written and as each round of percent-decoding leaves it, so
 * double encoding (`%252e`) or a malformed escape elsewhere in the string
 * cannot hide a traversal: every valid `%XX` is decoded on its own.
 */
function decodings(source: string): string[] {
  const forms = [source];
  for (let round = 0; round < 4; round += 1) {
    const last = forms.at(-1) ?? source;
    const next = last.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) =>
      String.fromCharCode(Number.parseInt(hex, 16))
    );
    if (next === last) break;
    forms.push(next);
  }
  return forms;
}

/**
 * MLflow's alias rules: `^[\w\-]*$`, at most 255 characters, and neither
 * `latest` nor `v<digits>` (both would shadow version URIs).
 */
export function validateAlias(alias: string): string {
  if (
    alias.length === 0 ||
    alias.length > limits.aliasLength ||
    !/^[\w-]*$/.test(alias)
  ) {
    throw new InvalidParameterValueError(
      `Invalid alias name '${alias}'. Aliases must be 1-255 characters of letters, digits, underscores and hyphens.`
    );
  }
  if (alias.toLowerCase() === 'latest') {
    throw new InvalidParameterValueError(
      "'latest' alias name (case insensitive) is reserved."
    );
  }
  if (/^v\d+$/i.test(alias)) {
    throw new InvalidParameterValueError(
      `Version alias name '${alias}' is reserved.`
    );
  }
  return alias;
}
