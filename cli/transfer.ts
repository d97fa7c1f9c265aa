/**
 * Moving bytes between local files and presigned storage URLs, streamed:
 * no file (or part) is ever held in memory whole. Multipart uploads send up
 * to {@link PART_CONCURRENCY} parts at once, each read from its own byte
 * range of the file.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  getPresigned,
  putPresigned,
  StorageError,
  type UploadTarget,
  type VersionFile,
} from './client.ts';
import { ChecksumMismatchError, CliError } from './errors.ts';
import type { LocalFile } from './files.ts';
import type { FileProgress } from './progress.ts';

export const PART_CONCURRENCY = 4;
/** Attempts per PUT or part; only network errors and 5xx are retried. */
const TRANSFER_ATTEMPTS = 3;
const READ_CHUNK = 1024 * 1024;

/**
 * Runs `task` for every item with at most `limit` in flight. The first
 * failure aborts the shared signal (so running tasks can stop early), lets
 * no new task start, and is what the returned promise rejects with.
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, signal: AbortSignal) => Promise<R>
): Promise<R[]> {
  const controller = new AbortController();
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await task(items[index] as T, controller.signal);
      } catch (error) {
        failure ??= { error };
        controller.abort();
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, worker)
  );
  if (failure) throw failure.error;
  return results;
}

/** A byte range of a file as a stream, counting bytes as they are read. */
function fileStream(
  path: string,
  start: number,
  end: number,
  onBytes: (n: number) => void
): Readable {
  if (end <= start) return Readable.from([]);
  // createReadStream's `end` is inclusive.
  const source = createReadStream(path, {
    start,
    end: end - 1,
    highWaterMark: READ_CHUNK,
  });
  // Listening to 'data' beside the pipe sees every chunk the pipe sends;
  // the pipe's backpressure pauses both.
  source.on('data', (chunk) => onBytes(chunk.length));
  return source;
}

/** One PUT with retries; bytes of a failed attempt are taken back from progress. */
async function putRange(
  url: string,
  file: LocalFile,
  start: number,
  end: number,
  progress: FileProgress,
  signal?: AbortSignal
): Promise<string | undefined> {
  for (let attempt = 1; ; attempt++) {
    let sent = 0;
    const body = fileStream(file.absolutePath, start, end, (n) => {
      sent += n;
      progress.add(n);
    });
    try {
      return await putPresigned(url, body, end - start, signal);
    } catch (error) {
      progress.add(-sent);
      if (
        signal?.aborted ||
        !(error instanceof StorageError && error.retryable) ||
        attempt >= TRANSFER_ATTEMPTS
      ) {
        throw error;
      }
      await new Promise((r) => setTimeout(r, 100 * 2 ** (attempt - 1)));
    }
  }
}

/**
 * Uploads one file to where the session says.
 * @returns the ETags of a multipart upload's parts, in part order.
 * @throws StorageError when storage refuses a PUT; CliError when the plan
 *   does not cover the file.
 */
export async function uploadFile(
  file: LocalFile,
  target: UploadTarget,
  progress: FileProgress,
  signal?: AbortSignal
): Promise<{ parts?: { partNumber: number; etag: string }[] }> {
  try {
    if (target.kind === 'single') {
      await putRange(target.url, file, 0, file.size, progress, signal);
      progress.done();
      return {};
    }
    const parts = [...target.parts].sort((a, b) => a.partNumber - b.partNumber);
    const expected = Math.max(1, Math.ceil(file.size / target.partSize));
    if (
      target.partSize <= 0 ||
      parts.length !== expected ||
      parts.some((part, index) => part.partNumber !== index + 1)
    ) {
      throw new CliError(
        `the registry planned ${parts.length} parts of ${target.partSize} bytes for ${file.path} (${file.size} bytes); expected ${expected}`
      );
    }
    const etags = await mapWithConcurrency(
      parts,
      PART_CONCURRENCY,
      async (part, partSignal) => {
        const start = (part.partNumber - 1) * target.partSize;
        const end = Math.min(start + target.partSize, file.size);
        const etag = await putRange(
          part.url,
          file,
          start,
          end,
          progress,
          signal ? AbortSignal.any([signal, partSignal]) : partSignal
        );
        if (!etag) {
          throw new StorageError(
            `storage sent no ETag for part ${part.partNumber} of ${file.path}`,
            undefined
          );
        }
        return { partNumber: part.partNumber, etag };
      }
    );
    progress.done();
    return { parts: etags };
  } catch (error) {
    progress.fail();
    if (error instanceof StorageError) {
      throw new StorageError(
        `upload of ${file.path} failed: ${error.message}`,
        error.status,
        { cause: error }
      );
    }
    throw error;
  }
}

/**
 * Downloads one listed file to `destination`, hashing as it streams. The
 * bytes land in a temporary file beside it that is renamed into place only
 * once size and SHA-256 match, so a bad or partial download never sits under
 * the real name.
 * @throws ChecksumMismatchError (the temporary file removed), StorageError.
 */
export async function downloadFile(
  file: VersionFile,
  destination: string,
  progress: FileProgress,
  signal?: AbortSignal
): Promise<void> {
  await mkdir(dirname(destination), { recursive: true });
  const partial = `${destination}.stagegate-partial`;
  const hash = createHash('sha256');
  let size = 0;
  try {
    const { body } = await getPresigned(file.url, signal);
    await pipeline(
      body,
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          hash.update(chunk);
          size += chunk.length;
          progress.add(chunk.length);
          yield chunk;
        }
      },
      createWriteStream(partial),
      { signal: signal ?? new AbortController().signal }
    );
    const actual = hash.digest('hex');
    if (size !== file.size || actual !== file.sha256) {
      throw new ChecksumMismatchError(
        file.path,
        file.sha256,
        size !== file.size
          ? `${actual} over ${size} of ${file.size} bytes`
          : actual
      );
    }
    await rename(partial, destination);
    progress.done();
  } catch (error) {
    progress.fail();
    await rm(partial, { force: true });
    if (error instanceof StorageError) {
      throw new StorageError(
        `download of ${file.path} failed: ${error.message}`,
        error.status,
        { cause: error }
      );
    }
    throw error;
  }
}
