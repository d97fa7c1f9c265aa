/**
 * `download models:/<name>/<version|stage|latest> <dir>`: resolves the URI
 * to one version, refuses versions that are not READY, then streams each
 * listed file from its presigned URL, verifying its SHA-256.
 */
import type { ModelVersion, RegistryClient } from '../client.ts';
import { CliError, VersionNotReadyError } from '../errors.ts';
import { safeDestination } from '../files.ts';
import type { Context } from '../main.ts';
import { type ModelUri, parseModelUri } from '../model-uri.ts';
import { formatBytes, ProgressReporter } from '../progress.ts';
import { downloadFile } from '../transfer.ts';

/**
 * The version a `models:/` URI means: a stage is its latest version there,
 * `latest` the highest version of any stage (as MLflow resolves both with
 * get-latest-versions).
 * @throws CliError when the stage holds no version or the model has none.
 */
export async function resolveVersion(
  client: RegistryClient,
  uri: ModelUri
): Promise<ModelVersion> {
  const { name, reference } = uri;
  switch (reference.kind) {
    case 'version':
      return client.getModelVersion(name, reference.version);
    case 'alias':
      return client.getModelVersionByAlias(name, reference.alias);
    case 'stage': {
      const [version] = await client.getLatestVersions(name, [reference.stage]);
      if (!version) {
        throw new CliError(
          `registered model ${name} has no version in stage ${reference.stage} on ${client.target.host}`
        );
      }
      return version;
    }
    case 'latest': {
      const versions = await client.getLatestVersions(name);
      const latest = versions.reduce<ModelVersion | undefined>(
        (best, v) =>
          best === undefined || Number(v.version) > Number(best.version)
            ? v
            : best,
        undefined
      );
      if (!latest) {
        throw new CliError(
          `registered model ${name} has no versions on ${client.target.host}`
        );
      }
      return latest;
    }
  }
}

export async function download(context: Context): Promise<void> {
  const uri = parseModelUri(context.arg('uri'));
  const dir = context.arg('dir');
  const client = await context.client(uri.profile);
  const version = await resolveVersion(client, uri);
  if (version.status !== 'READY') {
    throw new VersionNotReadyError(
      uri.name,
      version.version,
      version.status,
      version.status_message
    );
  }
  const files = await client.listVersionFiles(uri.name, version.version);
  // Every path is checked before anything is written.
  const destinations = files.map((file) => safeDestination(dir, file.path));
  const progress = new ProgressReporter(context.io.stderr, context.now);
  for (const [index, file] of files.entries()) {
    await downloadFile(
      file,
      destinations[index] as string,
      progress.start(file.path, file.size)
    );
  }
  if (context.invocation.global.json) {
    context.printJson({
      model_version: version,
      files: files.map((f, i) => ({
        path: f.path,
        size: f.size,
        sha256: f.sha256,
        local_path: destinations[i],
      })),
    });
    return;
  }
  const total = files.reduce((sum, f) => sum + f.size, 0);
  context.print(
    `${uri.name} version ${version.version}: ${files.length} file${files.length === 1 ? '' : 's'} (${formatBytes(total)}) verified in ${dir}`
  );
}
