import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StorageError, type UploadTarget } from '../../../cli/client.ts';
import { CliError } from '../../../cli/errors.ts';
import type { LocalFile } from '../../../cli/files.ts';
import type { FileProgress } from '../../../cli/progress.ts';
import {
  mapWithConcurrency,
  PART_CONCURRENCY,
  uploadFile,
} from '../../../cli/transfer.ts';
import {
  FakeRegistry,
  type FakeRegistryOptions,
} from './support/fake-registry.ts';

const KiB = 1024;
const PART = 256 * KiB;

let dir: string;
let storage: FakeRegistry;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stagegate-cli-transfer-'));
});

afterEach(async () => {
  await storage?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function startStorage(options: FakeRegistryOptions = {}) {
  storage = await new FakeRegistry(options).start();
  return storage;
}

function localFile(path: string, bytes: Buffer): LocalFile {
  const absolutePath = join(dir, path);
  writeFileSync(absolutePath, bytes);
  return { path, absolutePath, size: bytes.length };
}

function recordingProgress() {
  const events = { bytes: 0, done: 0, failed: 0 };
  const progress: FileProgress = {
    add: (n) => {
      events.bytes += n;
    },
    done: () => {
      events.done++;
    },
    fail: () => {
      events.failed++;
    },
  };
  return { events, progress };
}

function multipartTarget(path: string, size: number): UploadTarget {
  const count = Math.ceil(size / PART);
  return {
    kind: 'multipart',
    path,
    multipartUploadId: 'mp1',
    partSize: PART,
    parts: Array.from({ length: count }, (_, i) => ({
      partNumber: i + 1,
      url: `${storage.url}/storage/u1/${path}?partNumber=${i + 1}&X-Amz-Signature=s`,
    })),
  };
}

describe('mapWithConcurrency', () => {
  it('keeps at most the limit in flight and returns results in order', async () => {
    // Prepare
    let running = 0;
    let peak = 0;

    // Act
    const results = await mapWithConcurrency(
      [...Array(10).keys()],
      3,
      async (n) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        return n * 2;
      }
    );

    // Assess
    expect(results).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    expect(peak).toBe(3);
  });

  it('rejects with the first failure, aborts the others and starts no more', async () => {
    // Prepare
    const started: number[] = [];
    const aborted: number[] = [];

    // Act
    const result = mapWithConcurrency(
      [...Array(10).keys()],
      2,
      async (n, signal) => {
        started.push(n);
        if (n === 1) throw new Error('part 1 failed');
        await new Promise((r) => setTimeout(r, 20));
        if (signal.aborted) aborted.push(n);
        return n;
      }
    );

    // Assess
    await expect(result).rejects.toThrow('part 1 failed');
    expect(started).toEqual([0, 1]);
    expect(aborted).toEqual([0]);
  });
});

describe('uploadFile', () => {
  it('puts a small file in one request with its length and without the registry token', async () => {
    // Prepare
    await startStorage();
    const bytes = randomBytes(10 * KiB);
    const file = localFile('MLmodel', bytes);
    const { events, progress } = recordingProgress();

    // Act
    const result = await uploadFile(
      file,
      {
        kind: 'single',
        path: 'MLmodel',
        url: `${storage.url}/storage/u1/MLmodel?X-Amz-Signature=s`,
      },
      progress
    );

    // Assess
    expect(result).toEqual({});
    expect(storage.objects.get('u1/MLmodel')?.equals(bytes)).toBe(true);
    const [put] = storage.storageRequests;
    expect(put?.headers['content-length']).toBe(String(bytes.length));
    expect(put?.headers['transfer-encoding']).toBeUndefined();
    expect(put?.headers.authorization).toBeUndefined();
    expect(events).toEqual({ bytes: bytes.length, done: 1, failed: 0 });
  });

  it(`streams multipart ranges at most ${PART_CONCURRENCY} at a time and returns their ETags in order`, async () => {
    // Prepare: 10 parts, the last one short
    await startStorage({ putDelayMs: 30 });
    const bytes = randomBytes(9 * PART + 1234);
    const file = localFile('weights.bin', bytes);
    const { events, progress } = recordingProgress();

    // Act
    const result = await uploadFile(
      file,
      multipartTarget('weights.bin', bytes.length),
      progress
    );

    // Assess
    expect(storage.maxConcurrentPuts).toBe(PART_CONCURRENCY);
    expect(result.parts?.map((p) => p.partNumber)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
    for (let n = 1; n <= 10; n++) {
      const range = bytes.subarray(
        (n - 1) * PART,
        Math.min(n * PART, bytes.length)
      );
      expect(storage.objects.get(`u1/weights.bin#${n}`)?.equals(range)).toBe(
        true
      );
      expect(result.parts?.[n - 1]?.etag).toMatch(/^"[0-9a-f]{32}"$/);
    }
    expect(
      storage.storageRequests.every(
        (r) => r.headers.authorization === undefined
      )
    ).toBe(true);
    expect(events).toEqual({ bytes: bytes.length, done: 1, failed: 0 });
  });

  it('retries a part that storage failed with 500, counting its bytes once', async () => {
    // Prepare
    await startStorage({ failingPuts: 1 });
    const bytes = randomBytes(2 * PART);
    const file = localFile('w.bin', bytes);
    const { events, progress } = recordingProgress();

    // Act
    await uploadFile(file, multipartTarget('w.bin', bytes.length), progress);

    // Assess
    expect(storage.storageRequests).toHaveLength(3);
    const stored = [1, 2].map(
      (n) => storage.objects.get(`u1/w.bin#${n}`) ?? Buffer.alloc(0)
    );
    expect(Buffer.concat(stored).equals(bytes)).toBe(true);
    expect(events.bytes).toBe(bytes.length);
  });

  it('does not retry an expired URL and reports S3s reason without the URL', async () => {
    // Prepare
    await startStorage({ expiredUrls: true });
    const file = localFile('w.bin', randomBytes(KiB));
    const { events, progress } = recordingProgress();

    // Act
    const result = uploadFile(
      file,
      {
        kind: 'single',
        path: 'w.bin',
        url: `${storage.url}/storage/u1/w.bin?X-Amz-Signature=secret`,
      },
      progress
    );

    // Assess
    await expect(result).rejects.toThrow(StorageError);
    await expect(result).rejects.toThrow(
      `upload of w.bin failed: storage at ${storage.url} answered 403 AccessDenied: Request has expired`
    );
    await expect(result).rejects.not.toThrow(/secret/);
    expect(storage.storageRequests).toHaveLength(1);
    expect(events.failed).toBe(1);
  });

  it('refuses a multipart plan that does not cover the file', async () => {
    // Prepare
    await startStorage();
    const file = localFile('w.bin', randomBytes(3 * PART));
    const plan = multipartTarget('w.bin', 2 * PART);
    const { progress } = recordingProgress();

    // Act
    const result = uploadFile(file, plan, progress);

    // Assess
    await expect(result).rejects.toThrow(CliError);
    await expect(result).rejects.toThrow(
      /planned 2 parts of 262144 bytes for w.bin \(786432 bytes\); expected 3/
    );
  });
});
