/**
 * `register <model> <dir>`: the upload session flow of the artifact API.
 *
 *   walk + hash ─▶ uploads/create ─▶ PUT each file (parts 4 at a time)
 *     ─▶ uploads/complete ─▶ model-versions/create (PENDING_REGISTRATION)
 *     ─▶ poll model-versions/get until READY | FAILED_REGISTRATION
 *
 * The registry never sees the bytes: they go straight to presigned URLs.
 */
import {
  ApiError,
  type ModelVersion,
  ProtocolError,
  type RegistryClient,
  StorageError,
  type UploadedFile,
} from '../client.ts';
import { CliError, InterruptedError, UsageError } from '../errors.ts';
import { type LocalFile, sha256File, walkDirectory } from '../files.ts';
import type { Context } from '../main.ts';
import { formatBytes, ProgressReporter } from '../progress.ts';
import { uploadFile } from '../transfer.ts';

const DEFAULT_WAIT_SECONDS = 600;
const FIRST_POLL_MS = 500;
const MAX_POLL_MS = 5_000;

/**
 * Creates the model unless it exists; a concurrent create is fine too.
 * @returns whether this call created it.
 */
export async function ensureModel(
  client: RegistryClient,
  name: string
): Promise<boolean> {
  try {
    await client.getRegisteredModel(name);
    return false;
  } catch (error) {
    if (
      !(
        error instanceof ApiError &&
        error.errorCode === 'RESOURCE_DOES_NOT_EXIST'
      )
    ) {
      throw error;
    }
  }
  try {
    await client.createRegisteredModel(name);
    return true;
  } catch (error) {
    if (
      !(
        error instanceof ApiError &&
        error.errorCode === 'RESOURCE_ALREADY_EXISTS'
      )
    ) {
      throw error;
    }
    return false;
  }
}

/**
 * Polls until the version leaves PENDING_REGISTRATION or the time is up,
 * backing off from 0.5 s to 5 s.
 * @returns the last state seen (still pending when the time ran out).
 */
export async function waitForRegistration(
  client: RegistryClient,
  version: ModelVersion,
  timeoutMs: number,
  clock: { sleep(ms: number): Promise<void>; now(): number }
): Promise<ModelVersion> {
  const deadline = clock.now() + timeoutMs;
  let current = version;
  let interval = FIRST_POLL_MS;
  while (current.status === 'PENDING_REGISTRATION') {
    const left = deadline - clock.now();
    if (left <= 0) break;
    await clock.sleep(Math.min(interval, left));
    interval = Math.min(interval * 1.5, MAX_POLL_MS);
    current = await client.getModelVersion(current.name, current.version);
  }
  return current;
}

/** S3 answers 403 for an expired presigned URL; say when they expired. */
function withExpiryHint(error: unknown, expiresAt: string | undefined) {
  if (error instanceof StorageError && error.status === 403 && expiresAt) {
    return new StorageError(
      `${error.message} (the upload session's URLs expire at ${expiresAt})`,
      403,
      { cause: error }
    );
  }
  return error;
}

function waitTimeoutMs(context: Context): number {
  const raw = context.option('wait-timeout');
  if (raw === undefined) return DEFAULT_WAIT_SECONDS * 1000;
  if (!/^\d+$/.test(raw)) {
    throw new UsageError(
      `--wait-timeout takes whole seconds, not '${raw}'`,
      'register'
    );
  }
  return Number(raw) * 1000;
}

export async function register(context: Context): Promise<void> {
  const model = context.arg('model');
  const dir = context.arg('dir');
  const timeoutMs = waitTimeoutMs(context);
  const files = await walkDirectory(dir);
  if (files.length === 0) throw new CliError(`${dir} has no files to register`);
  const client = await context.client();
  const total = files.reduce((sum, f) => sum + f.size, 0);
  context.info(
    `registering ${files.length} file${files.length === 1 ? '' : 's'} (${formatBytes(total)}) as a new version of ${model} on ${client.target.host}`
  );
  const createdModel = await ensureModel(client, model).catch(
    (error: unknown) => {
      if (context.signal?.aborted) {
        throw new InterruptedError('interrupted; nothing was registered', {
          cause: error,
        });
      }
      throw error;
    }
  );
  const leftBehind = createdModel
    ? `model ${model} was created and has no new version`
    : 'no version was created';
  const session = await uploadAll(context, client, model, files, total).catch(
    (error: unknown) => {
      if (context.signal?.aborted) {
        throw new InterruptedError(
          `interrupted; ${leftBehind} (the registry removes the files uploaded so far)`,
          { cause: error }
        );
      }
      throw error;
    }
  );
  const { source } = await client.completeUpload(
    session.uploadId,
    session.uploaded
  );
  context.checkInterrupt(
    `${leftBehind} (the registry removes the uploaded files)`
  );
  const created = await client.createModelVersion({
    name: model,
    source,
    description: context.option('description'),
  });
  context.info(
    `created version ${created.version} of ${model}${timeoutMs > 0 ? '; waiting for READY' : ''}`
  );
  let version = created;
  if (timeoutMs > 0) {
    try {
      version = await waitForRegistration(client, created, timeoutMs, context);
    } catch (error) {
      if (context.signal?.aborted) {
        throw new InterruptedError(
          `interrupted while waiting; version ${created.version} of ${model} goes on registering without this command (stagegate versions show ${model} ${created.version})`,
          { cause: error }
        );
      }
      throw error;
    }
  }

  if (version.status === 'FAILED_REGISTRATION') {
    throw new CliError(
      `version ${version.version} of ${model} failed to register (FAILED_REGISTRATION): ${version.status_message || 'no reason given'}`
    );
  }
  if (version.status !== 'READY' && timeoutMs > 0) {
    throw new CliError(
      `version ${version.version} of ${model} is still ${version.status} after ${timeoutMs / 1000} s; follow it with stagegate versions show ${model} ${version.version}`
    );
  }
  if (context.output === 'json') {
    context.printJson({ model_version: version });
    return;
  }
  context.info(`${model} version ${version.version} is ${version.status}`);
  // stdout carries only the number: VERSION=$(stagegate register m ./model)
  context.print(version.version);
}

/**
 * Hashes the files, opens the upload session and puts every file to its
 * presigned URLs, with progress over the whole transfer.
 */
async function uploadAll(
  context: Context,
  client: RegistryClient,
  model: string,
  files: readonly LocalFile[],
  total: number
): Promise<{ uploadId: string; uploaded: UploadedFile[] }> {
  // Hashed before the upload, in a pass of its own: parts go up
  // concurrently and out of order, a hash needs the bytes in order.
  const hashes = new Map<string, string>();
  for (const file of files) {
    context.checkInterrupt();
    hashes.set(file.path, await sha256File(file.absolutePath));
  }
  const session = await client.createUpload(model, files);
  const targets = new Map(session.files.map((t) => [t.path, t]));
  const progress = new ProgressReporter(context.io.stderr, context.now, {
    files: files.length,
    bytes: total,
  });
  const uploaded: UploadedFile[] = [];
  try {
    for (const file of files) {
      context.checkInterrupt();
      const target = targets.get(file.path);
      if (!target) {
        throw new ProtocolError(
          `the upload session has no URL for ${file.path}`
        );
      }
      const { parts } = await uploadFile(
        file,
        target,
        progress.start(file.path, file.size),
        context.signal
      ).catch((error: unknown) => {
        throw withExpiryHint(error, session.expiresAt);
      });
      uploaded.push({
        path: file.path,
        size: file.size,
        sha256: hashes.get(file.path) ?? '',
        ...(parts ? { parts } : {}),
      });
    }
  } finally {
    progress.finish();
  }
  return { uploadId: session.uploadId, uploaded };
}
