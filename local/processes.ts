import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalRuntimeError } from './errors.ts';

const RUNTIME_FILE = 'runtime.pid';
const ENGINES_FILE = 'engines.json';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/**
 * Claims the data directory for this process.
 * @throws LocalRuntimeError when another live runtime holds it (two engines
 *   on one DynamoDB file would corrupt it).
 */
export function claimDataDir(dataDir: string): void {
  const file = join(dataDir, RUNTIME_FILE);
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (
      Number.isInteger(pid) &&
      pid !== process.pid &&
      isAlive(pid) &&
      commandLine(pid).includes('node')
    ) {
      throw new LocalRuntimeError(
        `The data directory ${dataDir} is in use by another stagegate (pid ${pid}): stop it, or set STAGEGATE_DATA_DIR to another directory.`
      );
    }
  }
  writeFileSync(file, `${process.pid}\n`);
}

export function releaseDataDir(dataDir: string): void {
  const file = join(dataDir, RUNTIME_FILE);
  if (
    existsSync(file) &&
    readFileSync(file, 'utf8').trim() === String(process.pid)
  ) {
    rmSync(file);
  }
}

/** Remembers engine processes, so a later start can clean up after a crash. */
export function recordEngines(dataDir: string, pids: readonly number[]): void {
  writeFileSync(join(dataDir, ENGINES_FILE), JSON.stringify(pids));
}

export function forgetEngines(dataDir: string): void {
  rmSync(join(dataDir, ENGINES_FILE), { force: true });
}

/**
 * Kills engine processes left by a runtime that was killed (SIGKILL gives it
 * no chance to stop them). Only processes whose command line names this data
 * directory are touched, so a recycled pid is never hit.
 * @returns how many stale processes were killed.
 */
export async function killStaleEngines(dataDir: string): Promise<number> {
  const file = join(dataDir, ENGINES_FILE);
  if (!existsSync(file)) return 0;
  let pids: unknown;
  try {
    pids = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    pids = [];
  }
  let killed = 0;
  for (const pid of Array.isArray(pids) ? pids : []) {
    if (typeof pid !== 'number' || !isAlive(pid)) continue;
    if (!commandLine(pid).includes(dataDir)) continue;
    process.kill(pid, 'SIGKILL');
    killed += 1;
    const deadline = Date.now() + 5000;
    while (isAlive(pid) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  rmSync(file, { force: true });
  return killed;
}
