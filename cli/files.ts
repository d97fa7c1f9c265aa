/**
 * Local files: the directory walk behind `register` and the streamed
 * SHA-256 that both `register` and `download` rely on.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CliError } from './errors.ts';

export interface LocalFile {
  /** Relative to the walked directory, `/`-separated: the artifact path. */
  readonly path: string;
  readonly absolutePath: string;
  readonly size: number;
}

/**
 * Every regular file under `root`, sorted by path. As MLflow's
 * `log_artifacts` (os.walk): a symlink to a file is followed and uploaded as
 * a file, a symlink to a directory is not descended into (no loops).
 * @throws CliError when `root` is not a directory.
 */
export async function walkDirectory(root: string): Promise<LocalFile[]> {
  const top = resolve(root);
  const info = await stat(top).catch(() => undefined);
  if (!info?.isDirectory()) throw new CliError(`${root} is not a directory`);
  const files: LocalFile[] = [];
  const visit = async (dir: string, prefix: string) => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      const absolutePath = join(dir, entry.name);
      const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) {
        await visit(absolutePath, path);
      } else if (entry.isFile()) {
        files.push({
          path,
          absolutePath,
          size: (await stat(absolutePath)).size,
        });
      } else if (entry.isSymbolicLink()) {
        const target = await stat(absolutePath).catch(() => undefined);
        if (target?.isFile())
          files.push({ path, absolutePath, size: target.size });
      }
    }
  };
  await visit(top, '');
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Hex SHA-256 of a file, read as a stream (constant memory for any size). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path, { highWaterMark: 1024 * 1024 }), hash);
  return hash.digest('hex');
}

/**
 * Where a file the registry lists goes under `dir`. The registry's paths are
 * input from the network: absolute paths, `..` segments, backslashes and
 * empty segments are refused so a listing can never write outside `dir`.
 * @throws CliError for a path that would leave `dir`.
 */
export function safeDestination(dir: string, path: string): string {
  const segments = path.split('/');
  const unsafe =
    path === '' ||
    isAbsolute(path) ||
    path.includes('\\') ||
    path.includes('\0') ||
    segments.some((s) => s === '' || s === '.' || s === '..');
  const root = resolve(dir);
  const destination = resolve(root, ...segments);
  if (unsafe || !destination.startsWith(root + sep)) {
    throw new CliError(
      `the registry listed an unsafe file path ${JSON.stringify(path)}; nothing was written for it`
    );
  }
  return destination;
}
