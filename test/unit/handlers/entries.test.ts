import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { functionGroups, handlerEntry } from '#http/routes.ts';
import { repositoryRoot } from '#local/paths.ts';
import { groupRoots, otherRoots } from '#roots/index.ts';
import { environmentOf, type FunctionNeeds } from '#shared/needs.ts';

/**
 * Each Lambda entry point against the root it builds: with exactly the
 * variables of the root's needs (what the CDK stack sets, see the infra
 * test "carries the variables of its needs") it builds that root's handler
 * at cold start, and without one of them it fails naming it.
 */
interface RootsModule {
  groupRoots: Record<string, Root>;
  otherRoots: Record<string, Root>;
}
interface Root {
  needs: FunctionNeeds;
  build: (deps: never) => unknown;
}

const entries: { entry: string; root: (roots: RootsModule) => Root }[] = [
  ...functionGroups.map((group) => ({
    entry: handlerEntry(group),
    root: (roots: RootsModule) => roots.groupRoots[group] as Root,
  })),
  ...(
    [
      ['functions/handlers/authorizer.ts', 'authorizer'],
      ['functions/handlers/api/not-found.ts', 'notFound'],
      ['functions/handlers/jobs/cleanup.ts', 'cleanup'],
      ['functions/handlers/jobs/registration.ts', 'registration'],
      [
        'functions/handlers/jobs/registration-watchdog.ts',
        'registrationWatchdog',
      ],
      [
        'functions/handlers/workflow/transition-request.ts',
        'transitionRequestWorkflow',
      ],
    ] as const
  ).map(([entry, name]) => ({
    entry,
    root: (roots: RootsModule) => roots.otherRoots[name] as Root,
  })),
];

/** A fresh module graph, as a cold start loads it. */
async function coldStart(entry: string) {
  vi.resetModules();
  const roots = (await import('#roots/index.ts')) as unknown as RootsModule;
  return {
    roots,
    load: () =>
      import(pathToFileURL(`${repositoryRoot}/${entry}`).href) as Promise<{
        handler: unknown;
      }>,
  };
}

/** Variables whose value has a form (the others are names). */
const SAMPLE_VALUES: Readonly<Record<string, string>> = {
  EXTERNAL_SOURCE_PREFIXES: 's3://test-team-bucket/models/',
};

function stubNeeds(needs: FunctionNeeds, except?: string) {
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  for (const name of environmentOf(needs)) {
    vi.stubEnv(
      name,
      name === except
        ? ''
        : (SAMPLE_VALUES[name] ?? `test-${name.toLowerCase()}`)
    );
  }
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('Lambda entry points', () => {
  describe.each(entries)('$entry', ({ entry, root }) => {
    it("builds its root's handler from the variables of its needs", async () => {
      // Prepare
      const { roots, load } = await coldStart(entry);
      const itsRoot = root(roots);
      stubNeeds(itsRoot.needs);
      const build = vi.spyOn(itsRoot, 'build');

      // Act
      const module = await load();

      // Assess
      expect(build).toHaveBeenCalledTimes(1);
      expect(module.handler).toBe(build.mock.results[0]?.value);
      expect(module.handler).toBeTypeOf('function');
    });
  });

  const declared = { ...groupRoots, ...otherRoots } as unknown as Record<
    string,
    Root
  >;
  describe.each(
    entries.flatMap(({ entry, root }) =>
      environmentOf(
        root({ groupRoots: declared, otherRoots: declared } as RootsModule)
          .needs
      ).map((variable) => ({ entry, root, variable }))
    )
  )('$entry without $variable', ({ entry, root, variable }) => {
    it('fails at cold start, naming it', async () => {
      // Prepare
      const { roots, load } = await coldStart(entry);
      stubNeeds(root(roots).needs, variable);

      // Act & Assess
      await expect(load()).rejects.toThrow(
        `Environment variable ${variable} is not set.`
      );
    });
  });
});
