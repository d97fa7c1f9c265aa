import { describe, expect, it } from 'vitest';
import {
  cleanupTemporaryArtifacts,
  TEMPORARY_PREFIX,
} from '#domain/cleanup.ts';
import type { ArtifactObject } from '#ports/artifact-store.ts';
import { MemoryArtifactStore } from '#test/support/memory-artifact-store.ts';

const NOW = 1_700_000_000_000;
const HOUR = 3_600_000;
const options = { maxAgeMs: 24 * HOUR, maxObjectsPerRun: 100 };

function seededStore(): MemoryArtifactStore {
  return new MemoryArtifactStore([
    {
      key: `${TEMPORARY_PREFIX}a/old.bin`,
      size: 100,
      lastModified: NOW - 48 * HOUR,
    },
    {
      key: `${TEMPORARY_PREFIX}b/older.bin`,
      size: 250,
      lastModified: NOW - 24 * HOUR - 1,
    },
    {
      key: `${TEMPORARY_PREFIX}c/at-cutoff.bin`,
      size: 7,
      lastModified: NOW - 24 * HOUR,
    },
    {
      key: `${TEMPORARY_PREFIX}d/fresh.bin`,
      size: 9,
      lastModified: NOW - HOUR,
    },
    {
      key: 'models/m/1/model.pkl',
      size: 1000,
      lastModified: NOW - 1000 * HOUR,
    },
    {
      key: 'tmp-external-source.txt',
      size: 1,
      lastModified: NOW - 1000 * HOUR,
    },
  ]);
}

/** `count` young uploads whose keys sort before `zzz…`. */
function youngUploads(count: number): ArtifactObject[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `${TEMPORARY_PREFIX}${String(i).padStart(5, '0')}`,
    size: 1,
    lastModified: NOW - HOUR,
  }));
}

describe('cleanup', () => {
  describe('cleanupTemporaryArtifacts', () => {
    it('deletes only temporary objects older than the maximum age', async () => {
      // Prepare
      const artifacts = seededStore();

      // Act
      await cleanupTemporaryArtifacts({ artifacts, now: () => NOW }, options);

      // Assess
      expect(artifacts.keys()).toStrictEqual([
        'models/m/1/model.pkl',
        'tmp-external-source.txt',
        `${TEMPORARY_PREFIX}c/at-cutoff.bin`,
        `${TEMPORARY_PREFIX}d/fresh.bin`,
      ]);
    });

    it('reports what it examined and deleted, with the bytes freed', async () => {
      // Prepare
      const artifacts = seededStore();

      // Act
      const report = await cleanupTemporaryArtifacts(
        { artifacts, now: () => NOW },
        options
      );

      // Assess
      expect(report).toStrictEqual({
        examined: 4,
        deleted: 2,
        deletedBytes: 350,
      });
    });

    it('deletes nothing more on a second run', async () => {
      // Prepare
      const artifacts = seededStore();
      const deps = { artifacts, now: () => NOW };
      await cleanupTemporaryArtifacts(deps, options);
      const keysAfterFirstRun = artifacts.keys();

      // Act
      const report = await cleanupTemporaryArtifacts(deps, options);

      // Assess
      expect(report).toStrictEqual({
        examined: 2,
        deleted: 0,
        deletedBytes: 0,
      });
      expect(artifacts.keys()).toStrictEqual(keysAfterFirstRun);
    });

    it('deletes no more objects than allowed per run', async () => {
      // Prepare
      const artifacts = seededStore();

      // Act
      const report = await cleanupTemporaryArtifacts(
        { artifacts, now: () => NOW },
        { ...options, maxObjectsPerRun: 1 }
      );

      // Assess
      expect(report).toMatchObject({ deleted: 1, deletedBytes: 100 });
      expect(artifacts.deletedKeys).toStrictEqual([
        `${TEMPORARY_PREFIX}a/old.bin`,
      ]);
    });

    it('finishes on later runs what a bounded run left over', async () => {
      // Prepare
      const artifacts = seededStore();
      const deps = { artifacts, now: () => NOW };
      const bounded = { ...options, maxObjectsPerRun: 1 };
      await cleanupTemporaryArtifacts(deps, bounded);

      // Act
      const report = await cleanupTemporaryArtifacts(deps, bounded);

      // Assess
      expect(report.deleted).toBe(1);
      expect(artifacts.deletedKeys).toStrictEqual([
        `${TEMPORARY_PREFIX}a/old.bin`,
        `${TEMPORARY_PREFIX}b/older.bin`,
      ]);
    });

    it('reaches an abandoned upload behind more young ones than fit a run', async () => {
      // Prepare
      const artifacts = new MemoryArtifactStore([
        ...youngUploads(3),
        {
          key: `${TEMPORARY_PREFIX}zzz`,
          size: 5,
          lastModified: NOW - 48 * HOUR,
        },
      ]);

      // Act
      const report = await cleanupTemporaryArtifacts(
        { artifacts, now: () => NOW },
        { ...options, maxObjectsPerRun: 2 }
      );

      // Assess
      expect(report).toStrictEqual({
        examined: 4,
        deleted: 1,
        deletedBytes: 5,
      });
      expect(artifacts.deletedKeys).toStrictEqual([`${TEMPORARY_PREFIX}zzz`]);
    });

    it('walks past several listing pages of young uploads', async () => {
      // Prepare
      const artifacts = new MemoryArtifactStore([
        ...youngUploads(2500),
        {
          key: `${TEMPORARY_PREFIX}zzz`,
          size: 5,
          lastModified: NOW - 48 * HOUR,
        },
      ]);

      // Act
      const report = await cleanupTemporaryArtifacts(
        { artifacts, now: () => NOW },
        options
      );

      // Assess
      expect(report).toStrictEqual({
        examined: 2501,
        deleted: 1,
        deletedBytes: 5,
      });
    });

    it('reports zeros when there is nothing to clean', async () => {
      // Prepare
      const artifacts = new MemoryArtifactStore();

      // Act
      const report = await cleanupTemporaryArtifacts(
        { artifacts, now: () => NOW },
        options
      );

      // Assess
      expect(report).toStrictEqual({
        examined: 0,
        deleted: 0,
        deletedBytes: 0,
      });
    });
  });
});
