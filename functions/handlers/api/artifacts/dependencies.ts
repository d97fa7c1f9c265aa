import type { ArtifactReadDependencies } from '#domain/artifacts/downloads.ts';
import type { UploadDependencies } from '#domain/artifacts/uploads.ts';

/** What the `artifacts` group's operations need (wired in `functions/roots/api/artifacts.ts`). */
export type ArtifactsApiDependencies = UploadDependencies &
  ArtifactReadDependencies;
