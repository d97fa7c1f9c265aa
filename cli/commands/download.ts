/**
 * `download models:/<name>/<version|stage|latest> <dir>`: resolves the URI
 * to one version, refuses versions that are not READY, then streams each
 * listed file from its presigned URL, verifying its SHA-256.
 */

import { lstat } from 'node:fs/promises';
import { relative } from 'node:path';
import type { ModelVersion, RegistryClient } from '../client.ts';
import { CliError, InterruptedError, VersionNotReadyError } from '../errors.ts';
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

/** The destinations that exist already (files, or anything in the way). */
async function existing(destinations: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const destination of destinations) {
    if (await lstat(destination).catch(() => undefined)) {
      found.push(destination);
    }
  }
  return found;
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
  if (!context.flag('force')) {
    const there = await existing(destinations);
    if (there.length > 0) {
      const shown = there.slice(0, 3).map((path) => relative(dir, path));
      throw new CliError(
        `${dir} already has ${there.length} of the version's files (${shown.join(', ')}${there.length > 3 ? ', …' : ''}); nothing was downloaded. --force overwrites them`
      );
    }
  }
  const total = files.reduce((sum, f) => sum + f.size, 0);
  const progress = new ProgressReporter(context.io.stderr, context.now, {
    files: files.length,
    bytes: total,
  });
  let downloaded = 0;
  try {
    for (const [index, file] of files.entries()) {
      context.checkInterrupt();
      await downloadFile(
        file,
        destinations[index] as string,
        progress.start(file.path, file.size),
        context.signal
      );
      downloaded++;
    }
  } catch (error) {
    progress.finish();
    if (context.signal?.aborted) {
      throw new InterruptedError(
        `interrupted; the partly downloaded file was removed, ${downloaded} of ${files.length} files are complete in ${dir}`,
        { cause: error }
      );
    }
    throw error;
  }
  progress.finish();
  context.emit(
    {
      model_version: version,
      files: files.map((f, i) => ({
        path: f.path,
        size: f.size,
        sha256: f.sha256,
        local_path: destinations[i],
      })),
    },
    () =>
      `${uri.name} version ${version.version}: ${files.length} file${files.length === 1 ? '' : 's'} (${formatBytes(total)}) verified in ${dir}`
  );
}
