import { spawnSync } from 'node:child_process';
import { delimiter, join } from 'node:path';

/**
 * The Node a user has, outside the project: the first `node` on PATH that
 * is not the project's own (node_modules/.bin). On this kind of machine it
 * is the system's Node 20.
 */
export function systemNode(): { path: string; version: string } {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '' || dir.includes('node_modules')) continue;
    const path = join(dir, 'node');
    const result = spawnSync(path, ['--version'], { encoding: 'utf8' });
    if (result.status === 0) return { path, version: result.stdout.trim() };
  }
  throw new Error('no node on PATH outside the project');
}
