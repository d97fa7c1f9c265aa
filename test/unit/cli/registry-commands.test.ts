import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeRegistry } from './support/fake-registry.ts';
import { runCli } from './support/run-cli.ts';

const KiB = 1024;
const SCIM = '/api/2.0/preview/scim/v2';
const MLFLOW = '/api/2.0/mlflow';
const PERMISSIONS = '/api/2.0/permissions/registered-models';

let dir: string;
let registry: FakeRegistry;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stagegate-cli-registry-'));
  registry = await new FakeRegistry({
    multipartThreshold: 512 * KiB,
    partSize: 256 * KiB,
  }).start();
});

afterEach(async () => {
  await registry.stop();
  rmSync(dir, { recursive: true, force: true });
});

function cli(
  argv: string[],
  options: { stdin?: string; signal?: AbortSignal } = {}
) {
  return runCli(argv, {
    env: { STAGEGATE_HOST: registry.url, STAGEGATE_TOKEN: registry.token },
    ...options,
  });
}

/** The API calls made, without the upload and download plumbing. */
function calls() {
  return registry.apiRequests.map((r) => ({
    call: `${r.method} ${r.path}`,
    input: r.body,
  }));
}

describe('command-line errors', () => {
  it('answers an unknown option with one line and where the help is', async () => {
    // Act
    const result = await cli(['models', 'list', '--limit', '5']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "stagegate: unknown option --limit for models list\nrun 'stagegate models list --help' for usage\n"
    );
  });

  it('refuses a host without a scheme rather than guessing https', async () => {
    // Act
    const result = await runCli(['models', 'list'], {
      env: { STAGEGATE_HOST: '127.0.0.1:8080', STAGEGATE_TOKEN: 'dapi1' },
    });

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "stagegate: invalid host '127.0.0.1:8080': give its scheme, e.g. https://127.0.0.1:8080 (or http:// for a local registry)\n"
    );
  });

  it('prints the API calls and the stack with --debug, one line without', async () => {
    // Prepare
    registry.respond('GET', `${MLFLOW}/registered-models/search`, () => ({
      status: 200,
      body: { registered_models: 'not a list' },
    }));

    // Act
    const plain = await cli(['models', 'list']);
    const debug = await cli(['models', 'list', '--debug']);

    // Assess
    expect(plain.code).toBe(1);
    expect(plain.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(debug.stderr).toMatch(
      /^call: GET \/api\/2\.0\/mlflow\/registered-models\/search → 200 \(\d+ ms\)$/m
    );
    expect(debug.stderr).toMatch(/^ProtocolError: .*\n {4}at /m);
    expect(debug.stderr).not.toContain(registry.token);
  });
});

describe('stagegate versions list', () => {
  it('shows where uploaded files are, not the upload that brought them', async () => {
    // Prepare
    registry.models.set('fraud', {});
    registry.respond('GET', `${MLFLOW}/model-versions/search`, () => ({
      body: {
        model_versions: [
          {
            name: 'fraud',
            version: '3',
            current_stage: 'None',
            status: 'PENDING_REGISTRATION',
            source: 'stagegate-upload:0123',
          },
          {
            name: 'fraud',
            version: '2',
            current_stage: 'Staging',
            status: 'READY',
            source: 'stagegate-upload:4567',
          },
          {
            name: 'fraud',
            version: '1',
            current_stage: 'Archived',
            status: 'READY',
            source: 's3://bucket/fraud/1',
          },
        ],
      },
    }));

    // Act
    const result = await cli(['versions', 'list', 'fraud']);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('stagegate-upload:');
    const sources = result.stdout
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((line) => line.split(/ {2,}/).at(-1));
    expect(sources).toEqual([
      'uploaded, being registered',
      'mlflow-artifacts:/mlflow-registry/id-fraud/2',
      's3://bucket/fraud/1',
    ]);
  });
});

describe('stagegate download', () => {
  it('refuses to overwrite files that exist, and overwrites them with --force', async () => {
    // Prepare
    registry.addVersion('fraud', {
      MLmodel: Buffer.from('new'),
      'data/w.bin': Buffer.from('weights'),
    });
    const out = join(dir, 'out');
    mkdirSync(out);
    writeFileSync(join(out, 'MLmodel'), 'old');

    // Act
    const refused = await cli(['download', 'models:/fraud/1', out]);
    const kept = readFileSync(join(out, 'MLmodel'), 'utf8');
    const partial = existsSync(join(out, 'data', 'w.bin'));
    const forced = await cli(['download', 'models:/fraud/1', out, '--force']);

    // Assess
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `stagegate: ${out} already has 1 of the version's files (MLmodel); nothing was downloaded. --force overwrites them\n`
    );
    expect(kept).toBe('old');
    expect(partial).toBe(false);
    expect(forced.code).toBe(0);
    expect(readFileSync(join(out, 'MLmodel'), 'utf8')).toBe('new');
  });

  it('stops on Ctrl-C, removes the partial file and says what is complete', async () => {
    // Prepare
    registry.addVersion('fraud', {
      a: Buffer.from('first'),
      b: randomBytes(64 * KiB),
    });
    const out = join(dir, 'out');
    const interrupt = new AbortController();
    const answer = registry.storageRequests;
    const realPush = answer.push.bind(answer);
    // Ctrl-C as the second file starts downloading.
    answer.push = (...items) => {
      const length = realPush(...items);
      if (length === 2) interrupt.abort();
      return length;
    };

    // Act
    const result = await cli(['download', 'models:/fraud/1', out], {
      signal: interrupt.signal,
    });

    // Assess
    expect(result.code).toBe(130);
    expect(result.stderr).toContain(
      `stagegate: interrupted; the partly downloaded file was removed, 1 of 2 files are complete in ${out}\n`
    );
    expect(readdirSync(out).sort()).toEqual(['a']);
  });
});

describe('stagegate register', () => {
  it('stops on Ctrl-C during the upload, registering nothing, and says so', async () => {
    // Prepare
    const root = join(dir, 'model');
    mkdirSync(root);
    writeFileSync(join(root, 'a'), 'first');
    writeFileSync(join(root, 'big'), randomBytes(600 * KiB));
    const interrupt = new AbortController();
    registry.onPut = () => interrupt.abort();

    // Act
    const result = await cli(['register', 'fraud', root], {
      signal: interrupt.signal,
    });

    // Assess
    expect(result.code).toBe(130);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      'stagegate: interrupted; model fraud was created and has no new version (the registry removes the files uploaded so far)\n'
    );
    expect(calls().map((c) => c.call)).not.toContain(
      `POST ${MLFLOW}/model-versions/create`
    );
  });
});

describe('stagegate models', () => {
  it('creates a model with tags, renames, tags and deletes it', async () => {
    // Prepare
    registry.respond('POST', `${MLFLOW}/registered-models/rename`, (input) => ({
      body: { registered_model: { name: input.new_name } },
    }));
    registry.respond('POST', `${MLFLOW}/registered-models/set-tag`, () => ({
      body: {},
    }));
    registry.respond('DELETE', `${MLFLOW}/registered-models/delete`, () => ({
      body: {},
    }));

    // Act
    const created = await cli([
      'models',
      'create',
      'fraud',
      '--description',
      'card fraud',
      '--tag',
      'team=risk',
      '--tag',
      'query=a=b',
    ]);
    const renamed = await cli(['models', 'rename', 'fraud', 'fraud-v2']);
    const tagged = await cli(['models', 'tag', 'fraud-v2', 'tier', 'gold']);
    const deleted = await cli(['models', 'delete', 'fraud-v2']);

    // Assess
    expect([created, renamed, tagged, deleted].map((r) => r.stdout)).toEqual([
      'created registered model fraud\n',
      'renamed fraud to fraud-v2\n',
      'set tag tier on fraud-v2\n',
      'deleted registered model fraud-v2 and its versions\n',
    ]);
    expect(calls()).toEqual([
      {
        call: `POST ${MLFLOW}/registered-models/create`,
        input: {
          name: 'fraud',
          description: 'card fraud',
          tags: [
            { key: 'team', value: 'risk' },
            { key: 'query', value: 'a=b' },
          ],
        },
      },
      {
        call: `POST ${MLFLOW}/registered-models/rename`,
        input: { name: 'fraud', new_name: 'fraud-v2' },
      },
      {
        call: `POST ${MLFLOW}/registered-models/set-tag`,
        input: { name: 'fraud-v2', key: 'tier', value: 'gold' },
      },
      {
        call: `DELETE ${MLFLOW}/registered-models/delete`,
        input: { name: 'fraud-v2' },
      },
    ]);
  });

  it('shows a model, and prints the API object with --output json', async () => {
    // Prepare
    registry.models.set('fraud', {});

    // Act
    const table = await cli(['models', 'show', 'fraud']);
    const json = await cli(['models', 'show', 'fraud', '-o', 'json']);

    // Assess
    expect(table.stdout).toMatch(/^name: +fraud\nid: +id-fraud\n/);
    expect(JSON.parse(json.stdout)).toEqual({
      registered_model_databricks: { name: 'fraud', id: 'id-fraud' },
    });
  });
});

describe('stagegate permissions', () => {
  const acl = {
    object_id: '/registered-models/id-fraud',
    object_type: 'registered-model',
    access_control_list: [
      {
        user_name: 'alice@example.com',
        all_permissions: [{ permission_level: 'CAN_MANAGE', inherited: false }],
      },
      {
        group_name: 'risk',
        all_permissions: [
          { permission_level: 'CAN_EDIT', inherited: false },
          {
            permission_level: 'CAN_READ',
            inherited: true,
            inherited_from_object: ['/registered-models/root'],
          },
        ],
      },
      {
        group_name: 'admins',
        all_permissions: [{ permission_level: 'CAN_MANAGE', inherited: true }],
      },
    ],
  };

  beforeEach(() => {
    registry.models.set('fraud', {});
    registry.respond('GET', `${PERMISSIONS}/id-fraud`, () => ({ body: acl }));
    registry.respond('PATCH', `${PERMISSIONS}/id-fraud`, () => ({ body: acl }));
    registry.respond('PUT', `${PERMISSIONS}/id-fraud`, () => ({ body: acl }));
    registry.respond('PATCH', `${PERMISSIONS}/root`, () => ({ body: acl }));
  });

  it('shows direct and inherited grants', async () => {
    // Act
    const result = await cli(['permissions', 'show', 'fraud']);

    // Assess
    expect(result.stdout.split('\n').slice(0, 6)).toEqual([
      'model fraud',
      'PRINCIPAL          KIND   LEVEL       FROM',
      'alice@example.com  user   CAN_MANAGE  direct',
      'risk               group  CAN_EDIT    direct',
      'risk               group  CAN_READ    root',
      'admins             group  CAN_MANAGE  admins group',
    ]);
  });

  it('grants on a model by its id, and on root', async () => {
    // Act
    const model = await cli([
      'permissions',
      'grant',
      'fraud',
      'manage-production-versions',
      '--group',
      'ml-leads',
    ]);
    const root = await cli([
      'permissions',
      'grant',
      '--root',
      'read',
      '--user',
      'bob@example.com',
    ]);

    // Assess
    expect(model.stdout).toBe(
      'granted CAN_MANAGE_PRODUCTION_VERSIONS on model fraud to ml-leads\n'
    );
    expect(root.stdout).toBe(
      'granted CAN_READ on root (every model) to bob@example.com\n'
    );
    expect(calls().filter((c) => c.call.startsWith('PATCH'))).toEqual([
      {
        call: `PATCH ${PERMISSIONS}/id-fraud`,
        input: {
          access_control_list: [
            {
              group_name: 'ml-leads',
              permission_level: 'CAN_MANAGE_PRODUCTION_VERSIONS',
            },
          ],
        },
      },
      {
        call: `PATCH ${PERMISSIONS}/root`,
        input: {
          access_control_list: [
            { user_name: 'bob@example.com', permission_level: 'CAN_READ' },
          ],
        },
      },
    ]);
  });

  it('revokes by putting back the direct grants without the grantee', async () => {
    // Act
    const result = await cli([
      'permissions',
      'revoke',
      'fraud',
      '--group',
      'risk',
    ]);

    // Assess
    expect(result.code).toBe(0);
    expect(calls().at(-1)).toEqual({
      call: `PUT ${PERMISSIONS}/id-fraud`,
      input: {
        access_control_list: [
          { user_name: 'alice@example.com', permission_level: 'CAN_MANAGE' },
        ],
      },
    });
  });

  it('refuses to revoke what is only inherited, changing nothing', async () => {
    // Act
    const result = await cli([
      'permissions',
      'revoke',
      'fraud',
      '--group',
      'admins',
    ]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'stagegate: admins has no direct grant on model fraud; what it has is inherited (from root or the admins group)\n'
    );
    expect(calls().map((c) => c.call)).not.toContain(
      `PUT ${PERMISSIONS}/id-fraud`
    );
  });

  it('needs a model or --root, and exactly one grantee', async () => {
    // Act
    const neither = await cli(['permissions', 'show']);
    const two = await cli([
      'permissions',
      'grant',
      'fraud',
      'CAN_READ',
      '--user',
      'a',
      '--group',
      'b',
    ]);

    // Assess
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('give a model, or --root (not both)');
    expect(two.code).toBe(2);
    expect(two.stderr).toContain(
      'name exactly one of --user, --group or --service-principal'
    );
  });
});

describe('stagegate users, groups and tokens', () => {
  const user = (userName: string, id: string, active = true) => ({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    id,
    userName,
    displayName: userName,
    active,
    groups: [],
  });

  it('finds a user by name and deactivates it by id', async () => {
    // Prepare
    registry.respond('GET', `${SCIM}/Users`, () => ({
      body: {
        totalResults: 1,
        startIndex: 1,
        itemsPerPage: 1,
        Resources: [user('bob@example.com', '7')],
      },
    }));
    registry.respond('PATCH', `${SCIM}/Users/7`, () => ({
      body: user('bob@example.com', '7', false),
    }));

    // Act
    const result = await cli(['users', 'deactivate', 'bob@example.com']);

    // Assess
    expect(result.stdout).toBe('bob@example.com is deactivated\n');
    expect(calls()).toEqual([
      {
        call: `GET ${SCIM}/Users`,
        input: {
          filter: 'userName eq "bob@example.com"',
          startIndex: '1',
          count: '100',
        },
      },
      {
        call: `PATCH ${SCIM}/Users/7`,
        input: {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'replace', path: 'active', value: false }],
        },
      },
    ]);
  });

  it('says so when no user has the name', async () => {
    // Prepare
    registry.respond('GET', `${SCIM}/Users`, () => ({
      body: { totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] },
    }));

    // Act
    const result = await cli(['users', 'delete', 'nobody']);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `stagegate: there is no user nobody on ${registry.url}\n`
    );
  });

  it("prints only a new token's value on stdout", async () => {
    // Prepare
    registry.respond(
      'POST',
      '/api/2.0/token-management/on-behalf-of/tokens',
      () => ({
        body: {
          token_value: 'dapi-new-value',
          token_info: { token_id: 't1', expiry_time: -1, comment: 'ci' },
        },
      })
    );

    // Act
    const result = await cli([
      'tokens',
      'create',
      '--user',
      'bob@example.com',
      '--lifetime',
      '90d',
      '--comment',
      'ci',
    ]);

    // Assess
    expect(result.stdout).toBe('dapi-new-value\n');
    expect(result.stderr).toContain(
      'created token t1 for bob@example.com, expires never'
    );
    expect(calls()[0]?.input).toEqual({
      user_name: 'bob@example.com',
      lifetime_seconds: 90 * 86_400,
      comment: 'ci',
    });
  });
});

describe('stagegate cancel and comments', () => {
  it('cancels the caller’s own request by default', async () => {
    // Prepare
    registry.respond('GET', `${SCIM}/Me`, () => ({
      body: { userName: 'alice@example.com', groups: [] },
    }));
    registry.respond('DELETE', `${MLFLOW}/transition-requests/delete`, () => ({
      body: { activity: { activity_type: 'CANCELLED_REQUEST' } },
    }));

    // Act
    const result = await cli(['cancel', 'fraud', '2', 'production']);

    // Assess
    expect(result.stdout).toBe(
      "cancelled alice@example.com's request to move fraud version 2 to Production\n"
    );
    expect(calls().at(-1)?.input).toEqual({
      name: 'fraud',
      version: '2',
      stage: 'Production',
      creator: 'alice@example.com',
    });
  });

  it('lists the comments of the feed', async () => {
    // Prepare
    registry.respond('GET', '/api/2.0/stagegate/activities/list', () => ({
      body: {
        activities: [
          {
            id: 'a1',
            activity_type: 'REQUESTED_TRANSITION',
            user_id: 'bob',
            creation_timestamp: 0,
          },
          {
            id: 'c1',
            activity_type: 'NEW_COMMENT',
            user_id: 'alice',
            comment: 'looks\ngood',
            creation_timestamp: 0,
          },
        ],
      },
    }));

    // Act
    const result = await cli(['comments', 'list', 'fraud', '2']);

    // Assess
    expect(result.stdout).toBe(
      [
        'ID  TIME              BY     COMMENT',
        'c1  1970-01-01 00:00  alice  looks good',
        '',
      ].join('\n')
    );
  });
});

describe('stagegate webhooks', () => {
  it('creates a webhook with its secret from stdin, never printing it', async () => {
    // Prepare
    registry.models.set('fraud', {});
    registry.respond('POST', `${MLFLOW}/registry-webhooks/create`, () => ({
      body: { webhook: { id: 'w1', status: 'ACTIVE', events: [] } },
    }));

    // Act
    const result = await cli(
      [
        'webhooks',
        'create',
        '--model',
        'fraud',
        '--url',
        'https://hooks.example.com/x',
        '--event',
        'MODEL_VERSION_CREATED',
        '--secret',
        '-',
      ],
      { stdin: 'hush\n' }
    );

    // Assess
    expect(result.stdout).toBe('created webhook w1 (ACTIVE)\n');
    expect(result.stdout + result.stderr).not.toContain('hush');
    expect(calls()[0]?.input).toEqual({
      model_name: 'fraud',
      events: ['MODEL_VERSION_CREATED'],
      http_url_spec: { url: 'https://hooks.example.com/x', secret: 'hush' },
    });
  });
});
