import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DynamoDBClient,
  ListTablesCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import {
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type StartedRegistry,
  startRegistryProcess,
} from '../support/local-process.ts';
import { listeningSockets, processesMatching } from '../support/processes.ts';

/**
 * The local data directory holds webhook secrets, the admin token and every
 * token hash: no other local account may read it, or reach it through the
 * engines' loopback ports, which every local account can connect to.
 */

const MLFLOW = '/api/2.0/mlflow';
const TABLE = 'stagegate-registry';
const BUCKET = 'stagegate-artifacts';

const dataDirs: string[] = [];
const started: StartedRegistry[] = [];

afterAll(() => {
  for (const registry of started) {
    if (registry.child.exitCode === null) registry.child.kill('SIGKILL');
  }
  for (const dir of dataDirs) {
    for (const pid of processesMatching(dir)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

async function start(options: Parameters<typeof startRegistryProcess>[0]) {
  const registry = await startRegistryProcess(options);
  started.push(registry);
  return registry;
}

async function stop(registry: StartedRegistry) {
  registry.child.kill('SIGTERM');
  await registry.exited;
}

/** Every entry under `dir` (itself included) whose mode lets others in. */
function openEntries(dir: string): string[] {
  const open: string[] = [];
  const pending = [dir];
  for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
    const stat = lstatSync(path);
    const expected = stat.isDirectory() ? 0o700 : 0o600;
    if ((stat.mode & 0o777) !== expected) {
      open.push(`${(stat.mode & 0o777).toString(8)} ${path}`);
    }
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path)) pending.push(join(path, entry));
    }
  }
  return open;
}

/** What an older stagegate (umask 022) left: 0755 directories, 0644 files. */
function loosen(dir: string) {
  const pending = [dir];
  for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
    const stat = lstatSync(path);
    chmodSync(path, stat.isDirectory() ? 0o755 : 0o644);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path)) pending.push(join(path, entry));
    }
  }
}

async function api(
  registry: StartedRegistry,
  token: string,
  path: string,
  body?: unknown
) {
  const response = await fetch(new URL(path, registry.url), {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

/** Something in every engine: a model (DynamoDB) and an uploaded file (S3). */
async function storeSecrets(registry: StartedRegistry, token: string) {
  expect(
    (
      await api(registry, token, `${MLFLOW}/registered-models/create`, {
        name: 'm',
      })
    ).status
  ).toBe(200);
  const upload = (await api(
    registry,
    token,
    '/api/2.0/stagegate/uploads/create',
    {
      name: 'm',
      files: [{ path: 'MLmodel', size: 4 }],
    }
  )) as {
    status: number;
    body: { upload_id: string; files: { url: string }[] };
  };
  expect(upload.status).toBe(200);
  const put = await fetch(upload.body.files[0]?.url ?? '', {
    method: 'PUT',
    body: 'data',
  });
  expect(put.status).toBe(200);
  return `tmp-external-source/${upload.body.upload_id}/MLmodel`;
}

function credentialsOf(dataDir: string) {
  return JSON.parse(readFileSync(join(dataDir, 'credentials'), 'utf8')) as {
    accessKeyId: string;
    secretAccessKey: string;
  };
}

/** Endpoints of the engines behind a registry, found by their sockets. */
async function engineEndpoints(registry: StartedRegistry, dataDir: string) {
  const java = processesMatching(join(dataDir, 'dynamodb'), 'java');
  const [dynamodb] = listeningSockets(java);
  const apiPort = Number(new URL(registry.url).port);
  let s3: string | undefined;
  const others: string[] = [];
  for (const socket of listeningSockets([registry.child.pid ?? -1])) {
    if (socket.port === apiPort) continue;
    const url = `http://127.0.0.1:${socket.port}`;
    const answer = await fetch(`${url}/${BUCKET}?list-type=2`);
    await answer.arrayBuffer();
    if (answer.headers.get('content-type')?.includes('xml')) s3 = url;
    else others.push(url);
  }
  if (!dynamodb || !s3) throw new Error('engine ports not found');
  return { dynamodb: `http://127.0.0.1:${dynamodb.port}`, s3, others };
}

/**
 * What another account would send the Step Functions and Lambda endpoints:
 * start a transition-request workflow, run a registration.
 */
async function unsignedCalls(url: string): Promise<number[]> {
  const startExecution = await fetch(url, {
    method: 'POST',
    headers: {
      'x-amz-target': 'AWSStepFunctions.StartExecution',
      'content-type': 'application/x-amz-json-1.0',
    },
    body: JSON.stringify({
      stateMachineArn:
        'arn:aws:states:us-east-1:000000000000:stateMachine:stagegate-transition-request',
      input: JSON.stringify({ requestId: 'r', modelId: 'm', version: 1 }),
    }),
  });
  const invoke = await fetch(
    `${url}/2015-03-31/functions/stagegate-registration/invocations`,
    {
      method: 'POST',
      headers: { 'x-amz-invocation-type': 'Event' },
      body: '{}',
    }
  );
  return [startExecution.status, invoke.status].filter(
    (status) => status !== 404
  );
}

/** Credentials of another local account, which it may choose freely. */
const stranger = {
  accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
  secretAccessKey: randomBytes(20).toString('hex'),
};

describe('local data', () => {
  it('is 0700/0600 after a start, whatever the umask and the directory were', async () => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'stagegate-e2e-private-'));
    dataDirs.push(dataDir);
    chmodSync(dataDir, 0o755);

    // Act: a start that writes every kind of file
    const registry = await start({ dataDir });
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    await storeSecrets(registry, token);
    const open = openEntries(dataDir);

    // Assess
    expect(open).toEqual([]);
  });

  it('tightens and keeps what an older stagegate left: open modes, one shared database', async () => {
    // Prepare: a data directory as an older stagegate (umask 022,
    // `-sharedDb`, no credentials file) leaves it
    const dataDir = mkdtempSync(join(tmpdir(), 'stagegate-e2e-private-'));
    dataDirs.push(dataDir);
    const first = await start({ dataDir });
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    await storeSecrets(first, token);
    await stop(first);
    const { accessKeyId } = credentialsOf(dataDir);
    renameSync(
      join(dataDir, 'dynamodb', `${accessKeyId}_us-east-1.db`),
      join(dataDir, 'dynamodb', 'shared-local-instance.db')
    );
    rmSync(join(dataDir, 'credentials'));
    loosen(dataDir);

    // Act
    const second = await start({ dataDir });
    const kept = await api(
      second,
      token,
      `${MLFLOW}/registered-models/get?name=m`
    );
    const open = openEntries(dataDir);

    // Assess
    expect(open).toEqual([]);
    expect(kept.status).toBe(200);
    expect(readdirSync(join(dataDir, 'dynamodb'))).toEqual([
      `${credentialsOf(dataDir).accessKeyId}_us-east-1.db`,
    ]);
  });

  it('is out of reach of a client without the data directory’s credentials', async () => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'stagegate-e2e-private-'));
    dataDirs.push(dataDir);
    const registry = await start({ dataDir });
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    const key = await storeSecrets(registry, token);
    const endpoints = await engineEndpoints(registry, dataDir);
    type Credentials = typeof stranger;
    const dynamodb = (credentials: Credentials) =>
      new DynamoDBClient({
        endpoint: endpoints.dynamodb,
        region: 'us-east-1',
        credentials,
      });
    const s3 = (credentials: Credentials) =>
      new S3Client({
        endpoint: endpoints.s3,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials,
      });
    const read = (credentials: Credentials, objectKey: string) =>
      s3(credentials)
        .send(new GetObjectCommand({ Bucket: BUCKET, Key: objectKey }))
        .then((object) => object.Body?.transformToString())
        .catch((error: Error) => error);

    // Act
    const strangerTables = await dynamodb(stranger).send(
      new ListTablesCommand({})
    );
    const strangerScan = await dynamodb(stranger)
      .send(new ScanCommand({ TableName: TABLE }))
      .catch((error: Error) => error);
    const strangerRead = await read(stranger, key);
    const builtInKeyPut = await s3({
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
    })
      .send(new PutObjectCommand({ Bucket: BUCKET, Key: 'planted', Body: 'x' }))
      .catch((error: Error) => error);
    const anonymousRead = await fetch(`${endpoints.s3}/${BUCKET}/${key}`);
    const anonymousPut = await fetch(`${endpoints.s3}/${BUCKET}/planted`, {
      method: 'PUT',
      body: 'x',
    });
    const owner = credentialsOf(dataDir);
    const ownTables = await dynamodb(owner).send(new ListTablesCommand({}));
    const ownRead = await read(owner, key);
    const planted = await read(owner, 'planted');
    const workflowAndLambda = (
      await Promise.all(endpoints.others.map(unsignedCalls))
    ).flat();

    // Assess
    expect(ownTables.TableNames).toContain(TABLE);
    expect(strangerTables.TableNames).toEqual([]);
    expect(strangerScan).toMatchObject({ name: 'ResourceNotFoundException' });
    expect(ownRead).toBe('data');
    expect(strangerRead).toMatchObject({ name: 'InvalidAccessKeyId' });
    expect(builtInKeyPut).toMatchObject({ name: 'InvalidAccessKeyId' });
    expect(anonymousRead.status).toBe(403);
    expect(anonymousPut.status).toBe(403);
    expect(planted).toMatchObject({ name: 'NoSuchKey' });
    expect(endpoints.others).toHaveLength(2);
    expect(workflowAndLambda.length).toBeGreaterThanOrEqual(2);
    expect(new Set(workflowAndLambda)).toEqual(new Set([403]));
  });
});
