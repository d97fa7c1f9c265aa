import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from '#local/paths.ts';

/**
 * What `npm ci` would check if it knew which Node runs the project. npm
 * compares engines with the Node that runs npm itself (20 is enough, see
 * devEngines), while every script runs under the Node 22 the project brings
 * (node_modules/.bin/node); its warnings are off in .npmrc, and these
 * checks stand in for them, against the right Node.
 */
interface LockedPackage {
  readonly version?: string;
  readonly engines?: Record<string, string>;
  readonly os?: string | string[];
  readonly cpu?: string | string[];
  readonly optional?: boolean;
  readonly devOptional?: boolean;
  readonly hasInstallScript?: boolean;
  readonly bin?: Record<string, string>;
  readonly link?: boolean;
}

interface Manifest {
  readonly engines: { node: string };
  readonly devEngines: { runtime: { name: string; version: string } };
  readonly optionalDependencies: Record<string, string>;
  readonly allowScripts?: Record<string, boolean>;
}

const read = (path: string) =>
  JSON.parse(readFileSync(join(repositoryRoot, path), 'utf8')) as unknown;
const manifest = read('package.json') as Manifest;
const cliManifest = read('cli/package.json') as {
  engines: { node: string };
};
const lock = read('package-lock.json') as {
  packages: Record<string, LockedPackage>;
};
const locked = Object.entries(lock.packages).filter(([path]) => path !== '');

/** Where developers and CI run the project. */
const PLATFORMS = [
  { os: 'linux', cpu: 'x64' },
  { os: 'linux', cpu: 'arm64' },
  { os: 'darwin', cpu: 'x64' },
  { os: 'darwin', cpu: 'arm64' },
] as const;

const asList = (value: string | string[] | undefined) =>
  value === undefined ? [] : [value].flat();

/** The Node package npm installs on a platform (`os`/`cpu` of its entry). */
function nodeFor(platform: (typeof PLATFORMS)[number]) {
  return Object.keys(manifest.optionalDependencies)
    .map((name) => ({ name, entry: lock.packages[`node_modules/${name}`] }))
    .filter(
      ({ entry }) =>
        entry?.bin?.node !== undefined &&
        asList(entry.os).includes(platform.os) &&
        asList(entry.cpu).includes(platform.cpu)
    );
}

describe('install hygiene', () => {
  it.each(PLATFORMS)(
    'brings exactly one Node 22 on $os-$cpu, as an optional dependency',
    (platform) => {
      // Act
      const nodes = nodeFor(platform);

      // Assess
      expect(nodes).toHaveLength(1);
      const [node] = nodes;
      expect(node?.entry?.optional).toBe(true);
      expect(semver.major(node?.entry?.version ?? '0.0.0')).toBe(22);
    }
  );

  it.each(PLATFORMS)(
    "satisfies every locked package's engines with the Node it brings on $os-$cpu",
    (platform) => {
      // Prepare
      const version = nodeFor(platform)[0]?.entry?.version ?? '0.0.0';

      // Act
      const unsatisfied = [
        ['stagegate', manifest.engines.node],
        ...locked.map(([path, entry]) => [path, entry.engines?.node]),
      ].filter(
        ([, range]) =>
          range !== undefined &&
          !semver.satisfies(version, range, { includePrerelease: true })
      );

      // Assess
      expect(unsatisfied).toEqual([]);
    }
  );

  it('lets npm itself run under Node 20, as the built CLI does', () => {
    // Assess
    expect(manifest.devEngines.runtime.name).toBe('node');
    expect(
      semver.satisfies('20.0.0', manifest.devEngines.runtime.version)
    ).toBe(true);
    expect(semver.minVersion(cliManifest.engines.node)?.major).toBe(20);
  });

  it('installs platform-specific packages only as optional ones', () => {
    // Act
    const hard = locked.filter(
      ([, entry]) =>
        (entry.os !== undefined || entry.cpu !== undefined) &&
        entry.optional !== true
    );

    // Assess
    expect(hard.map(([path]) => path)).toEqual([]);
  });

  it('has a decision in allowScripts for every install script', () => {
    // Act
    const undecided = locked
      .filter(([, entry]) => entry.hasInstallScript === true)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 13))
      .filter(
        (name) =>
          !Object.keys(manifest.allowScripts ?? {}).some(
            (key) => key === name || key.startsWith(`${name}@`)
          )
      );

    // Assess
    expect(undecided).toEqual([]);
  });
});
