/**
 * `npm run smoke -- --url <registry URL> --token <token>`: the post-deploy
 * smoke test. Non-destructive: it touches nothing but a temporary model of
 * its own (`stagegate-smoke-<random>`), which it deletes whatever happens.
 *
 *   health ─▶ auth (no token refused, the token accepted)
 *     ─▶ create, read a temporary model
 *     ─▶ presigned round trip: uploads/create ─▶ PUT ─▶ uploads/complete
 *        ─▶ model-versions/create ─▶ READY ─▶ files ─▶ GET, same bytes
 *     ─▶ delete the version and the model; the model is gone
 *
 * The token may come from `STAGEGATE_TOKEN` instead of `--token`, which
 * keeps it out of the shell history and the process list. The token needs
 * to create models (any user may); the deleted model's stored files go with
 * the cleanup job's next purge, as any deleted model's do.
 *
 * Exit code 0 when every check passed, 1 otherwise (each failure printed).
 */
import { createHash, randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const MLFLOW = '/api/2.0/mlflow';
const STAGEGATE = '/api/2.0/stagegate';
const DEFAULT_WAIT_SECONDS = 300;
const POLL_MS = 1000;

export interface SmokeOptions {
  /** The registry's base URL (custom domain or execute-api endpoint). */
  readonly url: string;
  readonly token: string;
  /** How long the registration of the temporary version may take. */
  readonly waitSeconds?: number;
  /** Where progress lines go. */
  readonly log?: (line: string) => void;
}

export interface SmokeReport {
  readonly ok: boolean;
  /** The temporary model's name. */
  readonly model: string;
  readonly checks: readonly { name: string; ok: boolean; detail?: string }[];
}

class CheckFailed extends Error {}

/**
 * Runs the checks in order, stopping at the first failure, then deletes
 * the temporary model whatever happened.
 */
export async function runSmoke(options: SmokeOptions): Promise<SmokeReport> {
  const base = options.url.replace(/\/+$/, '');
  const log = options.log ?? (() => {});
  const model = `stagegate-smoke-${randomBytes(6).toString('hex')}`;
  const checks: { name: string; ok: boolean; detail?: string }[] = [];
  let created = false;

  const request = async (
    method: string,
    path: string,
    init: { body?: unknown; token?: string | null; redirect?: 'manual' } = {}
  ) => {
    const token = init.token === undefined ? options.token : init.token;
    const response = await fetch(`${base}${path}`, {
      method,
      redirect: init.redirect ?? 'follow',
      headers: {
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(init.body === undefined
          ? {}
          : { 'content-type': 'application/json' }),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    const text = await response.text();
    let body: Record<string, unknown> = {};
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      body = { text: text.slice(0, 200) };
    }
    return { status: response.status, body };
  };
  const ok = async (
    method: string,
    path: string,
    body?: unknown
  ): Promise<Record<string, unknown>> => {
    const response = await request(method, path, { body });
    if (response.status !== 200) {
      throw new CheckFailed(
        `${method} ${path.split('?')[0]} answered ${response.status}: ${JSON.stringify(response.body).slice(0, 300)}`
      );
    }
    return response.body;
  };
  const check = async (
    name: string,
    run: () => Promise<string | undefined>
  ) => {
    try {
      const detail = (await run()) ?? undefined;
      checks.push({ name, ok: true, ...(detail ? { detail } : {}) });
      log(`ok    ${name}${detail ? ` (${detail})` : ''}`);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      checks.push({ name, ok: false, detail });
      log(`FAIL  ${name}: ${detail}`);
      throw new CheckFailed(detail);
    }
  };
  const query = (params: Record<string, string>) =>
    new URLSearchParams(params).toString();

  try {
    await check('health', async () => {
      const health = await request('GET', '/health', { token: null });
      if (health.status !== 200) {
        throw new CheckFailed(`GET /health answered ${health.status}`);
      }
    });

    await check('auth', async () => {
      const path = `${MLFLOW}/registered-models/search?${query({ max_results: '1' })}`;
      const anonymous = await request('GET', path, { token: null });
      const wrong = await request('GET', path, {
        token: `dapi${'0'.repeat(32)}`,
      });
      for (const [who, answer] of [
        ['without a token', anonymous],
        ['with an unknown token', wrong],
      ] as const) {
        if (answer.status !== 401) {
          throw new CheckFailed(
            `a request ${who} answered ${answer.status}, not 401`
          );
        }
      }
      await ok('GET', path);
    });

    await check('create and read a temporary model', async () => {
      await ok('POST', `${MLFLOW}/registered-models/create`, {
        name: model,
        description: 'Temporary model of the post-deploy smoke test.',
      });
      created = true;
      const got = await ok(
        'GET',
        `${MLFLOW}/registered-models/get?${query({ name: model })}`
      );
      const name = (got.registered_model as { name?: unknown } | undefined)
        ?.name;
      if (name !== model) {
        throw new CheckFailed(`registered-models/get answered ${name}`);
      }
      return model;
    });

    await check('presigned round trip', async () => {
      const content = Buffer.from(
        `flavors: {}\nsmoke: ${randomBytes(8).toString('hex')}\n`
      );
      const sha256 = createHash('sha256').update(content).digest('hex');
      const upload = await ok('POST', `${STAGEGATE}/uploads/create`, {
        name: model,
        files: [{ path: 'MLmodel', size: content.length }],
      });
      const uploadId = String(upload.upload_id);
      const [target] = upload.files as { path: string; url?: string }[];
      if (!target?.url) throw new CheckFailed('no presigned PUT URL');
      const put = await fetch(target.url, { method: 'PUT', body: content });
      if (!put.ok) {
        throw new CheckFailed(`storage answered the PUT ${put.status}`);
      }
      await put.arrayBuffer();
      const completed = await ok('POST', `${STAGEGATE}/uploads/complete`, {
        upload_id: uploadId,
        files: [{ path: 'MLmodel', size: content.length, sha256 }],
      });
      const version = await ok('POST', `${MLFLOW}/model-versions/create`, {
        name: model,
        source: completed.source,
      });
      const number = String(
        (version.model_version as { version?: unknown } | undefined)?.version
      );
      const deadline =
        Date.now() + (options.waitSeconds ?? DEFAULT_WAIT_SECONDS) * 1000;
      for (;;) {
        const got = await ok(
          'GET',
          `${MLFLOW}/model-versions/get?${query({ name: model, version: number })}`
        );
        const status = (got.model_version as { status?: unknown } | undefined)
          ?.status;
        if (status === 'READY') break;
        if (status !== 'PENDING_REGISTRATION') {
          throw new CheckFailed(`the version became ${String(status)}`);
        }
        if (Date.now() > deadline) {
          throw new CheckFailed('the version did not become READY in time');
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      const listed = await ok(
        'GET',
        `${STAGEGATE}/model-versions/files?${query({ name: model, version: number })}`
      );
      const file = (listed.files as { path: string; url: string }[]).find(
        (entry) => entry.path === 'MLmodel'
      );
      if (!file) throw new CheckFailed('the version lists no MLmodel');
      const download = await fetch(file.url);
      const bytes = Buffer.from(await download.arrayBuffer());
      if (!download.ok || !bytes.equals(content)) {
        throw new CheckFailed(
          `the presigned GET answered ${download.status} with other bytes`
        );
      }
      await ok('DELETE', `${MLFLOW}/model-versions/delete`, {
        name: model,
        version: number,
      });
      return `${content.length} bytes up and back`;
    });
  } catch (error) {
    if (!(error instanceof CheckFailed)) throw error;
  } finally {
    if (created) {
      await check('delete the temporary model', async () => {
        await ok('DELETE', `${MLFLOW}/registered-models/delete`, {
          name: model,
        });
        const gone = await request(
          'GET',
          `${MLFLOW}/registered-models/get?${query({ name: model })}`
        );
        if (gone.status !== 404) {
          throw new CheckFailed(`the deleted model answered ${gone.status}`);
        }
      }).catch((error: unknown) => {
        if (!(error instanceof CheckFailed)) throw error;
      });
    }
  }
  return { ok: checks.every((entry) => entry.ok), model, checks };
}

const USAGE = `usage: npm run smoke -- --url <registry URL> [--token <token>] [--wait-seconds <n>]

The post-deploy smoke test: health, auth, a temporary model and a presigned
round trip, deleted again. The token may come from STAGEGATE_TOKEN instead
of --token. Exit code 0 when every check passed, 1 otherwise.
`;

async function main(): Promise<number> {
  let values: {
    url?: string | undefined;
    token?: string | undefined;
    'wait-seconds'?: string | undefined;
    help?: boolean | undefined;
  };
  try {
    ({ values } = parseArgs({
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        'wait-seconds': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    console.error(`smoke: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const token = values.token ?? process.env.STAGEGATE_TOKEN;
  if (!values.url || !token) {
    console.error(`smoke: --url and a token are needed\n${USAGE}`);
    return 2;
  }
  const waitSeconds =
    values['wait-seconds'] === undefined
      ? undefined
      : Number(values['wait-seconds']);
  if (
    waitSeconds !== undefined &&
    !(Number.isInteger(waitSeconds) && waitSeconds > 0)
  ) {
    console.error('--wait-seconds must be a whole number of seconds above 0');
    return 2;
  }
  const report = await runSmoke({
    url: values.url,
    token,
    waitSeconds,
    log: (line) => console.log(line),
  });
  console.log(
    report.ok
      ? `smoke test passed against ${values.url}`
      : `smoke test FAILED against ${values.url}`
  );
  return report.ok ? 0 : 1;
}

if (
  process.argv[1] &&
  import.meta.url === pathToFileURL(process.argv[1]).href
) {
  process.exitCode = await main();
}
