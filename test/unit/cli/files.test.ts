import { createHash, randomBytes } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError } from '../../../cli/errors.ts';
import {
  safeDestination,
  sha256File,
  walkDirectory,
} from '../../../cli/files.ts';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stagegate-cli-files-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('walkDirectory', () => {
  it('lists every file with a relative, /-separated path, sorted', async () => {
    // Prepare
    const model = join(dir, 'model');
    mkdirSync(join(model, 'data', 'deep'), { recursive: true });
    writeFileSync(join(model, 'MLmodel'), 'flavors: {}\n');
    writeFileSync(
      join(model, 'data', 'deep', 'weights.bin'),
      Buffer.alloc(1000)
    );
    writeFileSync(join(model, 'data', 'config.json'), '{}');
    mkdirSync(join(model, 'empty'));

    // Act
    const files = await walkDirectory(model);

    // Assess
    expect(files.map((f) => [f.path, f.size])).toEqual([
      ['MLmodel', 12],
      ['data/config.json', 2],
      ['data/deep/weights.bin', 1000],
    ]);
    expect(files[2]?.absolutePath).toBe(
      join(model, 'data', 'deep', 'weights.bin')
    );
  });

  it('follows symlinks to files but not to directories, as os.walk', async () => {
    // Prepare
    const model = join(dir, 'model');
    mkdirSync(model);
    writeFileSync(join(dir, 'outside.txt'), 'abc');
    symlinkSync(join(dir, 'outside.txt'), join(model, 'linked.txt'));
    symlinkSync(dir, join(model, 'loop'));

    // Act
    const files = await walkDirectory(model);

    // Assess
    expect(files.map((f) => [f.path, f.size])).toEqual([['linked.txt', 3]]);
  });

  it('refuses something that is not a directory', async () => {
    // Prepare
    writeFileSync(join(dir, 'file'), 'x');

    // Act
    const walk = walkDirectory(join(dir, 'file'));

    // Assess
    await expect(walk).rejects.toThrow(CliError);
    await expect(walk).rejects.toThrow(
      `${join(dir, 'file')} is not a directory`
    );
  });
});

describe('sha256File', () => {
  it('hashes a file larger than its read buffer exactly as a one-shot hash', async () => {
    // Prepare: 5 MiB and a bit, so several 1 MiB reads and a partial one
    const bytes = randomBytes(5 * 1024 * 1024 + 123);
    const path = join(dir, 'big.bin');
    writeFileSync(path, bytes);

    // Act
    const digest = await sha256File(path);

    // Assess
    expect(digest).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('hashes an empty file', async () => {
    // Prepare
    const path = join(dir, 'empty');
    writeFileSync(path, '');

    // Act & Assess
    expect(await sha256File(path)).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    );
  });
});

describe('safeDestination', () => {
  it('places a listed path under the directory', () => {
    // Act & Assess
    expect(safeDestination(dir, 'data/weights.bin')).toBe(
      join(dir, 'data', 'weights.bin')
    );
  });

  it.each([
    '../escape',
    'a/../../b',
    '/etc/passwd',
    'a//b',
    'a\\..\\b',
    '',
    './a',
  ])('refuses %j', (path) => {
    // Act
    const place = () => safeDestination(dir, path);

    // Assess
    expect(place).toThrow(CliError);
    expect(place).toThrow(/unsafe file path/);
  });
});
