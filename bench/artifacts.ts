import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistryProcess } from '../test/support/local-process.ts';

/**
 * Artifact throughput of the local stack, for a 1 MB and a 200 MB file:
 * a plain presigned transfer (the baseline, measured in the same run:
 * `fetch` PUTs of the session's URLs, parts 4 at a time, and a `fetch` GET
 * of the version's presigned URL) against the CLI doing the same work
 * (register: walk, SHA-256, upload, server-side copy, wait for READY;
 * download: presigned GETs and the SHA-256 check). Peak memory of each CLI
 * run comes from /usr/bin/time when installed. Everything stays on
 * 127.0.0.1 and every loop is bounded.
 */
const SIZES_MIB = (process.env.BENCH_ARTIFACT_SIZES_MIB ?? '1,200')
  .split(',')
  .map(Number);
const TOKEN = `dapi${randomBytes(16).toString('hex')}`;
const TIME = '/usr/bin/time';

interface Timed {
  seconds: number;
  peakKiB?: number;
}

async function api<T>(
  host: string,
  method: string,
  path: string,
  body?: unknown
) {
  const response = await fetch(`${host}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

function cli(args: string[], home: string, host: string): Promise<Timed> {
  const measured = existsSync(TIME);
  const command = measured ? TIME : process.execPath;
  const argv = measured
    ? ['-f', '%M', process.execPath, 'cli/stagegate.ts', ...args]
    : ['cli/stagegate.ts', ...args];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, {
      env: {
        ...process.env,
        HOME: home,
        STAGEGATE_CONFIG: join(home, 'config.json'),
        STAGEGATE_HOST: host,
        STAGEGATE_TOKEN: TOKEN,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('exit', (code) => {
      if (code !== 0) {
        reject(new Error(`stagegate ${args.join(' ')} failed:\n${stderr}`));
        return;
      }
      const last = stderr.trim().split('\n').at(-1) ?? '';
      resolve({
        seconds: (performance.now() - started) / 1000,
        ...(measured && /^\d+$/.test(last) ? { peakKiB: Number(last) } : {}),
      });
    });
  });
}

interface Session {
  files: {
    url?: string;
    part_size?: number;
    parts?: { part_number: number; url: string }[];
  }[];
}

/**
 * Plain presigned upload for a version of model `name` (created here; the
 * CLI then finds it): the session's URLs, parts 4 at a time.
 */
async function rawUpload(
  host: string,
  name: string,
  bytes: Buffer
): Promise<number> {
  await api(host, 'POST', '/api/2.0/mlflow/registered-models/create', {
    name,
  });
  const session = await api<Session>(
    host,
    'POST',
    '/api/2.0/stagegate/uploads/create',
    {
      name,
      files: [{ path: 'raw.bin', size: bytes.length }],
    }
  );
  const file = session.files[0];
  if (!file) throw new Error('no file in the session');
  const started = performance.now();
  if (file.url) {
    const response = await fetch(file.url, { method: 'PUT', body: bytes });
    if (!response.ok) throw new Error(`PUT: HTTP ${response.status}`);
  } else {
    const parts = [...(file.parts ?? [])];
    const size = file.part_size ?? bytes.length;
    const worker = async () => {
      for (let part = parts.shift(); part; part = parts.shift()) {
        const start = (part.part_number - 1) * size;
        const response = await fetch(part.url, {
          method: 'PUT',
          body: bytes.subarray(start, start + size),
        });
        if (!response.ok) throw new Error(`part: HTTP ${response.status}`);
        await response.arrayBuffer();
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
  }
  return (performance.now() - started) / 1000;
}

/** Plain presigned download of a registered file, body consumed. */
async function rawDownload(host: string, name: string, path: string) {
  const listed = await api<{ files: { path: string; url: string }[] }>(
    host,
    'GET',
    `/api/2.0/stagegate/model-versions/files?name=${encodeURIComponent(name)}&version=1`
  );
  const url = listed.files.find((f) => f.path === path)?.url;
  if (!url) throw new Error(`no URL for ${path}`);
  const started = performance.now();
  const response = await fetch(url);
  await response.arrayBuffer();
  return (performance.now() - started) / 1000;
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'stagegate-bench-art-'));
  const registry = await startRegistryProcess({
    dataDir: join(work, 'data'),
    adminToken: TOKEN,
    env: { STAGEGATE_DEBUG_ENDPOINTS: 'true' },
  });
  const rows: string[] = [];
  const mib = (b: number) => b / 1024 / 1024;
  const row = (
    size: number,
    label: string,
    t: Timed,
    bytes: number,
    raw?: number
  ) =>
    rows.push(
      `${`${size} MiB`.padStart(8)}  ${label.padEnd(34)} ${t.seconds.toFixed(3).padStart(7)} ${(mib(bytes) / t.seconds).toFixed(1).padStart(7)} ${raw ? `×${(t.seconds / raw).toFixed(2)}`.padStart(7) : '       '} ${t.peakKiB ? `${(t.peakKiB / 1024).toFixed(0)} MB` : ''}`
    );
  try {
    for (const size of SIZES_MIB) {
      const bytes = randomBytes(size * 1024 * 1024);
      const model = join(work, `model-${size}`);
      mkdirSync(model);
      writeFileSync(join(model, 'weights.bin'), bytes);
      const name = `bench-art-${size}`;
      const rawUp = await rawUpload(registry.url, name, bytes);
      const register = await cli(['register', name, model], work, registry.url);
      const rawDown = await rawDownload(registry.url, name, 'weights.bin');
      const download = await cli(
        ['download', `models:/${name}/1`, join(work, `out-${size}`)],
        work,
        registry.url
      );
      row(
        size,
        'baseline: presigned PUT (fetch)',
        { seconds: rawUp },
        bytes.length
      );
      row(
        size,
        'stagegate register (until READY)',
        register,
        bytes.length,
        rawUp
      );
      row(
        size,
        'baseline: presigned GET (fetch)',
        { seconds: rawDown },
        bytes.length
      );
      row(
        size,
        'stagegate download (SHA-256 check)',
        download,
        bytes.length,
        rawDown
      );
    }
    const traffic = (await (
      await fetch(`${registry.url}/__stagegate/gateway-traffic`)
    ).json()) as {
      routes: Record<string, { requestBytes: number; responseBytes: number }>;
    };
    const registryBytes = Object.values(traffic.routes).reduce(
      (sum, r) => sum + r.requestBytes + r.responseBytes,
      0
    );
    console.log(`\nlocal stack, ${new Date().toISOString()}\n`);
    console.log(
      '    size  transfer                            seconds   MiB/s  vs raw peak RSS'
    );
    for (const line of rows) console.log(line);
    console.log(
      `\nbytes through the registry's own routes: ${registryBytes} (all CLI and baseline transfers together)`
    );
  } finally {
    registry.child.kill('SIGTERM');
    await registry.exited;
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
