/**
 * Transfer progress. On a terminal each file has one line, redrawn in place
 * (at most every {@link REDRAW_MS}) with bytes, percent and throughput; when
 * the output is a pipe or a log, each file gets one summary line when it is
 * done, so logs stay readable.
 */

const MiB = 1024 * 1024;
const BAR_WIDTH = 24;
const REDRAW_MS = 100;

/** Where progress goes (stderr, so stdout stays clean for results). */
export interface ProgressSink {
  write(text: string): void;
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
}

export interface ProgressState {
  readonly label: string;
  readonly bytes: number;
  readonly total: number;
  readonly elapsedMs: number;
}

/** `1.5 KiB`, `200.0 MiB`: binary units, as the sizes users compare with. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < MiB) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 * MiB) return `${(bytes / MiB).toFixed(1)} MiB`;
  return `${(bytes / 1024 / MiB).toFixed(2)} GiB`;
}

/** Average throughput since the start; `--` before any time has passed. */
export function formatRate(bytes: number, elapsedMs: number): string {
  if (elapsedMs <= 0) return '-- MiB/s';
  return `${(bytes / MiB / (elapsedMs / 1000)).toFixed(1)} MiB/s`;
}

/** Whole percent, never 100 before the last byte (an empty file is done). */
export function percent(bytes: number, total: number): number {
  if (total <= 0) return 100;
  if (bytes >= total) return 100;
  return Math.min(99, Math.floor((bytes / total) * 100));
}

/**
 * One progress line: `label [#######.......]  42%  84.0 MiB/200.0 MiB  51.3 MiB/s`.
 * The label is shortened from the left (keeping the file name) to fit
 * `width` columns.
 */
export function renderProgress(state: ProgressState, width = 100): string {
  const pct = percent(state.bytes, state.total);
  const filled = Math.round((pct / 100) * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
  const tail = `${bar} ${String(pct).padStart(3)}%  ${formatBytes(state.bytes)}/${formatBytes(state.total)}  ${formatRate(state.bytes, state.elapsedMs)}`;
  return `${fitLabel(state.label, width - tail.length - 2)}  ${tail}`;
}

/** The line a finished file leaves: `label  200.0 MiB  51.3 MiB/s  3.9 s`. */
export function renderSummary(state: ProgressState, width = 100): string {
  const tail = `${formatBytes(state.total)}  ${formatRate(state.total, state.elapsedMs)}  ${(state.elapsedMs / 1000).toFixed(1)} s`;
  return `${fitLabel(state.label, width - tail.length - 2)}  ${tail}`;
}

function fitLabel(label: string, room: number): string {
  const max = Math.max(room, 12);
  return label.length <= max
    ? label
    : `…${label.slice(label.length - max + 1)}`;
}

/** Progress of one file; {@link add} may go down when a part is retried. */
export interface FileProgress {
  add(bytes: number): void;
  done(): void;
  fail(): void;
}

export class ProgressReporter {
  readonly #sink: ProgressSink;
  readonly #now: () => number;

  constructor(sink: ProgressSink, now: () => number = Date.now) {
    this.#sink = sink;
    this.#now = now;
  }

  /** Starts a file's line; files are reported one after another. */
  start(label: string, total: number): FileProgress {
    const sink = this.#sink;
    const now = this.#now;
    const started = now();
    // A pty without a size reports 0 columns.
    const width = Math.max((sink.columns || 100) - 1, 40);
    let bytes = 0;
    let lastDraw = Number.NEGATIVE_INFINITY;
    const state = (): ProgressState => ({
      label,
      bytes,
      total,
      elapsedMs: now() - started,
    });
    const draw = (force: boolean) => {
      if (!sink.isTTY) return;
      const at = now();
      if (!force && at - lastDraw < REDRAW_MS) return;
      lastDraw = at;
      // \r and "erase line": the line is rewritten, never appended to.
      sink.write(`\r\x1b[2K${renderProgress(state(), width)}`);
    };
    draw(true);
    return {
      add(delta) {
        bytes = Math.max(0, bytes + delta);
        draw(false);
      },
      done() {
        bytes = total;
        if (sink.isTTY) {
          draw(true);
          sink.write('\n');
        } else {
          sink.write(`${renderSummary(state(), width)}\n`);
        }
      },
      fail() {
        if (sink.isTTY) {
          draw(true);
          sink.write('\n');
        }
      },
    };
  }
}
