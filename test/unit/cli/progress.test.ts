import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatRate,
  ProgressReporter,
  percent,
  renderProgress,
  renderSummary,
} from '../../../cli/progress.ts';

const MiB = 1024 * 1024;

describe('renderProgress', () => {
  it('shows the bar, percent, bytes of total and average MiB/s', () => {
    // Act
    const line = renderProgress({
      label: 'weights.bin',
      bytes: 50 * MiB,
      total: 200 * MiB,
      elapsedMs: 2_000,
    });

    // Assess
    expect(line).toBe(
      'weights.bin  [######..................]  25%  50.0 MiB/200.0 MiB  25.0 MiB/s'
    );
  });

  it('shortens a long label from the left to fit the width', () => {
    // Act
    const line = renderProgress(
      {
        label: `deeply/nested/${'x'.repeat(80)}/model.safetensors`,
        bytes: 0,
        total: 1024,
        elapsedMs: 0,
      },
      80
    );

    // Assess
    expect(line.length).toBeLessThanOrEqual(80);
    expect(line).toMatch(
      /^….*\/model\.safetensors {2}\[\.{24}\] {3}0% {2}0 B\/1\.0 KiB {2}-- MiB\/s$/
    );
  });

  it('shows a finished empty file as 100%', () => {
    // Act
    const line = renderProgress({
      label: 'empty',
      bytes: 0,
      total: 0,
      elapsedMs: 5,
    });

    // Assess
    expect(line).toBe(`empty  [${'#'.repeat(24)}] 100%  0 B/0 B  0.0 MiB/s`);
  });
});

describe('renderSummary', () => {
  it('shows the size, average rate and duration of a finished file', () => {
    // Act & Assess
    expect(
      renderSummary({
        label: 'a/b.json',
        bytes: 3 * MiB,
        total: 3 * MiB,
        elapsedMs: 1_500,
      })
    ).toBe('a/b.json  3.0 MiB  2.0 MiB/s  1.5 s');
  });
});

describe('formatting', () => {
  it('uses binary units', () => {
    // Act & Assess
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(200 * MiB)).toBe('200.0 MiB');
    expect(formatBytes(3 * 1024 * MiB)).toBe('3.00 GiB');
    expect(formatRate(MiB, 0)).toBe('-- MiB/s');
  });

  it('never shows 100% before the last byte', () => {
    // Act & Assess
    expect(percent(999, 1000)).toBe(99);
    expect(percent(1000, 1000)).toBe(100);
  });
});

describe('ProgressReporter', () => {
  function sink(isTTY: boolean) {
    const writes: string[] = [];
    return {
      writes,
      sink: { isTTY, columns: 100, write: (t: string) => writes.push(t) },
    };
  }

  it('on a terminal, redraws one line in place with the overall total', () => {
    // Prepare
    let now = 0;
    const { writes, sink: tty } = sink(true);
    const reporter = new ProgressReporter(tty, () => now, {
      files: 2,
      bytes: 8 * MiB,
    });

    // Act
    const file = reporter.start('m.bin', 4 * MiB);
    now = 50;
    file.add(MiB); // within 100 ms of the last draw: not redrawn
    now = 1_000;
    file.add(MiB);

    // Assess
    expect(writes).toHaveLength(2);
    expect(writes.every((w) => w.startsWith('\r\x1b[2K'))).toBe(true);
    expect(writes[0]).toContain('[1/2] m.bin  [');
    expect(writes[1]).toContain(' 25%  2.0 MiB/8.0 MiB  2.0 MiB/s');
  });

  it('on a terminal, leaves a line for each finished file and ends with the total', () => {
    // Prepare
    let now = 0;
    const { writes, sink: tty } = sink(true);
    const reporter = new ProgressReporter(tty, () => now, {
      files: 2,
      bytes: 3 * MiB,
    });

    // Act
    const first = reporter.start('a.bin', MiB);
    now = 1_000;
    first.add(MiB);
    first.done();
    const second = reporter.start('b.bin', 2 * MiB);
    now = 2_000;
    second.add(2 * MiB);
    second.done();
    reporter.finish();

    // Assess
    expect(writes.join('')).toContain(
      '\r\x1b[2Ka.bin  1.0 MiB  1.0 MiB/s  1.0 s\n'
    );
    expect(writes.join('')).toContain('[2/2] b.bin');
    expect(writes.at(-1)).toBe('2 files, 3.0 MiB in 2.0 s (1.5 MiB/s)\n');
  });

  it('off a terminal, writes one summary line per file and the total', () => {
    // Prepare
    let now = 0;
    const { writes, sink: pipe } = sink(false);
    const reporter = new ProgressReporter(pipe, () => now, {
      files: 1,
      bytes: 2 * MiB,
    });

    // Act
    const file = reporter.start('m.bin', 2 * MiB);
    file.add(MiB);
    now = 2_000;
    file.add(MiB);
    file.done();
    reporter.finish();

    // Assess
    expect(writes).toEqual([
      'm.bin  2.0 MiB  1.0 MiB/s  2.0 s\n',
      '1 file, 2.0 MiB in 2.0 s (1.0 MiB/s)\n',
    ]);
  });

  it('takes bytes back when a part is retried', () => {
    // Prepare
    let now = 0;
    const { writes, sink: tty } = sink(true);
    const reporter = new ProgressReporter(tty, () => now, {
      files: 1,
      bytes: 4 * MiB,
    });
    const file = reporter.start('m.bin', 4 * MiB);

    // Act
    file.add(3 * MiB);
    file.add(-2 * MiB);
    now = 1_000;
    file.add(0);

    // Assess
    expect(writes.at(-1)).toContain(' 25%  1.0 MiB/4.0 MiB');
  });
});
