import type { StageInput } from './stage-config.ts';

/**
 * The deployments of stagegate, one entry per stage: pick one with
 * `-c stage=<name>` (`npx cdk deploy --all -c stage=prod`); `dev` when
 * none is given. Every field but `name` and `owner` has a default
 * (`infra/stage-config.ts` documents each); docs/deployment.md walks
 * through them. Add a stage by adding an entry.
 */
export const stages = [
  {
    name: 'dev',
    owner: 'ml-platform',
    logRetentionDays: 14,
    logLevel: 'DEBUG',
    deployment: 'all-at-once',
    terminationProtection: false,
    noncurrentArtifactDays: 7,
  },
  {
    name: 'prod',
    owner: 'ml-platform',
    logRetentionDays: 90,
    deployment: 'canary',
    backup: { retentionDays: 35 },
    // alarms: { email: 'ml-platform-oncall@example.com' },
    // domain: {
    //   name: 'registry.example.com',
    //   hostedZoneId: 'Z0123456789ABCDEFGHIJ',
    //   hostedZoneName: 'example.com',
    // },
  },
] as const satisfies readonly StageInput[];

/** The stage `cdk` commands use when no `-c stage=` is given. */
export const DEFAULT_STAGE = 'dev';
