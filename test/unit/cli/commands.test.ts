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
import {
  FakeRegistry,
  type FakeRegistryOptions,
  type FakeRequest,
  sha256,
} from './support/fake-registry.ts';
import { runCli } from './support/run-cli.ts';

const KiB = 1024;

let dir: string;
let registry: FakeRegistry;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stagegate-cli-commands-'));
});

afterEach(async () => {
  await registry?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function startRegistry(options: FakeRegistryOptions = {}) {
  registry = await new FakeRegistry(options).start();
  return registry;
}

/** The CLI against the fake registry, configured through the environment. */
function cli(argv: string[], options: { isTTY?: boolean } = {}) {
  return runCli(argv, {
    env: { STAGEGATE_HOST: registry.url, STAGEGATE_TOKEN: registry.token },
    ...options,
  });
}

/** A model directory: two small files and one large enough for multipart. */
function modelDirectory() {
  const files = {
    MLmodel: Buffer.from('flavors:\n  python_function: {}\n'),
    'data/config.json': Buffer.from('{"layers": 3}'),
    'data/weights.bin': randomBytes(600 * KiB + 7),
  };
  const root = join(dir, 'model');
  for (const [path, bytes] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), bytes);
  }
  return { root, files };
}

const multipart = { multipartThreshold: 512 * KiB, partSize: 256 * KiB };

describe('stagegate register', () => {
  it('uploads a directory, creates the model and prints the READY version', async () => {
    // Prepare
    await startRegistry({ ...multipart, pendingPolls: 3 });
    const { root, files } = modelDirectory();

    // Act
    const result = await cli([
      'register',
      'fraud',
      root,
      '--description',
      'first cut',
    ]);

    // Assess
    expect(result.stderr).toContain(
      `registering 3 files (600.0 KiB) as a new version of fraud on ${registry.url}`
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('1\n');
    const [version] = registry.versions;
    expect(version?.status).toBe('READY');
    for (const [path, bytes] of Object.entries(files)) {
      expect(version?.files.get(path)?.equals(bytes)).toBe(true);
    }
    const created = registry.apiRequests.find((r) =>
      r.path.endsWith('/model-versions/create')
    );
    expect(created?.body).toEqual({
      name: 'fraud',
      source: 'stagegate-upload:up1',
      description: 'first cut',
    });
    expect(
      registry.apiRequests.filter((r) => r.path.endsWith('/model-versions/get'))
    ).toHaveLength(4);
  });

  it('sends the manifest with sizes, SHA-256 sums and part ETags in order', async () => {
    // Prepare
    await startRegistry(multipart);
    const { root, files } = modelDirectory();

    // Act
    await cli(['register', 'fraud', root]);

    // Assess
    const complete = registry.apiRequests.find((r) =>
      r.path.endsWith('/uploads/complete')
    );
    const manifest =
      (complete?.body as { files?: Record<string, unknown>[] } | undefined)
        ?.files ?? [];
    expect(manifest.map((f) => [f.path, f.size, f.sha256])).toEqual(
      Object.entries(files)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([path, bytes]) => [path, bytes.length, sha256(bytes)])
    );
    const weights = manifest.find((f) => f.path === 'data/weights.bin');
    const parts = weights?.parts as { part_number: number }[] | undefined;
    expect(parts?.map((p) => p.part_number)).toEqual([1, 2, 3]);
    expect(
      registry.storageRequests.every(
        (r) => r.headers.authorization === undefined
      )
    ).toBe(true);
  });

  it('uses an existing model without creating it', async () => {
    // Prepare
    await startRegistry();
    registry.models.set('fraud', {});
    const { root } = modelDirectory();

    // Act
    const result = await cli(['register', 'fraud', root]);

    // Assess
    expect(result.code).toBe(0);
    expect(
      registry.apiRequests.some((r) =>
        r.path.endsWith('/registered-models/create')
      )
    ).toBe(false);
  });

  it('prints a line per file when stderr is not a terminal, and redraws in place when it is', async () => {
    // Prepare
    await startRegistry(multipart);
    const { root } = modelDirectory();

    // Act
    const piped = await cli(['register', 'fraud', root]);
    const terminal = await cli(['register', 'fraud', root], { isTTY: true });

    // Assess
    expect(piped.stderr).toMatch(
      /^data\/weights\.bin {2}600\.0 KiB {2}\S+ MiB\/s {2}\d+\.\d s$/m
    );
    expect(piped.stderr).not.toContain('\r');
    expect(piped.stderr).toMatch(/^3 files, 600\.0 KiB in \d+\.\d s /m);
    expect(terminal.stderr).toContain('\r\x1b[2K[3/3] data/weights.bin  [');
    expect(terminal.stderr.split('\x1b[2K')).toContainEqual(
      expect.stringMatching(
        /^data\/weights\.bin {2}600\.0 KiB {2}\S+ MiB\/s {2}\d+\.\d s\n/
      )
    );
  });

  it('exits 1 with the status message when registration fails', async () => {
    // Prepare
    await startRegistry({ registration: 'FAILED_REGISTRATION' });
    const { root } = modelDirectory();

    // Act
    const result = await cli(['register', 'fraud', root]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      'stagegate: version 1 of fraud failed to register (FAILED_REGISTRATION): checksum of weights.bin does not match'
    );
  });

  it('gives up waiting after --wait-timeout, saying how to follow the version', async () => {
    // Prepare
    await startRegistry({ pendingPolls: 1_000 });
    const { root } = modelDirectory();

    // Act
    const result = await cli([
      'register',
      'fraud',
      root,
      '--wait-timeout',
      '30',
    ]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'version 1 of fraud is still PENDING_REGISTRATION after 30 s; follow it with stagegate versions show fraud 1'
    );
  });

  it('reports an expired upload URL with the session expiry and without the signature', async () => {
    // Prepare
    await startRegistry({ expiredUrls: true });
    const { root } = modelDirectory();

    // Act
    const result = await cli(['register', 'fraud', root]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `stagegate: upload of MLmodel failed: storage at ${registry.url} answered 403 AccessDenied: Request has expired (the upload session's URLs expire at 2030-01-01T00:00:00.000Z)`
    );
    expect(result.stderr).not.toContain('Signature');
    expect(registry.versions).toEqual([]);
  });

  it('returns at once with --wait-timeout 0, printing the pending version', async () => {
    // Prepare
    await startRegistry();
    const { root } = modelDirectory();

    // Act
    const result = await cli([
      'register',
      'fraud',
      root,
      '--wait-timeout',
      '0',
      '--json',
    ]);

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).model_version).toMatchObject({
      name: 'fraud',
      version: '1',
      status: 'PENDING_REGISTRATION',
    });
    expect(
      registry.apiRequests.some((r) => r.path.endsWith('/model-versions/get'))
    ).toBe(false);
  });

  it('refuses an empty directory before calling the registry', async () => {
    // Prepare
    await startRegistry();
    mkdirSync(join(dir, 'empty'));

    // Act
    const result = await cli(['register', 'fraud', join(dir, 'empty')]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('has no files to register');
    expect(registry.apiRequests).toEqual([]);
  });
});

describe('stagegate download', () => {
  const files = {
    MLmodel: Buffer.from('flavors: {}\n'),
    'data/weights.bin': randomBytes(300 * KiB),
  };

  it('writes byte-identical files for a version number', async () => {
    // Prepare
    await startRegistry();
    registry.addVersion('fraud', files);
    const out = join(dir, 'out');

    // Act
    const result = await cli(['download', 'models:/fraud/1', out]);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `fraud version 1: 2 files (300.0 KiB) verified in ${out}\n`
    );
    for (const [path, bytes] of Object.entries(files)) {
      expect(readFileSync(join(out, path)).equals(bytes)).toBe(true);
    }
    expect(
      registry.storageRequests.every(
        (r) => r.headers.authorization === undefined
      )
    ).toBe(true);
  });

  it('resolves a stage to its latest version and latest to the highest version', async () => {
    // Prepare
    await startRegistry();
    registry.addVersion('fraud', { a: Buffer.from('1') }, 'Production');
    registry.addVersion('fraud', { a: Buffer.from('2') }, 'Production');
    registry.addVersion('fraud', { a: Buffer.from('3') }, 'Staging');

    // Act
    const production = await cli([
      'download',
      'models:/fraud/production',
      join(dir, 'p'),
    ]);
    const latest = await cli([
      'download',
      'models:/fraud/latest',
      join(dir, 'l'),
    ]);
    const archived = await cli([
      'download',
      'models:/fraud/Archived',
      join(dir, 'x'),
    ]);

    // Assess
    expect(production.stdout).toContain('fraud version 2:');
    expect(readFileSync(join(dir, 'p', 'a'), 'utf8')).toBe('2');
    expect(latest.stdout).toContain('fraud version 3:');
    expect(archived.code).toBe(1);
    expect(archived.stderr).toContain(
      `registered model fraud has no version in stage Archived on ${registry.url}`
    );
  });

  it('exits 1 on a checksum mismatch and leaves no bad file behind', async () => {
    // Prepare
    await startRegistry();
    registry.addVersion('fraud', files);
    registry.corruptDownloads.add('data/weights.bin');
    const out = join(dir, 'out');

    // Act
    const result = await cli(['download', 'models:/fraud/1', out]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `checksum mismatch for data/weights.bin: expected sha256 ${sha256(files['data/weights.bin'])}`
    );
    expect(readdirSync(join(out, 'data'))).toEqual([]);
  });

  it('refuses a version that is not READY, with its status message', async () => {
    // Prepare
    await startRegistry();
    const version = registry.addVersion('fraud', files);
    version.status = 'FAILED_REGISTRATION';
    version.status_message = 'copy of data/weights.bin failed';

    // Act
    const result = await cli(['download', 'models:/fraud/1', join(dir, 'out')]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'stagegate: version 1 of fraud is FAILED_REGISTRATION: copy of data/weights.bin failed\n'
    );
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('writes nothing when the listing holds a path outside the directory', async () => {
    // Prepare
    await startRegistry();
    registry.addVersion('fraud', files);
    registry.extraListing = [
      {
        path: '../../evil',
        size: 1,
        sha256: 'x',
        url: `${registry.url}/storage/x`,
      },
    ];

    // Act
    const result = await cli(['download', 'models:/fraud/1', join(dir, 'out')]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('unsafe file path "../../evil"');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('names a missing model and a missing version', async () => {
    // Prepare
    await startRegistry();
    registry.addVersion('fraud', files);

    // Act
    const model = await cli(['download', 'models:/nope/1', join(dir, 'out')]);
    const version = await cli([
      'download',
      'models:/fraud/7',
      join(dir, 'out'),
    ]);

    // Assess
    expect(model.stderr).toBe(
      `stagegate: registered model nope does not exist on ${registry.url}\n`
    );
    expect(version.stderr).toBe(
      `stagegate: version 7 of registered model fraud does not exist on ${registry.url}\n`
    );
  });
});

describe('stagegate models list', () => {
  it('pages through every page', async () => {
    // Prepare
    await startRegistry({ pageSize: 2 });
    for (const name of ['e', 'd', 'c', 'b', 'a']) registry.models.set(name, {});

    // Act
    const table = await cli(['models', 'list']);
    const json = await cli(['models', 'list', '--json']);

    // Assess
    expect(
      table.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(' ')[0])
    ).toEqual(['NAME', 'a', 'b', 'c', 'd', 'e']);
    expect(
      JSON.parse(json.stdout).registered_models.map(
        (m: { name: string }) => m.name
      )
    ).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(
      registry.apiRequests.filter((r) => r.path.endsWith('/search'))
    ).toHaveLength(6);
  });

  it('explains a refused token (exit 1)', async () => {
    // Prepare
    await startRegistry();

    // Act
    const result = await runCli(['models', 'list'], {
      env: { STAGEGATE_HOST: registry.url, STAGEGATE_TOKEN: 'dapi-wrong' },
    });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `the registry at ${registry.url} refused the token (token from STAGEGATE_TOKEN)`
    );
    expect(result.stderr).not.toContain('dapi-wrong');
  });
});

describe('stagegate approve', () => {
  it('waits for the registry to apply the approval, then prints the version in its stage', async () => {
    // Prepare
    await startRegistry({ approvalPolls: 3 });
    registry.addVersion('fraud', {});

    // Act
    const result = await cli(['approve', 'fraud', '1', 'staging']);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('approved: fraud version 1 is now in Staging\n');
    expect(
      registry.apiRequests.filter((r) => r.path.endsWith('/model-versions/get'))
    ).toHaveLength(4);
  });

  it('says the version is not there yet when the application does not follow in time', async () => {
    // Prepare
    await startRegistry({ approvalPolls: Number.POSITIVE_INFINITY });
    registry.addVersion('fraud', {});

    // Act
    const result = await cli(['approve', 'fraud', '1', 'Production']);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      'approved: fraud version 1 is still in None after 30 s; the registry moves it to Production when it applies the approval (follow it with stagegate versions show fraud 1)\n'
    );
  });
});

describe('stagegate approve on a protected stage', () => {
  it('says how many approvals the request still needs, without waiting for an application', async () => {
    // Prepare
    await startRegistry({ approvalsRemaining: 1 });
    registry.addVersion('fraud', {});

    // Act
    const result = await cli(['approve', 'fraud', '1', 'Production']);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      'approved: the request to move fraud version 1 to Production needs 1 more approval (by others than the requester and you) before it is applied\n'
    );
    expect(
      registry.apiRequests.filter((r) => r.path.endsWith('/model-versions/get'))
    ).toHaveLength(0);
  });
});

function openRequest(
  name: string,
  version: string,
  to: string,
  at: number
): FakeRequest {
  return {
    name,
    version,
    to_stage: to,
    from_stage: 'None',
    user_id: 'alice@example.com',
    creation_timestamp: at,
    approvals_required: to === 'Production' ? 2 : 1,
    approvals_remaining: 1,
    comment: 'please',
  };
}

describe('stagegate requests', () => {
  it('lists every version’s open requests without a version, one version’s with it', async () => {
    // Prepare
    await startRegistry();
    registry.addVersion('fraud', {});
    registry.openRequests.push(
      openRequest('fraud', '2', 'Production', Date.UTC(2025, 0, 31, 14, 5)),
      openRequest('fraud', '1', 'Staging', Date.UTC(2025, 0, 30, 9, 0))
    );

    // Act
    const all = await cli(['requests', 'fraud']);
    const one = await cli(['requests', 'fraud', '1', '--json']);
    const none = await cli(['requests', 'fraud', '3']);

    // Assess
    expect(all.code).toBe(0);
    expect(all.stdout).toBe(
      [
        'MODEL  VERSION  STAGES             REQUESTED BY       CREATED           APPROVALS  COMMENT',
        'fraud  2        None → Production  alice@example.com  2025-01-31 14:05  1 of 2     please',
        'fraud  1        None → Staging     alice@example.com  2025-01-30 09:00  0 of 1     please',
        '',
      ].join('\n')
    );
    expect(JSON.parse(one.stdout).requests).toEqual([
      expect.objectContaining({ version: '1', to_stage: 'Staging' }),
    ]);
    expect(none.code).toBe(0);
    expect(none.stderr).toContain(
      'no open transition requests on fraud version 3'
    );
    const lists = registry.apiRequests.filter((r) =>
      r.path.endsWith('/transition-requests/list')
    );
    expect(lists.map((r) => r.body)).toEqual([
      { name: 'fraud' },
      { name: 'fraud', version: '1' },
      { name: 'fraud', version: '3' },
    ]);
  });

  it('refuses a version that is not a number, and a fourth argument', async () => {
    // Prepare
    await startRegistry();

    // Act
    const notANumber = await cli(['requests', 'fraud', 'latest']);
    const tooMany = await cli(['requests', 'fraud', '1', 'Staging']);

    // Assess
    expect(notANumber.code).toBe(2);
    expect(notANumber.stderr).toContain(
      "version must be a positive number, not 'latest'"
    );
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toContain("unexpected argument 'Staging'");
    expect(registry.apiRequests).toEqual([]);
  });
});

describe('stagegate inbox', () => {
  it('follows every page of the inbox and prints the requests newest first', async () => {
    // Prepare
    await startRegistry({ inboxPageSize: 1 });
    registry.openRequests.push(
      openRequest('fraud', '2', 'Production', Date.UTC(2025, 0, 31, 14, 5)),
      openRequest('churn', '1', 'Staging', Date.UTC(2025, 0, 30, 9, 0))
    );

    // Act
    const result = await cli(['inbox']);
    const asJson = await cli(['inbox', '--json']);

    // Assess
    expect(result.code).toBe(0);
    expect(
      result.stdout
        .split('\n')
        .slice(1)
        .map((line) => line.split(' ')[0])
    ).toEqual(['fraud', 'churn', '']);
    expect(
      registry.apiRequests
        .filter((r) => r.path.endsWith('/transition-requests/inbox'))
        .slice(0, 2)
        .map((r) => r.body)
    ).toEqual([
      { max_results: '1000' },
      { max_results: '1000', page_token: '1' },
    ]);
    expect(
      (JSON.parse(asJson.stdout).requests as { name: string }[]).map(
        (r) => r.name
      )
    ).toEqual(['fraud', 'churn']);
  });

  it('says when nothing waits', async () => {
    // Prepare
    await startRegistry();

    // Act
    const result = await cli(['inbox']);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      `nothing waits for your approval on ${registry.url}`
    );
  });
});
