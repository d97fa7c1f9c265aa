import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from '#local/paths.ts';

/** The repository's own text: code, docs and configuration. */
function files(directory = repositoryRoot): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name.startsWith('.') && entry.name !== '.ci') return [];
    if (['node_modules', 'cdk.out', 'coverage', 'dist'].includes(entry.name)) {
      return [];
    }
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return files(path);
    return /\.(ts|md|java)$/.test(entry.name) && path !== import.meta.filename
      ? [path]
      : [];
  });
}

const architecture = readFileSync(
  join(repositoryRoot, 'docs', 'architecture.md'),
  'utf8'
);
const decisions = new Set(
  [...architecture.matchAll(/^(\d+)\. \*\*/gm)].map((match) => match[1])
);

describe('docs/architecture.md', () => {
  it('is what the code cites, by decisions it has', () => {
    // Act
    const wrong = files().flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      const shown = relative(repositoryRoot, file);
      return [
        ...[...text.matchAll(/\bARCHITECTURE\.md\b/g)].map(
          () => `${shown} cites ARCHITECTURE.md, which is not in the repository`
        ),
        ...[...text.matchAll(/docs\/architecture\.md, decisions? (\d+)/g)]
          .filter((match) => !decisions.has(match[1]))
          .map((match) => `${shown} cites decision ${match[1]}`),
      ];
    });

    // Assess
    expect(decisions.size).toBeGreaterThan(0);
    expect(wrong).toEqual([]);
  });

  it('names only files and folders that exist', () => {
    // Prepare
    const named = [...architecture.matchAll(/`([a-z.-]+\/[^`*<>\s]*)`/g)]
      .map((match) => (match[1] as string).replace(/\/$/, ''))
      .filter((path) => !path.startsWith('api/'));

    // Act
    const missing = named.filter(
      (path) => !existsSync(join(repositoryRoot, path))
    );

    // Assess
    expect(named.length).toBeGreaterThan(10);
    expect(missing).toEqual([]);
  });
});
