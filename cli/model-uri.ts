/**
 * MLflow's `models:/` URIs, as `mlflow.<flavor>.load_model` takes them:
 * `models:/<name>/<version>`, `models:/<name>/<stage>` (case-insensitive),
 * `models:/<name>/latest` and `models:/<name>@<alias>`. As in MLflow's
 * `models://<scope>:<prefix>@databricks/…`, an authority names the registry:
 * here `models://<profile>/<name>/<version>` picks a profile.
 */
import { UsageError } from './errors.ts';

export type Stage = 'None' | 'Staging' | 'Production' | 'Archived';

export type ModelReference =
  | { readonly kind: 'version'; readonly version: string }
  | { readonly kind: 'stage'; readonly stage: Stage }
  | { readonly kind: 'latest' }
  | { readonly kind: 'alias'; readonly alias: string };

export interface ModelUri {
  readonly profile: string | undefined;
  readonly name: string;
  readonly reference: ModelReference;
}

const STAGES: readonly Stage[] = ['None', 'Staging', 'Production', 'Archived'];

/** MLflow's `get_canonical_stage`: the stage whatever its case, or undefined. */
export function canonicalStage(stage: string): Stage | undefined {
  return STAGES.find((s) => s.toLowerCase() === stage.toLowerCase());
}

/** A positive version number as the API spells it, or undefined. */
export function versionNumber(text: string): string | undefined {
  return /^[1-9][0-9]{0,9}$/.test(text) ? text : undefined;
}

/** @throws UsageError naming the accepted forms. */
export function parseModelUri(uri: string): ModelUri {
  const invalid = (why: string) =>
    new UsageError(
      `invalid model URI '${uri}': ${why}; expected models:/<name>/<version|stage|latest> or models:/<name>@<alias>`,
      'download'
    );
  if (!uri.startsWith('models:/'))
    throw invalid('it does not start with models:/');
  let rest = uri.slice('models:/'.length);
  let profile: string | undefined;
  if (rest.startsWith('/')) {
    const end = rest.indexOf('/', 1);
    profile = rest.slice(1, end === -1 ? undefined : end);
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(profile)) {
      throw invalid(`'${profile}' is not a profile name`);
    }
    rest = end === -1 ? '' : rest.slice(end + 1);
  }
  const parts = rest.split('/');
  if (parts.length === 1 && parts[0]?.includes('@')) {
    const at = rest.lastIndexOf('@');
    const name = rest.slice(0, at);
    const alias = rest.slice(at + 1);
    if (name === '' || alias === '')
      throw invalid('the name or the alias is empty');
    return { profile, name, reference: { kind: 'alias', alias } };
  }
  const [name, suffix] = parts;
  if (parts.length !== 2 || !name || !suffix) {
    throw invalid('it needs exactly a name and a version, stage or latest');
  }
  const version = versionNumber(suffix);
  if (version)
    return { profile, name, reference: { kind: 'version', version } };
  if (suffix.toLowerCase() === 'latest') {
    return { profile, name, reference: { kind: 'latest' } };
  }
  const stage = canonicalStage(suffix);
  if (stage) return { profile, name, reference: { kind: 'stage', stage } };
  throw invalid(
    `'${suffix}' is not a version number, a stage (${STAGES.join(', ')}) or latest`
  );
}
