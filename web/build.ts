import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildSync } from 'esbuild';
import { repositoryRoot } from '#local/paths.ts';
import type { WebAsset, WebAssets } from './assets.ts';

const webRoot = join(repositoryRoot, 'web');
const IMMUTABLE = 'public, max-age=31536000, immutable';
const NO_CACHE = 'no-cache';

/**
 * Bundles the page with esbuild (about 0.1 s; synchronous, so CDK
 * synthesis can call it): the script and the style
 * sheet get content-hashed names, so a CDN may keep them forever, and the
 * HTML that names them is never cached.
 */
export function buildWebAssets(): WebAssets {
  const result = buildSync({
    entryPoints: [join(webRoot, 'src/main.ts')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const script = result.outputFiles[0]?.contents;
  if (!script) throw new Error('esbuild produced no script for the web page.');
  const css = readFileSync(join(webRoot, 'app.css'));
  const scriptPath = `/assets/app-${hash(script)}.js`;
  const cssPath = `/assets/app-${hash(css)}.css`;
  const html = readFileSync(join(webRoot, 'index.html'), 'utf8')
    .replace('/assets/app.js', scriptPath)
    .replace('/assets/app.css', cssPath);
  return new Map<string, WebAsset>([
    [
      '/index.html',
      {
        body: Buffer.from(html),
        contentType: 'text/html; charset=utf-8',
        cacheControl: NO_CACHE,
      },
    ],
    [
      scriptPath,
      {
        body: Buffer.from(script),
        contentType: 'text/javascript; charset=utf-8',
        cacheControl: IMMUTABLE,
      },
    ],
    [
      cssPath,
      {
        body: css,
        contentType: 'text/css; charset=utf-8',
        cacheControl: IMMUTABLE,
      },
    ],
  ]);
}

/** Writes the built page to `directory` (for the CDK deployment). */
export function writeWebAssets(directory: string): void {
  rmSync(directory, { recursive: true, force: true });
  for (const [path, asset] of buildWebAssets()) {
    const file = join(directory, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, asset.body);
  }
}

function hash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 12);
}
