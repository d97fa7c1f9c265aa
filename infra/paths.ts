import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root, found from this file rather than from the working
 * directory, so `cdk synth`, vitest and editors resolve the same entries.
 */
export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** Absolute path of a file given relative to the repository root. */
export function fromRepoRoot(relativePath: string): string {
  return join(repoRoot, relativePath);
}
