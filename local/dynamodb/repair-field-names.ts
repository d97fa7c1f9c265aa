import { existsSync } from 'node:fs';
import { wellFormed } from '#domain/text.ts';

/**
 * Repairs items that DynamoDB Local stored but can no longer read.
 *
 * DynamoDB Local keeps each item as JSON in SQLite and parses it again on
 * every access. Its parser (Jackson) accepts a lone surrogate (`\uD800`) in
 * a string value but refuses one in a field name ("Broken surrogate pair
 * in field name"), while UpdateItem writes such a name without complaint:
 * `SET tags.#key` with a key holding a lone surrogate, as the API accepted
 * before its edge refused them. From then on every request touching the
 * item (get, query, scan, update, delete, transactions) fails with
 * InternalFailure, and with it every listing that passes the item.
 *
 * Nothing can repair such an item through DynamoDB Local's API, so this
 * runs on its database file before it starts: every field name holding a
 * lone surrogate gets U+FFFD in its place, the form responses show and
 * delete-tag accepts. Values and keys are left as they are (values are
 * readable; keys are also stored in their own columns).
 *
 * @returns how many items were repaired.
 */
export async function repairIllFormedFieldNames(
  databaseFile: string
): Promise<number> {
  if (!existsSync(databaseFile)) return 0;
  const { DatabaseSync } = await loadSqlite();
  const database = new DatabaseSync(databaseFile);
  let inTransaction = false;
  try {
    const tables = database
      .prepare('SELECT TableName FROM dm')
      .all()
      .map((row) => String(row.TableName));
    let repaired = 0;
    database.exec('BEGIN');
    inTransaction = true;
    for (const table of tables) {
      const quoted = `"${table.replaceAll('"', '""')}"`;
      // LIKE is case-insensitive for ASCII: `\uD` or `\ud`, the start of
      // any surrogate escape, paired or not (the parse below decides).
      const rows = database
        .prepare(
          `SELECT rowid AS id, ObjectJSON AS json FROM ${quoted} WHERE ObjectJSON LIKE '%\\uD%'`
        )
        .all();
      const update = database.prepare(
        `UPDATE ${quoted} SET ObjectJSON = ? WHERE rowid = ?`
      );
      for (const row of rows) {
        const json =
          typeof row.json === 'string'
            ? row.json
            : Buffer.from(row.json as Uint8Array).toString('utf8');
        const item: unknown = JSON.parse(json);
        const fixed = withWellFormedFieldNames(item);
        if (fixed === item) continue;
        update.run(
          Buffer.from(JSON.stringify(fixed), 'utf8'),
          row.id as number | bigint
        );
        repaired += 1;
      }
    }
    database.exec('COMMIT');
    inTransaction = false;
    return repaired;
  } catch (error) {
    if (inTransaction) database.exec('ROLLBACK');
    throw error;
  } finally {
    database.close();
  }
}

/** The same value when nothing changes, so callers can tell. */
export function withWellFormedFieldNames(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(withWellFormedFieldNames);
    return items.some((item, index) => item !== value[index]) ? items : value;
  }
  if (typeof value !== 'object' || value === null) return value;
  let changed = false;
  const entries: [string, unknown][] = [];
  const names = new Set(Object.keys(value));
  for (const [name, item] of Object.entries(value)) {
    const fixedItem = withWellFormedFieldNames(item);
    let fixedName = name;
    if (wellFormed(name) !== name) {
      names.delete(name);
      fixedName = wellFormed(name);
      // Both `k\uD800` and `k\uFFFD` stored: neither may be lost.
      while (names.has(fixedName)) fixedName += '\uFFFD';
      names.add(fixedName);
    }
    changed ||= fixedName !== name || fixedItem !== item;
    entries.push([fixedName, fixedItem]);
  }
  return changed ? Object.fromEntries(entries) : value;
}

/**
 * `node:sqlite` prints an ExperimentalWarning when first loaded; on every
 * start of the registry it would read as a fault. It is used here for one
 * small read-modify-write of a file whose format we do not own either way.
 */
async function loadSqlite(): Promise<typeof import('node:sqlite')> {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const type =
      typeof rest[0] === 'string'
        ? rest[0]
        : (rest[0] as { type?: string } | undefined)?.type;
    if (type === 'ExperimentalWarning' && String(warning).includes('SQLite')) {
      return;
    }
    (emitWarning as (...args: unknown[]) => void).call(
      process,
      warning,
      ...rest
    );
  }) as typeof process.emitWarning;
  try {
    return await import('node:sqlite');
  } finally {
    process.emitWarning = emitWarning;
  }
}
