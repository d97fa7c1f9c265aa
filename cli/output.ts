/** Plain-text tables and timestamps for the listing commands. */

/**
 * Columns padded to their widest cell, two spaces apart, header first; the
 * last column is not padded (no trailing blanks).
 */
export function renderTable(
  header: readonly string[],
  rows: readonly (readonly string[])[]
): string {
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length))
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) =>
        i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)
      )
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

/** Epoch milliseconds as `2025-01-31 14:05` (UTC), or `-` when absent. */
export function formatTimestamp(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')}`;
}

/** A single-line cell: newlines folded, long text cut with an ellipsis. */
export function cell(text: string | undefined, max = 48): string {
  const flat = (text ?? '').replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** `label: value` lines, labels padded to the widest, empty values left out. */
export function renderFields(
  fields: readonly (readonly [string, string | undefined])[]
): string {
  const shown = fields.filter(
    ([, value]) => value !== undefined && value !== ''
  );
  const width = Math.max(0, ...shown.map(([label]) => label.length));
  return `${shown.map(([label, value]) => `${`${label}:`.padEnd(width + 2)}${value}`).join('\n')}\n`;
}

/** `k=v, k2=v2` for tags; empty when there are none. */
export function tagsCell(
  tags: readonly { key: string; value: string }[] | undefined
): string {
  return (tags ?? []).map((t) => `${t.key}=${t.value}`).join(', ');
}
