import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildOpenApiDocument, type JsonObject } from '#http/openapi.ts';
import { groupRoots } from './index.ts';

const repository = join(import.meta.dirname, '..', '..');

/** Where the API reference is kept (and what `GET /api/openapi.json` serves). */
export const OPENAPI_FILE = join(repository, 'docs', 'openapi.json');

/** The registry's API reference, from every group's operations. */
export async function registryOpenApiDocument(): Promise<JsonObject> {
  const manifest = JSON.parse(
    await readFile(join(repository, 'package.json'), 'utf8')
  ) as { version: string };
  return buildOpenApiDocument(
    Object.values(groupRoots).flatMap((root) => root.operations),
    { version: manifest.version }
  );
}

/** The document as `docs/openapi.json` holds it. */
export function openApiText(document: JsonObject): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

// `npm run openapi` rewrites docs/openapi.json after a route or a schema
// changed (a unit test fails until it is current).
if (import.meta.main) {
  await writeFile(OPENAPI_FILE, openApiText(await registryOpenApiDocument()));
  console.log(`wrote ${OPENAPI_FILE}`);
}
