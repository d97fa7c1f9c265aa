import { type CliIo, run } from '../../../../cli/main.ts';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the CLI in-process with captured output. `env` replaces the process
 * environment entirely, so nothing of the developer's shell (a real
 * STAGEGATE_TOKEN, say) leaks into a test.
 */
export async function runCli(
  argv: readonly string[],
  options: {
    env?: Record<string, string>;
    isTTY?: boolean;
    stdin?: string;
    fetch?: typeof fetch;
    /** Aborted as Ctrl-C aborts the real process's. */
    signal?: AbortSignal;
  } = {}
): Promise<CliResult> {
  // A virtual clock: sleeping advances it, so polling runs instantly.
  let now = 1_700_000_000_000;
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: {
      write(text) {
        stdout += text;
      },
    },
    stderr: {
      write(text) {
        stderr += text;
      },
      isTTY: options.isTTY ?? false,
      columns: 120,
    },
    env: options.env ?? {},
    readStdin: async () => options.stdin ?? '',
    sleep: async (ms) => {
      now += ms;
    },
    now: () => now,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}
