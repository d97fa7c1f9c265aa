/**
 * `register <model> <dir>`: the upload session flow of the artifact API.
 *
 *   walk + hash ─▶ uploads/create ─▶ PUT each file (parts 4 at a time;
 *     URLs about to expire signed again with uploads/sign)
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
import { CliError, UsageError } from '../errors.ts';
import { sha256File, walkDirectory } from '../files.ts';
import type { Context } from '../main.ts';
import { formatBytes, ProgressReporter } from '../progress.ts';
import { uploadFile } from '../transfer.ts';
import { UploadUrls } from '../upload-urls.ts';

const DEFAULT_WAIT_SECONDS = 600;
const FIRST_POLL_MS = 500;
const MAX_POLL_MS = 5_000;

/** Creates the model unless it exists; a concurrent create is fine too. */
export async function ensureModel(
  client: RegistryClient,
  name: string
): Promise<void> {
  try {
    await client.getRegisteredModel(name);
    return;
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
  } catch (error) {
    if (
      !(
        error instanceof ApiError &&
        error.errorCode === 'RESOURCE_ALREADY_EXISTS'
      )
    ) {
      throw error;
    }
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
  await ensureModel(client, model);

  // Hashed before the upload, in a pass of its own: parts go up
  // concurrently and out of order, a hash needs the bytes in order.
  const hashes = new Map<string, string>();
  for (const file of files) {
    hashes.set(file.path, await sha256File(file.absolutePath));
  }

  const session = await client.createUpload(model, files);
  const targets = new Map(session.files.map((t) => [t.path, t]));
  // However long the upload takes: URLs about to expire are signed again.
  const urls = new UploadUrls({ client, session, now: () => context.now() });
  const progress = new ProgressReporter(context.io.stderr, context.now);
  const uploaded: UploadedFile[] = [];
  for (const file of files) {
    const target = targets.get(file.path);
    if (!target) {
      throw new ProtocolError(`the upload session has no URL for ${file.path}`);
    }
    const { parts } = await uploadFile(
      file,
      target,
      progress.start(file.path, file.size),
      urls
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
  const { source } = await client.completeUpload(session.uploadId, uploaded);
  const created = await client.createModelVersion({
    name: model,
    source,
    description: context.option('description'),
  });
  context.info(
    `created version ${created.version} of ${model}${timeoutMs > 0 ? '; waiting for READY' : ''}`
  );
  const version =
    timeoutMs > 0
      ? await waitForRegistration(client, created, timeoutMs, context)
      : created;

  if (version.status === 'FAILED_REGISTRATION') {
    throw new CliError(
      `version ${version.version} of ${model} failed to register (FAILED_REGISTRATION): ${version.status_message || 'no reason given'}`
    );
  }
  if (version.status !== 'READY' && timeoutMs > 0) {
    throw new CliError(
      `version ${version.version} of ${model} is still ${version.status} after ${timeoutMs / 1000} s; follow it with stagegate versions list ${model}`
    );
  }
  if (context.invocation.global.json) {
    context.printJson({ model_version: version });
    return;
  }
  context.info(`${model} version ${version.version} is ${version.status}`);
  // stdout carries only the number: VERSION=$(stagegate register m ./model)
  context.print(version.version);
}
