/**
 * Transfer progress with an overall total. On a terminal one line is
 * redrawn in place (at most every {@link REDRAW_MS}): the file being moved
 * and the whole transfer's bar, percent, bytes and throughput; each file
 * that finishes leaves a summary line above it. When the output is a pipe
 * or a log, each file gets its summary line when it is done, and the
 * transfer a total line at the end, so logs stay readable.
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

/** What a transfer moves in all. */
export interface TransferTotal {
  readonly files: number;
  readonly bytes: number;
}

export class ProgressReporter {
  readonly #sink: ProgressSink;
  readonly #now: () => number;
  readonly #total: TransferTotal;
  readonly #started: number;
  readonly #width: number;
  /** Bytes of the files done, and of the file under way. */
  #doneBytes = 0;
  #currentBytes = 0;
  #filesDone = 0;
  #current: string | undefined;
  #lastDraw = Number.NEGATIVE_INFINITY;
  #drawn = false;

  constructor(sink: ProgressSink, now: () => number, total: TransferTotal) {
    this.#sink = sink;
    this.#now = now;
    this.#total = total;
    this.#started = now();
    // A pty without a size reports 0 columns.
    this.#width = Math.max((sink.columns || 100) - 1, 40);
  }

  /** Starts a file; files are reported one after another. */
  start(label: string, size: number): FileProgress {
    const started = this.#now();
    this.#current = label;
    this.#currentBytes = 0;
    this.#draw(true);
    let settled = false;
    return {
      add: (delta) => {
        this.#currentBytes = Math.max(0, this.#currentBytes + delta);
        this.#draw(false);
      },
      done: () => {
        if (settled) return;
        settled = true;
        this.#doneBytes += size;
        this.#currentBytes = 0;
        this.#filesDone++;
        this.#current = undefined;
        this.#line(
          renderSummary(
            {
              label,
              bytes: size,
              total: size,
              elapsedMs: this.#now() - started,
            },
            this.#width
          )
        );
      },
      fail: () => {
        if (settled) return;
        settled = true;
        this.#current = undefined;
        this.#clear();
      },
    };
  }

  /** Ends the transfer: the total line (a pipe), or the bar's last state. */
  finish(): void {
    this.#clear();
    if (this.#total.files > 1 || !this.#sink.isTTY) {
      const elapsedMs = this.#now() - this.#started;
      this.#sink.write(
        `${this.#filesDone} file${this.#filesDone === 1 ? '' : 's'}, ${formatBytes(this.#doneBytes)} in ${(elapsedMs / 1000).toFixed(1)} s (${formatRate(this.#doneBytes, elapsedMs)})\n`
      );
    }
  }

  /** A permanent line above the in-place one. */
  #line(text: string): void {
    this.#clear();
    this.#sink.write(`${text}\n`);
  }

  #clear(): void {
    if (this.#sink.isTTY && this.#drawn) this.#sink.write('\r\x1b[2K');
    this.#drawn = false;
  }

  #draw(force: boolean): void {
    if (!this.#sink.isTTY) return;
    const at = this.#now();
    if (!force && at - this.#lastDraw < REDRAW_MS) return;
    this.#lastDraw = at;
    const position = Math.min(this.#filesDone + 1, this.#total.files);
    const label = `[${position}/${this.#total.files}] ${this.#current ?? ''}`;
    // \r and "erase line": the line is rewritten, never appended to.
    this.#sink.write(
      `\r\x1b[2K${renderProgress(
        {
          label,
          bytes: this.#doneBytes + this.#currentBytes,
          total: this.#total.bytes,
          elapsedMs: at - this.#started,
        },
        this.#width
      )}`
    );
    this.#drawn = true;
  }
}
