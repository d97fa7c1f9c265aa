import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  keys,
  stageAttribute,
  stageBoundAttributes,
} from '#adapters/dynamodb/keys.ts';
import { toVersionItem } from '#adapters/dynamodb/model-versions.ts';
import { newModelItems } from '#adapters/dynamodb/registered-models.ts';
import { chunks, type Item } from '#adapters/dynamodb/toolkit.ts';
import { dataDirCredentials } from '#local/private-data.ts';
import { LOCAL_TABLE_NAME } from '#local/runtime.ts';
import { isRead } from '../local/dynamodb/round-trips.ts';
import { ROUND_TRIPS_PATH } from '../local/gateway.ts';
import { startRegistryProcess } from '../test/support/local-process.ts';

/**
 * The registry's hot paths through the whole local stack (gateway emulator
 * → authorizer → handler → DynamoDB Local, one process besides DynamoDB
 * Local), as an MLflow-style load loop: `CONCURRENCY` clients each sending
 * their next request as soon as the last one answered. Measured in the
 * same run, as the physical reference: a plain DynamoDB Local `GetItem`
 * loop at the same concurrency, a `BatchGetItem` of the four items a get
 * model reads, and `GET /health` (the gateway alone).
 * Then the DynamoDB round trips of each call (counted by the local
 * gateway), and whether the cost stays flat as a model or the registry
 * grows (items written with BatchWriteItem). Everything stays on 127.0.0.1;
 * every loop is bounded (BENCH_CALLS calls per operation and level).
 * `BENCH_PART=cost-flat` runs the size checks alone.
 */
const CALLS = Number(process.env.BENCH_CALLS ?? '200');
const LEVELS = [1, 8] as const;
/** Approve → applied waits for the workflow; fewer calls keep it bounded. */
const FLOW_CALLS = Math.max(8, Math.floor(CALLS / 5));
const APPLY_BOUND_MS = 30_000;
const BIG_MODEL_VERSIONS = 2_500;
/**
 * GetItem calls that warm DynamoDB Local's JVM up before the first loop:
 * its GetItem rate keeps rising for about 10,000 calls (1,050 → 1,750 rps
 * measured at concurrency 8 here), and a reference measured before then
 * flatters every ratio taken against it.
 */
const JVM_WARM_UP_CALLS = 15_000;
/**
 * Get-model calls that warm the registry process up before the first loop:
 * its cost per call falls for its first few thousand requests (V8 tiering
 * up the gateway, SDK and handler paths), which a long-running server or a
 * warm Lambda never shows.
 */
const REGISTRY_WARM_UP_CALLS = 9_000;
/**
 * The get model ÷ raw GetItem ratio, measured again in rounds of loops run
 * back to back (raw GetItem, the raw BatchGetItem of a get model's four
 * items, get model): this machine's speed drifts by a third between
 * minutes (shared cores), so two loops a minute apart can compare two
 * machines. The median of the rounds is the figure.
 */
const RATIO_PAIRS = 5;
const RATIO_CALLS = 1_000;
const BIG_REGISTRY_MODELS = 10_000;

interface Stats {
  readonly p50: number;
  readonly p99: number;
  readonly rps: number;
  /** CPU milliseconds per call of the registry process and DynamoDB Local. */
  readonly cpu?: { readonly registry: number; readonly dynamodb: number };
}

/**
 * The processes whose CPU time a measured loop charges to its calls (from
 * /proc: user + system time, in clock ticks of 10 ms), so a figure says
 * which side of a round trip spent it. Unset off Linux.
 */
let cpuProbe: { registry: number; dynamodb: number } | undefined;
const CLOCK_TICK_MS = 10;

function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parens).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return Number.NaN;
  }
}

/** The JVM of DynamoDB Local among the registry process's descendants. */
function javaDescendantOf(root: number): number | undefined {
  const parents = new Map<number, number>();
  const names = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      names.set(pid, stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(pid, Number(fields[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const descends = (pid: number): boolean => {
    for (
      let p = parents.get(pid);
      p !== undefined && p > 1;
      p = parents.get(p)
    ) {
      if (p === root) return true;
    }
    return false;
  };
  return [...names].find(
    ([pid, name]) => name === 'java' && descends(pid)
  )?.[0];
}

function stats(samples: readonly number[], wallMs: number): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return {
    p50: at(0.5),
    p99: at(0.99),
    rps: (samples.length / wallMs) * 1000,
  };
}

/**
 * `calls` calls of `call(i)`, `concurrency` at a time, after a warm-up of
 * as many calls (at least 25) at the same concurrency that is not
 * measured: the first few hundred calls of a path in a fresh process run
 * before V8 (and DynamoDB Local's JVM) has optimised it, which a
 * long-running server never shows. Warm-up calls get negative indexes.
 */
async function load(
  concurrency: number,
  calls: number,
  call: (i: number) => Promise<void>
): Promise<Stats> {
  await loop(concurrency, warmUpCalls(calls), (i) => call(-1 - i));
  const samples: number[] = [];
  const probe = cpuProbe;
  const before = probe && [cpuTicks(probe.registry), cpuTicks(probe.dynamodb)];
  const started = performance.now();
  await loop(concurrency, calls, async (i) => {
    const t0 = performance.now();
    await call(i);
    samples.push(performance.now() - t0);
  });
  const measured = stats(samples, performance.now() - started);
  if (!probe || !before) return measured;
  const perCall = (ticks: number) => (ticks * CLOCK_TICK_MS) / calls;
  return {
    ...measured,
    cpu: {
      registry: perCall(cpuTicks(probe.registry) - (before[0] ?? 0)),
      dynamodb: perCall(cpuTicks(probe.dynamodb) - (before[1] ?? 0)),
    },
  };
}

/** Calls per second of an unmeasured-per-call loop (already warm). */
async function rate(
  concurrency: number,
  calls: number,
  call: (i: number) => Promise<void>
): Promise<number> {
  const started = performance.now();
  await loop(concurrency, calls, call);
  return (calls / (performance.now() - started)) * 1000;
}

function warmUpCalls(calls: number): number {
  return Math.max(25, calls);
}

async function loop(
  concurrency: number,
  calls: number,
  call: (i: number) => Promise<void>
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < calls; i = next++) await call(i);
    })
  );
}

class Client {
  readonly #url: string;
  readonly #headers: Record<string, string>;

  constructor(url: string, token: string) {
    this.#url = url;
    this.#headers = {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
    };
  }

  async get(path: string, query: Record<string, string> = {}) {
    const response = await fetch(
      `${this.#url}${path}?${new URLSearchParams(query)}`,
      { headers: this.#headers }
    );
    return this.#answer(path, response);
  }

  async post(path: string, body: unknown) {
    const response = await fetch(`${this.#url}${path}`, {
      method: 'POST',
      headers: this.#headers,
      body: JSON.stringify(body),
    });
    return this.#answer(path, response);
  }

  async #answer(path: string, response: Response) {
    const text = await response.text();
    if (!response.ok) throw new Error(`${path}: ${response.status} ${text}`);
    return { json: JSON.parse(text) as Record<string, unknown>, response };
  }
}

const MLFLOW = '/api/2.0/mlflow';

interface RoundTrips {
  readonly reads: number;
  readonly writes: number;
  readonly authorizerReads: number;
}

/** The handler's DynamoDB round trips in the call that sent `response`. */
async function roundTripsOf(
  url: string,
  response: Response
): Promise<RoundTrips> {
  const requestId = response.headers.get('apigw-requestid');
  const listed = (await (await fetch(`${url}${ROUND_TRIPS_PATH}`)).json()) as {
    calls: {
      requestId?: string;
      roundTrips: { operation: string; phase: string }[];
    }[];
  };
  const call = listed.calls.find((c) => c.requestId === requestId);
  if (!call) throw new Error(`no round trips recorded for ${requestId}`);
  const handler = call.roundTrips.filter((r) => r.phase === 'handler');
  return {
    reads: handler.filter((r) => isRead(r.operation)).length,
    writes: handler.filter((r) => !isRead(r.operation)).length,
    authorizerReads: call.roundTrips.filter(
      (r) => r.phase === 'authorizer' && isRead(r.operation)
    ).length,
  };
}

async function batchWrite(
  client: DynamoDBDocumentClient,
  items: readonly Item[]
): Promise<void> {
  const batches = chunks(items, 25);
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let i = next++; i < batches.length; i = next++) {
        let pending = batches[i]?.map((Item) => ({ PutRequest: { Item } }));
        while (pending && pending.length > 0) {
          const out = await client.send(
            new BatchWriteCommand({
              RequestItems: { [LOCAL_TABLE_NAME]: pending },
            })
          );
          pending = out.UnprocessedItems?.[LOCAL_TABLE_NAME] as
            | typeof pending
            | undefined;
        }
      }
    })
  );
}

/** `count` more versions of a model (None stage), written directly. */
async function writeVersions(
  client: DynamoDBDocumentClient,
  modelId: string,
  from: number,
  count: number
): Promise<void> {
  const now = Date.now();
  const numbers = Array.from({ length: count }, (_, i) => from + i);
  await batchWrite(
    client,
    numbers.map((version) =>
      toVersionItem({
        modelId,
        version,
        currentStage: 'None',
        description: '',
        source: `s3://bench/models/${version}`,
        runId: '',
        runLink: '',
        status: 'READY',
        statusMessage: '',
        tags: [],
        creationTimestamp: now,
        lastUpdatedTimestamp: now,
        userId: 'admin',
      })
    )
  );
  // As creates store them: the numbers join the None members, and the
  // model item's None bounds move (these are the model's newest numbers).
  const bounds = stageBoundAttributes('None');
  await client.send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Update: {
            TableName: LOCAL_TABLE_NAME,
            Key: keys.registeredModel(modelId),
            UpdateExpression:
              'SET versionCounter = :last, revision = revision + :one, #hi = :last, #lo = if_not_exists(#lo, :from)',
            ExpressionAttributeNames: {
              '#hi': bounds.highest,
              '#lo': bounds.lowest,
            },
            ExpressionAttributeValues: {
              ':last': from + count - 1,
              ':from': from,
              ':one': 1,
            },
          },
        },
        {
          Update: {
            TableName: LOCAL_TABLE_NAME,
            Key: keys.registeredModelStages(modelId),
            UpdateExpression: 'ADD #none :numbers, #revision :one',
            ExpressionAttributeNames: {
              '#none': stageAttribute('None'),
              '#revision': 'revision',
            },
            ExpressionAttributeValues: {
              ':numbers': new Set(numbers),
              ':one': 1,
            },
          },
        },
      ],
    })
  );
}

/** `count` models named `<prefix>-<n>`, written directly. */
async function writeModelItems(
  client: DynamoDBDocumentClient,
  prefix: string,
  count: number
): Promise<void> {
  const now = Date.now();
  await batchWrite(
    client,
    Array.from({ length: count }, (_, i) =>
      newModelItems(
        {
          id: randomBytes(16).toString('hex'),
          name: `${prefix}-${String(i).padStart(5, '0')}`,
          description: '',
          creationTimestamp: now,
          lastUpdatedTimestamp: now,
          userId: 'admin',
          tags: [],
          aliases: [],
        },
        []
      )
    ).flat()
  );
}

const benchStarted = performance.now();

/** Progress on stderr, so a slow phase on a loaded machine shows. */
function progress(what: string): void {
  const seconds = ((performance.now() - benchStarted) / 1000).toFixed(0);
  process.stderr.write(`[bench ${seconds} s] ${what}\n`);
}

function row(label: string, cells: readonly string[], width = 44): string {
  return `${label.padEnd(width)}${cells.map((c) => c.padStart(10)).join('')}`;
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'stagegate-bench-'));
  const token = `dapi${randomBytes(16).toString('hex')}`;
  const registry = await startRegistryProcess({
    dataDir,
    adminToken: token,
    env: {
      AUTHORIZER_CACHE_TTL_SECONDS: '10',
      // The debug endpoints count each call's DynamoDB round trips.
      STAGEGATE_DEBUG_ENDPOINTS: 'true',
    },
  });
  const endpoint = /DynamoDB Local \(debug\): (\S+)/.exec(
    registry.output()
  )?.[1];
  if (!endpoint) throw new Error('the registry did not print its DynamoDB');
  const dynamodb = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: dataDirCredentials(dataDir),
    })
  );
  const api = new Client(registry.url, token);
  const java = registry.child.pid && javaDescendantOf(registry.child.pid);
  if (registry.child.pid && java) {
    cpuProbe = { registry: registry.child.pid, dynamodb: java };
  }
  const run = Date.now().toString(36);
  const model = (suffix: string) => `bench-${run}-${suffix}`;
  try {
    if (process.env.BENCH_PART === 'cost-flat') {
      await costFlat(dynamodb, api, model);
      return;
    }
    // Models read by the loops (3 versions each, version 1 in Production)
    // and the 100 that "create version (100 models)" writes to.
    const readModels = Array.from({ length: 8 }, (_, i) => model(`read-${i}`));
    for (const name of readModels) {
      await api.post(`${MLFLOW}/registered-models/create`, { name });
      await writeVersions(dynamodb, await modelId(api, name), 1, 3);
      await api.post(`${MLFLOW}/model-versions/transition-stage`, {
        name,
        version: '1',
        stage: 'Production',
        archive_existing_versions: false,
      });
    }
    const writePrefix = model('w');
    await writeModelItems(dynamodb, writePrefix, 100);
    const writeModels = Array.from(
      { length: 100 },
      (_, i) => `${writePrefix}-${String(i).padStart(5, '0')}`
    );

    const results: [string, ...Stats[]][] = [];
    const measure = async (
      label: string,
      call: (i: number, level: number) => Promise<void>,
      calls = CALLS
    ) => {
      const byLevel: Stats[] = [];
      progress(label);
      for (const level of LEVELS) {
        byLevel.push(await load(level, calls, (i) => call(i, level)));
      }
      results.push([label, ...byLevel]);
      return byLevel;
    };

    // DynamoDB Local's JVM starts cold with every run; until its JIT has
    // compiled the read path, the first loops would measure its warm-up
    // (the raw GetItem reference most of all, as it runs first).
    const rawGet = () =>
      dynamodb
        .send(
          new GetCommand({
            TableName: LOCAL_TABLE_NAME,
            Key: keys.rootAcl,
            ConsistentRead: true,
          })
        )
        .then(() => undefined);
    // What DynamoDB Local alone spends on a read shaped like a get
    // model's: one BatchGetItem of four items (a get model reads the caller,
    // the model and the latest version of each of its two stages; the root
    // access list stands in for the caller).
    const readModel = await modelId(api, readModels[0] ?? '');
    const rawBatchGet = () =>
      dynamodb
        .send(
          new BatchGetCommand({
            RequestItems: {
              [LOCAL_TABLE_NAME]: {
                Keys: [
                  keys.rootAcl,
                  keys.registeredModel(readModel),
                  keys.modelVersion(readModel, 1),
                  keys.modelVersion(readModel, 3),
                ],
                ConsistentRead: true,
              },
            },
          })
        )
        .then(() => undefined);
    const getModel = (i: number) =>
      api
        .get(`${MLFLOW}/registered-models/get`, {
          name: readModels[Math.abs(i) % readModels.length] ?? '',
        })
        .then(() => undefined);
    progress('warming DynamoDB Local up');
    await loop(8, JVM_WARM_UP_CALLS, rawGet);
    progress('warming the registry up');
    await loop(8, REGISTRY_WARM_UP_CALLS, getModel);
    const [, rawGet8] = await measure('DynamoDB Local GetItem (raw)', rawGet);
    await measure('DynamoDB Local BatchGetItem, 4 keys (raw)', rawBatchGet);
    await measure('GET /health (gateway alone)', async () => {
      const response = await fetch(`${registry.url}/health`);
      await response.arrayBuffer();
    });
    const [, getModel8] = await measure('GET registered-models/get', getModel);
    await measure('GET model-versions/get', (i) =>
      api
        .get(`${MLFLOW}/model-versions/get`, {
          name: readModels[Math.abs(i) % readModels.length] ?? '',
          version: String((Math.abs(i) % 3) + 1),
        })
        .then(() => undefined)
    );
    await measure('GET registered-models/search (page 100)', () =>
      api
        .get(`${MLFLOW}/registered-models/search`, { max_results: '100' })
        .then(() => undefined)
    );
    const createOne: Stats[] = [];
    for (const level of LEVELS) {
      const name = model(`one-${level}`);
      await api.post(`${MLFLOW}/registered-models/create`, { name });
      createOne.push(
        await load(level, CALLS, () =>
          api
            .post(`${MLFLOW}/model-versions/create`, {
              name,
              source: 's3://bench/m',
            })
            .then(() => undefined)
        )
      );
      await assertGapFree(api, name, CALLS + warmUpCalls(CALLS));
    }
    results.push([
      'POST model-versions/create (one model)',
      ...createOne,
    ] as const);
    await measure('POST model-versions/create (100 models)', (i) =>
      api
        .post(`${MLFLOW}/model-versions/create`, {
          name: writeModels[Math.abs(i) % writeModels.length],
          source: 's3://bench/m',
        })
        .then(() => undefined)
    );
    // Each call moves the next version of one model to Production,
    // archiving the one there.
    const transitions: Stats[] = [];
    for (const level of LEVELS) {
      const name = model(`archive-${level}`);
      await api.post(`${MLFLOW}/registered-models/create`, { name });
      await writeVersions(
        dynamodb,
        await modelId(api, name),
        1,
        CALLS + warmUpCalls(CALLS)
      );
      let version = 0;
      transitions.push(
        await load(level, CALLS, async () => {
          version += 1;
          await api.post(`${MLFLOW}/model-versions/transition-stage`, {
            name,
            version: String(version),
            stage: 'Production',
            archive_existing_versions: true,
          });
        })
      );
    }
    results.push(['POST transition-stage (archive)', ...transitions]);
    // Request, approve, then poll until the version is in its new stage.
    const flows: Stats[] = [];
    for (const level of LEVELS) {
      const name = model(`approve-${level}`);
      await api.post(`${MLFLOW}/registered-models/create`, { name });
      await writeVersions(
        dynamodb,
        await modelId(api, name),
        1,
        FLOW_CALLS + warmUpCalls(CALLS)
      );
      let version = 0;
      flows.push(
        await load(level, FLOW_CALLS, async () => {
          version += 1;
          const mine = String(version);
          await api.post(`${MLFLOW}/transition-requests/create`, {
            name,
            version: mine,
            stage: 'Staging',
          });
          const started = performance.now();
          await api.post(`${MLFLOW}/transition-requests/approve`, {
            name,
            version: mine,
            stage: 'Staging',
            archive_existing_versions: false,
          });
          for (;;) {
            const { json } = await api.get(`${MLFLOW}/model-versions/get`, {
              name,
              version: mine,
            });
            const got = json.model_version as { current_stage?: string };
            if (got.current_stage === 'Staging') return;
            if (performance.now() - started > APPLY_BOUND_MS) {
              throw new Error(`${name} v${mine} not applied in time`);
            }
          }
        })
      );
    }
    results.push(['request, approve → applied', ...flows]);

    console.log(
      `\n${CALLS} calls per operation and level (${FLOW_CALLS} for approve → applied), local stack, ${new Date().toISOString()}\n`
    );
    console.log(
      row(
        'operation',
        LEVELS.flatMap((c) => [`c${c} rps`, `c${c} p50`, `c${c} p99`])
      )
    );
    for (const [label, ...byLevel] of results) {
      console.log(
        row(
          label,
          byLevel.flatMap((s) => [
            s.rps.toFixed(0),
            s.p50.toFixed(2),
            s.p99.toFixed(2),
          ])
        )
      );
    }
    if (cpuProbe) {
      console.log(
        '\nCPU per call at c8, ms (registry: gateway, authorizer and handler in one process; the raw GetItem is the SDK in this process)\n'
      );
      console.log(row('operation', ['registry', 'DynamoDB']));
      for (const [label, , c8] of results) {
        if (!c8?.cpu) continue;
        console.log(
          row(label, [c8.cpu.registry.toFixed(2), c8.cpu.dynamodb.toFixed(2)])
        );
      }
    }
    const ratio = (a: number, b: number) => (a / b).toFixed(2);
    const one8 = createOne[1];
    console.log('\nchecks in this run');
    if (getModel8 && rawGet8) {
      console.log(
        `  get model at c8 / raw GetItem at c8: ${ratio(getModel8.rps, rawGet8.rps)} (rps, the table's loops)`
      );
    }
    progress('raw GetItem, raw BatchGetItem and get model, back to back');
    const rounds: { batch: number; read: number }[] = [];
    for (let round = 0; round < RATIO_PAIRS; round += 1) {
      // DynamoDB Local's GetItem path slows after the JVM served other
      // operations, and recovers within a few hundred calls of its own.
      await loop(8, RATIO_CALLS, rawGet);
      const raw = await rate(8, RATIO_CALLS, rawGet);
      const batch = await rate(8, RATIO_CALLS, rawBatchGet);
      const read = await rate(8, RATIO_CALLS, getModel);
      rounds.push({ batch: batch / raw, read: read / raw });
    }
    const median = (values: number[]) =>
      (
        [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0
      ).toFixed(2);
    const listed = (values: number[]) =>
      values.map((v) => v.toFixed(2)).join(', ');
    const reads = rounds.map((r) => r.read);
    const batches = rounds.map((r) => r.batch);
    console.log(
      `  get model at c8 / raw GetItem at c8: ${median(reads)} (rps, median of ${RATIO_PAIRS} back-to-back rounds of ${RATIO_CALLS} calls: ${listed(reads)})`
    );
    console.log(
      `  raw BatchGetItem of a get model's four items / raw GetItem, same rounds: ${median(batches)} (${listed(batches)})`
    );
    if (one8) {
      console.log(
        `  create version, one model, c8: p99 / p50 = ${ratio(one8.p99, one8.p50)}`
      );
    }

    progress('round trips per call');
    await roundTripsPerCall(registry.url, api, readModels[0] ?? '');
    await costFlat(dynamodb, api, model);
  } finally {
    dynamodb.destroy();
    registry.child.kill('SIGTERM');
    await registry.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function modelId(api: Client, name: string): Promise<string> {
  const { json } = await api.get(`${MLFLOW}/databricks/registered-models/get`, {
    name,
  });
  const id = (json.registered_model_databricks as { id?: unknown })?.id;
  if (typeof id !== 'string') throw new Error(`no id for ${name}`);
  return id;
}

/** Every number from 1 to `count` exists, once. */
async function assertGapFree(api: Client, name: string, count: number) {
  const seen = new Set<string>();
  let token: string | undefined;
  do {
    const { json } = await api.get(`${MLFLOW}/model-versions/search`, {
      filter: `name='${name}'`,
      max_results: '1000',
      ...(token ? { page_token: token } : {}),
    });
    for (const v of (json.model_versions ?? []) as { version: string }[]) {
      seen.add(v.version);
    }
    token = json.next_page_token as string | undefined;
  } while (token);
  for (let v = 1; v <= count; v += 1) {
    if (!seen.has(String(v))) throw new Error(`${name}: version ${v} missing`);
  }
  if (seen.size !== count) {
    throw new Error(`${name}: ${seen.size} versions, ${count} expected`);
  }
}

async function roundTripsPerCall(url: string, api: Client, name: string) {
  const fresh = `${name}-rt`;
  await api.post(`${MLFLOW}/registered-models/create`, { name: fresh });
  await api.post(`${MLFLOW}/model-versions/create`, {
    name: fresh,
    source: 's3://bench/m',
  });
  const calls: [string, () => Promise<{ response: Response }>][] = [
    [
      'GET registered-models/get',
      () => api.get(`${MLFLOW}/registered-models/get`, { name }),
    ],
    [
      'GET databricks/registered-models/get',
      () => api.get(`${MLFLOW}/databricks/registered-models/get`, { name }),
    ],
    [
      'GET model-versions/get',
      () => api.get(`${MLFLOW}/model-versions/get`, { name, version: '2' }),
    ],
    [
      'GET registered-models/search (page 100)',
      () =>
        api.get(`${MLFLOW}/registered-models/search`, { max_results: '100' }),
    ],
    [
      'POST model-versions/create',
      () =>
        api.post(`${MLFLOW}/model-versions/create`, {
          name: fresh,
          source: 's3://bench/m',
        }),
    ],
    [
      'POST transition-stage (archive)',
      () =>
        api.post(`${MLFLOW}/model-versions/transition-stage`, {
          name: fresh,
          version: '2',
          stage: 'Production',
          archive_existing_versions: true,
        }),
    ],
    [
      'POST transition-requests/create',
      () =>
        api.post(`${MLFLOW}/transition-requests/create`, {
          name: fresh,
          version: '1',
          stage: 'Staging',
        }),
    ],
    [
      'POST transition-requests/approve',
      () =>
        api.post(`${MLFLOW}/transition-requests/approve`, {
          name: fresh,
          version: '1',
          stage: 'Staging',
          archive_existing_versions: false,
        }),
    ],
  ];
  console.log('\nDynamoDB round trips per call (a second call, warm caches)\n');
  console.log(row('call', ['handler', 'reads', 'writes', 'authorizer'], 44));
  for (const [label, send] of calls) {
    if (!label.includes('create') && !label.includes('approve')) {
      await send();
    }
    const { response } = await send();
    const counted = await roundTripsOf(url, response);
    console.log(
      row(label, [
        String(counted.reads + counted.writes),
        String(counted.reads),
        String(counted.writes),
        String(counted.authorizerReads),
      ])
    );
  }
}

/** Get model with many versions vs few; a search page over many models. */
async function costFlat(
  dynamodb: DynamoDBDocumentClient,
  api: Client,
  model: (suffix: string) => string
) {
  const small = model('flat-3');
  const big = model('flat-2500');
  for (const name of [small, big]) {
    await api.post(`${MLFLOW}/registered-models/create`, { name });
  }
  await writeVersions(dynamodb, await modelId(api, small), 1, 3);
  await writeVersions(dynamodb, await modelId(api, big), 1, BIG_MODEL_VERSIONS);
  const getOf = (name: string) => () =>
    api.get(`${MLFLOW}/registered-models/get`, { name }).then(() => undefined);
  progress('cost flat: get model');
  const few = await load(8, CALLS, getOf(small));
  const many = await load(8, CALLS, getOf(big));
  const page = () =>
    api
      .get(`${MLFLOW}/registered-models/search`, { max_results: '100' })
      .then(() => undefined);
  await writeModelItems(dynamodb, model('few'), 100);
  progress('cost flat: search (100 models)');
  const search100 = await load(8, CALLS, page);
  progress(`cost flat: writing ${BIG_REGISTRY_MODELS} models`);
  const writing = performance.now();
  await writeModelItems(dynamodb, model('many'), BIG_REGISTRY_MODELS);
  const writeMs = performance.now() - writing;
  progress('cost flat: search');
  const searchMany = await load(8, CALLS, page);
  console.log(
    `\ncost flat in size (c8; ${BIG_REGISTRY_MODELS} models written in ${(writeMs / 1000).toFixed(1)} s)\n`
  );
  console.log(row('call', ['rps', 'p50', 'p99', 'p50 ratio']));
  console.log(
    row('get model, 3 versions', [
      few.rps.toFixed(0),
      few.p50.toFixed(2),
      few.p99.toFixed(2),
      '',
    ])
  );
  console.log(
    row(`get model, ${BIG_MODEL_VERSIONS} versions`, [
      many.rps.toFixed(0),
      many.p50.toFixed(2),
      many.p99.toFixed(2),
      (many.p50 / few.p50).toFixed(2),
    ])
  );
  console.log(
    row('search page, registry of ~100 models', [
      search100.rps.toFixed(0),
      search100.p50.toFixed(2),
      search100.p99.toFixed(2),
      '',
    ])
  );
  console.log(
    row(`search page, ${BIG_REGISTRY_MODELS}+ models`, [
      searchMany.rps.toFixed(0),
      searchMany.p50.toFixed(2),
      searchMany.p99.toFixed(2),
      (searchMany.p50 / search100.p50).toFixed(2),
    ])
  );
}

await main();
