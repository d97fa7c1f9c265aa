import { fileURLToPath } from 'node:url';

/** The repository root, whatever the working directory. */
export const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));
