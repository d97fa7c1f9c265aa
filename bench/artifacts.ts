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
 * Artifact transfer through the CLI (register: walk, hash, presigned
 * multipart upload, server-side copy, wait for READY; download: presigned
 * GETs, hash check), against a baseline measured in the same run: one raw
 * presigned PUT of the same size straight to the S3 server with `fetch`.
 * Peak memory of each CLI run comes from /usr/bin/time when present.
 * Everything stays on 127.0.0.1.
 */
const SIZE_MIB = Number(process.env.BENCH_ARTIFACT_MIB ?? '100');
const TOKEN = `dapi${randomBytes(16).toString('hex')}`;
const TIME = '/usr/bin/time';

interface Run {
  seconds: number;
  peakKiB?: number;
  code: number | null;
  stderr: string;
}

function cli(args: string[], home: string, host: string): Promise<Run> {
  const measured = existsSync(TIME);
  const command = measured ? TIME : process.execPath;
  const argv = measured
    ? ['-f', '%M', process.execPath, 'cli/stagegate.ts', ...args]
    : ['cli/stagegate.ts', ...args];
  const started = performance.now();
  return new Promise((resolve) => {
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
      const last = stderr.trim().split('\n').at(-1) ?? '';
      resolve({
        seconds: (performance.now() - started) / 1000,
        ...(measured && /^\d+$/.test(last) ? { peakKiB: Number(last) } : {}),
        code,
        stderr,
      });
    });
  });
}

async function rawPut(host: string, bytes: Buffer): Promise<number> {
  const session = (await (
    await fetch(`${host}/api/2.0/stagegate/uploads/create`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${TOKEN}`,
        'content-type': 'application/json',
      },
      // Below the multipart threshold: one presigned PUT.
      body: JSON.stringify({
        files: [{ path: 'raw.bin', size: bytes.length }],
      }),
    })
  ).json()) as { files: { url: string }[] };
  const url = session.files[0]?.url;
  if (!url) throw new Error('no presigned URL');
  const started = performance.now();
  const response = await fetch(url, { method: 'PUT', body: bytes });
  if (!response.ok) throw new Error(`raw PUT: HTTP ${response.status}`);
  return (performance.now() - started) / 1000;
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'stagegate-bench-art-'));
  const registry = await startRegistryProcess({
    dataDir: join(work, 'data'),
    adminToken: TOKEN,
    env: { STAGEGATE_DEBUG_ENDPOINTS: 'true' },
  });
  try {
    const model = join(work, 'model');
    mkdirSync(model);
    writeFileSync(join(model, 'MLmodel'), 'flavors: {}\n');
    const bytes = randomBytes(SIZE_MIB * 1024 * 1024);
    writeFileSync(join(model, 'weights.bin'), bytes);
    // The baseline PUT stays under 64 MiB, the multipart threshold.
    const rawBytes = bytes.subarray(
      0,
      Math.min(bytes.length, 60 * 1024 * 1024)
    );
    const rawSeconds = await rawPut(registry.url, rawBytes);
    const register = await cli(
      ['register', 'bench-art', model],
      work,
      registry.url
    );
    const download = await cli(
      ['download', 'models:/bench-art/1', join(work, 'out')],
      work,
      registry.url
    );
    if (register.code !== 0 || download.code !== 0) {
      throw new Error(`CLI failed:\n${register.stderr}\n${download.stderr}`);
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
    const mib = (b: number) => b / 1024 / 1024;
    const rate = (b: number, s: number) => (mib(b) / s).toFixed(0).padStart(6);
    const baseline = mib(rawBytes.length) / rawSeconds;
    console.log(
      `\n${SIZE_MIB} MiB model, local stack, ${new Date().toISOString()}\n`
    );
    console.log(
      'transfer                               seconds  MiB/s  × raw  peak RSS'
    );
    console.log(
      `baseline: raw presigned PUT (${mib(rawBytes.length).toFixed(0)} MiB)      ${rawSeconds.toFixed(2).padStart(5)} ${rate(rawBytes.length, rawSeconds)}    1.0         -`
    );
    for (const [label, run] of [
      ['stagegate register (until READY)', register],
      ['stagegate download (sha256 checked)', download],
    ] as const) {
      const speed = mib(bytes.length) / run.seconds;
      console.log(
        `${label.padEnd(38)} ${run.seconds.toFixed(2).padStart(5)} ${rate(bytes.length, run.seconds)} ${(speed / baseline).toFixed(2).padStart(6)} ${run.peakKiB ? `${(run.peakKiB / 1024).toFixed(0)} MB` : 'n/a'}`
      );
    }
    console.log(
      `\nbytes through the registry's own routes: ${registryBytes} (${((registryBytes / bytes.length / 2) * 100).toFixed(4)} % of the bytes moved)`
    );
  } finally {
    registry.child.kill('SIGTERM');
    await registry.exited;
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
