import { type ChildProcess, spawn } from 'node:child_process';
import { repositoryRoot } from '#local/paths.ts';

export interface StartedRegistry {
  readonly child: ChildProcess;
  readonly url: string;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
}

/**
 * Starts `node local/main.ts` — what `npm start` runs — as a child process
 * with its own data directory and a free port, and waits for its
 * "listening on" line.
 * @throws when it exits or prints nothing usable within `timeoutMs`.
 */
export function startRegistryProcess(options: {
  dataDir: string;
  port?: number;
  adminToken?: string;
  env?: Record<string, string>;
  /** Use `npm start` itself instead of the node command it runs. */
  viaNpm?: boolean;
  timeoutMs?: number;
}): Promise<StartedRegistry> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    STAGEGATE_DATA_DIR: options.dataDir,
    STAGEGATE_PORT: String(options.port ?? 0),
    AUTHORIZER_CACHE_TTL_SECONDS: '1',
    ...options.env,
  };
  if (options.adminToken) env.STAGEGATE_ADMIN_TOKEN = options.adminToken;
  else delete env.STAGEGATE_ADMIN_TOKEN;
  const child = options.viaNpm
    ? spawn('npm', ['start', '--silent'], {
        cwd: repositoryRoot,
        env,
        // Its own process group, so a test can signal it like a terminal.
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawn(process.execPath, ['local/main.ts'], {
        cwd: repositoryRoot,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>(
    (resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`registry did not start in time:\n${output}`));
    }, options.timeoutMs ?? 60_000);
    // Looks for the line until it is found, then stops: the registry prints
    // a line per request, and re-scanning the whole output on each one
    // costs the caller quadratic time (it dominated a benchmark's client).
    const onData = () => {
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve({ child, url, output: () => output, exited });
      }
    };
    child.stdout?.on('data', onData);
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(
        new Error(
          `registry exited (${code ?? signal}) while starting:\n${output}`
        )
      );
    });
  });
}
