import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import { startRegistryProcess } from '../test/support/local-process.ts';

/**
 * Time to register and to load a model of about 100 MB on the local stack,
 * two ways:
 * - the MLflow client's remote-registry path: `dbfs/list`, one
 *   `POST /dbfs/...` per file (the temporary copy), `model-versions/create`
 *   with the `dbfs:` source, `model-versions/get` until READY; loading:
 *   `get-latest-versions`, `list-artifacts` recursively,
 *   `get-signed-download-uri` and a GET per file — the requests the client
 *   sends, replayed with `fetch` (no Python here), downloads streamed to
 *   disk;
 * - the `stagegate` CLI: `register` (presigned multipart upload, server-side
 *   copy, wait for READY) and `download` (presigned GETs, SHA-256 check).
 * Readiness is polled every 100 ms (the MLflow client polls every 3 s, so
 * it waits up to 3 s longer). Both loads are checked byte for byte.
 */
const SIZE_MIB = Number(process.env.BENCH_REMOTE_SIZE_MIB ?? '100');
const ROUNDS = Number(process.env.BENCH_REMOTE_ROUNDS ?? '3');
const TOKEN = `dapi${randomBytes(16).toString('hex')}`;
const AREA = '/databricks/mlflow/tmp-external-source';
const MLFLOW = '/api/2.0/mlflow';

async function api<T>(
  host: string,
  method: string,
  path: string,
  body?: unknown
): Promise<T> {
  const response = await fetch(`${host}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) {
    throw new Error(
      `${method} ${path}: HTTP ${response.status} ${await response.text()}`
    );
  }
  return (await response.json()) as T;
}

/** A model directory as MLflow logs one: small files and one large one. */
function writeModel(root: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>([
    ['MLmodel', Buffer.from('artifact_path: model\nflavors: {}\n')],
    ['requirements.txt', Buffer.from('mlflow==2.17.2\n')],
    ['conda.yaml', Buffer.from('dependencies: [python=3.11]\n')],
    ['data/model.pkl', randomBytes(SIZE_MIB * 1024 * 1024)],
  ]);
  for (const [path, bytes] of files) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), bytes);
  }
  return files;
}

function filesUnder(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((entry) => statSync(join(root, entry)).isFile())
    .map((entry) => relative(root, join(root, entry)));
}

async function waitReady(host: string, name: string): Promise<void> {
  for (let attempt = 0; attempt < 6000; attempt += 1) {
    const got = await api<{ model_version: { status: string } }>(
      host,
      'GET',
      `${MLFLOW}/model-versions/get?name=${encodeURIComponent(name)}&version=1`
    );
    if (got.model_version.status === 'READY') return;
    if (got.model_version.status !== 'PENDING_REGISTRATION') {
      throw new Error(`${name}: ${got.model_version.status}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} never became READY`);
}

/** The MLflow client's registration through a temporary copy. */
async function registerThroughDbfs(
  host: string,
  name: string,
  model: string
): Promise<number> {
  await api(host, 'POST', `${MLFLOW}/registered-models/create`, { name });
  const runId = randomBytes(16).toString('hex');
  const started = performance.now();
  await fetch(`${host}/api/2.0/dbfs/list?path=${AREA}//${runId}`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  }).then((response) => response.arrayBuffer());
  for (const path of filesUnder(model)) {
    const response = await fetch(
      `${host}/dbfs${AREA}//${runId}/model/${path}`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
        body: readFileSync(join(model, path)),
      }
    );
    if (response.status !== 200) {
      throw new Error(`POST /dbfs/.../${path}: HTTP ${response.status}`);
    }
    await response.arrayBuffer();
  }
  await api(host, 'POST', `${MLFLOW}/model-versions/create`, {
    name,
    source: `dbfs:${AREA}/${runId}/model`,
    run_id: runId,
  });
  await waitReady(host, name);
  return (performance.now() - started) / 1000;
}

interface Entry {
  path: string;
  is_dir: boolean;
}

async function listRecursively(
  host: string,
  name: string,
  path: string
): Promise<string[]> {
  const found: string[] = [];
  let pageToken: string | undefined;
  do {
    const query = new URLSearchParams({ name, version: '1', path });
    if (pageToken) query.set('page_token', pageToken);
    const page = await api<{ files?: Entry[]; next_page_token?: string }>(
      host,
      'GET',
      `${MLFLOW}/model-versions/list-artifacts?${query}`
    );
    for (const entry of page.files ?? []) {
      if (entry.is_dir) {
        found.push(...(await listRecursively(host, name, entry.path)));
      } else found.push(entry.path);
    }
    pageToken = page.files?.length ? page.next_page_token : undefined;
  } while (pageToken);
  return found;
}

/** The MLflow client's loading: signed download URIs, file after file. */
async function loadThroughSignedUris(
  host: string,
  name: string,
  into: string
): Promise<number> {
  const started = performance.now();
  await api(host, 'POST', `${MLFLOW}/registered-models/get-latest-versions`, {
    name,
    stages: ['None'],
  });
  for (const path of await listRecursively(host, name, '')) {
    const query = new URLSearchParams({ name, version: '1', path });
    const signed = await api<{
      signed_uri: string;
      headers?: { name: string; value: string }[];
    }>(
      host,
      'GET',
      `${MLFLOW}/model-versions/get-signed-download-uri?${query}`
    );
    const response = await fetch(signed.signed_uri, {
      headers: Object.fromEntries(
        (signed.headers ?? []).map((header) => [header.name, header.value])
      ),
    });
    if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status}`);
    mkdirSync(dirname(join(into, path)), { recursive: true });
    // Streamed to disk, as the client's download writes chunk by chunk.
    await pipeline(
      Readable.fromWeb(response.body as ReadableStream<Uint8Array>),
      createWriteStream(join(into, path))
    );
  }
  return (performance.now() - started) / 1000;
}

function cli(args: string[], home: string, host: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['cli/stagegate.ts', ...args], {
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
      if (code === 0) resolve((performance.now() - started) / 1000);
      else reject(new Error(`stagegate ${args.join(' ')}:\n${stderr}`));
    });
  });
}

function sha(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The loaded directory holds exactly the model's files, byte for byte. */
function assertSame(files: ReadonlyMap<string, Buffer>, root: string): void {
  for (const [path, bytes] of files) {
    if (sha(readFileSync(join(root, path))) !== sha(bytes)) {
      throw new Error(`${path} differs after loading from ${root}`);
    }
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'stagegate-bench-remote-'));
  const registry = await startRegistryProcess({
    dataDir: join(work, 'data'),
    adminToken: TOKEN,
  });
  const timings = {
    dbfsRegister: [] as number[],
    signedLoad: [] as number[],
    cliRegister: [] as number[],
    cliDownload: [] as number[],
  };
  try {
    const model = join(work, 'model');
    const files = writeModel(model);
    const total = [...files.values()].reduce((sum, b) => sum + b.length, 0);
    for (let round = 0; round < ROUNDS; round += 1) {
      const viaDbfs = `bench-remote-dbfs-${round}`;
      timings.dbfsRegister.push(
        await registerThroughDbfs(registry.url, viaDbfs, model)
      );
      const loaded = join(work, `loaded-${round}`);
      timings.signedLoad.push(
        await loadThroughSignedUris(registry.url, viaDbfs, loaded)
      );
      assertSame(files, loaded);

      const viaCli = `bench-remote-cli-${round}`;
      timings.cliRegister.push(
        await cli(['register', viaCli, model], work, registry.url)
      );
      const downloaded = join(work, `downloaded-${round}`);
      timings.cliDownload.push(
        await cli(
          ['download', `models:/${viaCli}/1`, downloaded],
          work,
          registry.url
        )
      );
      assertSame(files, downloaded);
      rmSync(loaded, { recursive: true });
      rmSync(downloaded, { recursive: true });
    }
    const mib = total / 1024 / 1024;
    const row = (label: string, seconds: readonly number[]) =>
      `${label.padEnd(52)} ${median(seconds).toFixed(2).padStart(7)} ${(mib / median(seconds)).toFixed(1).padStart(7)}   ${seconds.map((s) => s.toFixed(2)).join(' ')}`;
    console.log(
      `\nlocal stack, ${new Date().toISOString()}: a model of ${mib.toFixed(1)} MiB (${files.size} files), ${ROUNDS} rounds\n`
    );
    console.log(
      `${'path'.padEnd(52)} ${'median s'.padStart(7)} ${'MiB/s'.padStart(7)}   each round`
    );
    console.log(
      row(
        'register: temporary copy (POST /dbfs) until READY',
        timings.dbfsRegister
      )
    );
    console.log(
      row('register: stagegate CLI until READY', timings.cliRegister)
    );
    console.log(
      row('load: list-artifacts + signed download URIs', timings.signedLoad)
    );
    console.log(
      row('load: stagegate CLI download (SHA-256 check)', timings.cliDownload)
    );
  } finally {
    registry.child.kill('SIGTERM');
    await registry.exited;
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
