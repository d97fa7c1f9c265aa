import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FUNCTIONS = join(ROOT, 'functions');

/** The subpath imports of package.json, `#domain/*` → `./functions/domain/*`. */
const SUBPATHS = Object.entries(
  (
    JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      imports: Record<string, string>;
    }
  ).imports
).map(([pattern, target]) => ({
  prefix: pattern.replace(/\*$/, ''),
  target: join(ROOT, target.replace(/\*$/, '')),
}));

/** Static imports and re-exports (type-only ones too), side-effect and dynamic imports. */
const IMPORT_PATTERNS = [
  /^\s*(?:import|export)\b[^;]*?\bfrom\s+['"]([^'"]+)['"]/gms,
  /^\s*import\s+['"]([^'"]+)['"]/gm,
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
];

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Each file under `functions/` with the specifiers it imports. */
function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  return IMPORT_PATTERNS.flatMap((pattern) =>
    [...source.matchAll(pattern)].map((match) => match[1] ?? '')
  );
}

/** The file a specifier names, or undefined for a package (`zod`, `node:fs`). */
function resolveSpecifier(from: string, specifier: string): string | undefined {
  if (specifier.startsWith('.')) return resolve(dirname(from), specifier);
  const subpath = SUBPATHS.find(({ prefix }) => specifier.startsWith(prefix));
  return subpath
    ? join(subpath.target, specifier.slice(subpath.prefix.length))
    : undefined;
}

function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(FUNCTIONS)) {
    graph.set(
      file,
      importsOf(file).flatMap((specifier) => {
        const target = resolveSpecifier(file, specifier);
        return target === undefined ? [] : [target];
      })
    );
  }
  return graph;
}

/** Every import cycle, each as the path of files that closes it. */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const onPath = new Set<string>();
  const visit = (file: string) => {
    path.push(file);
    onPath.add(file);
    for (const next of graph.get(file) ?? []) {
      if (onPath.has(next)) {
        found.push([...path.slice(path.indexOf(next)), next]);
      } else if (!done.has(next) && graph.has(next)) {
        visit(next);
      }
    }
    path.pop();
    onPath.delete(file);
    done.add(file);
  };
  for (const file of graph.keys()) if (!done.has(file)) visit(file);
  return found;
}

const shown = (file: string) => relative(ROOT, file);

describe('functions/ import graph', () => {
  it('has no import cycle, type-only imports included', () => {
    // Act
    const found = cycles(importGraph());

    // Assess
    expect(found.map((cycle) => cycle.map(shown).join(' → '))).toStrictEqual(
      []
    );
  });

  it('keeps domain and ports free of the outer layers and of AWS', () => {
    // Prepare
    const inner = ['domain', 'ports'].map((layer) => join(FUNCTIONS, layer));
    const isInner = (file: string) =>
      inner.some((layer) => file.startsWith(`${layer}/`));

    // Act
    const outward = sourceFiles(FUNCTIONS)
      .filter(isInner)
      .flatMap((file) =>
        importsOf(file)
          .filter((specifier) => {
            const target = resolveSpecifier(file, specifier);
            return target === undefined
              ? !specifier.startsWith('node:')
              : !isInner(target);
          })
          .map((specifier) => `${shown(file)} imports ${specifier}`)
      );

    // Assess
    expect(outward).toStrictEqual([]);
  });

  it('would see a cycle and a type-only import', () => {
    // Prepare: the shape that used to close one, directory ↔ its store port.
    const graph = new Map([
      ['domain/directory.ts', ['ports/directory-store.ts']],
      ['ports/directory-store.ts', ['domain/directory.ts']],
      ['domain/principal.ts', []],
    ]);
    const typeOnly = "import type { X } from '#ports/x.ts';\n";

    // Act
    const found = cycles(graph);
    const specifiers = [...typeOnly.matchAll(IMPORT_PATTERNS[0] ?? /$^/g)].map(
      (match) => match[1]
    );

    // Assess
    expect(found).toStrictEqual([
      [
        'domain/directory.ts',
        'ports/directory-store.ts',
        'domain/directory.ts',
      ],
    ]);
    expect(specifiers).toStrictEqual(['#ports/x.ts']);
  });
});
