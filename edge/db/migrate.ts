// Ordered, versioned migrations tracked in PRAGMA user_version. Each migration runs in
// its own transaction together with the version bump, so a crash leaves the database
// at one version or the next, never between.
// A software update must be reversible, so an older build may open a newer database
// when every migration it does not know is additive (new tables, new nullable columns:
// the older build's reads and writes still hold). The database keeps the oldest schema
// a build must know to open it (schema_compat.last_compatible, as Chromium's meta table
// keeps last_compatible_version).
import type { Db } from './open.js';

export interface Migration {
  version: number;
  name: string;
  up(db: Db): void;
  /** Work that cannot run in a transaction (VACUUM), done before it; it must be safe to
   * repeat, as a crash before the version bump runs it again at the next start. */
  before?(db: Db): void;
  /** builds that know only the migrations before this one can still use the database */
  additive?: true;
}

export interface MigrationResult {
  from: number;
  to: number;
  applied: string[];
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** The oldest schema a build must know to open this database (its version when never recorded). */
export function lastCompatible(db: Db): number {
  const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_compat'").get();
  const v = has
    ? (db.prepare('SELECT last_compatible FROM schema_compat WHERE id = 1').pluck().get() as number)
    : null;
  return v ?? schemaVersion(db);
}

/** The oldest schema a build must know to open a database migrated through `list`. */
export function compatibleFloor(list: readonly Migration[], upTo = list.length): number {
  let floor = 0;
  for (const m of list.slice(0, upTo)) if (!m.additive) floor = m.version;
  return floor;
}

export function migrate(db: Db, list: readonly Migration[], target = list.length): MigrationResult {
  list.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new MigrationError(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
  const from = schemaVersion(db);
  if (from > list.length) {
    const floor = lastCompatible(db);
    if (floor <= list.length) return { from, to: from, applied: [] }; // newer, but only additively
    throw new MigrationError(
      `database schema is v${from}, newer than this build knows (v${list.length}) and not readable by it (needs v${floor}); refusing to touch it`,
    );
  }
  const applied: string[] = [];
  for (const m of list.slice(from, target)) {
    m.before?.(db);
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
      db.exec(
        'CREATE TABLE IF NOT EXISTS schema_compat (id INTEGER PRIMARY KEY CHECK (id = 1), last_compatible INTEGER NOT NULL) STRICT',
      );
      db.prepare(
        'INSERT INTO schema_compat (id, last_compatible) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET last_compatible = excluded.last_compatible',
      ).run(compatibleFloor(list, m.version));
    }).immediate();
    applied.push(`${String(m.version).padStart(4, '0')}_${m.name}`);
  }
  if (applied.length) {
    const fk = db.pragma('foreign_key_check') as unknown[];
    if (fk.length)
      throw new MigrationError(`foreign key violations after migrating: ${JSON.stringify(fk.slice(0, 5))}`);
  }
  return { from, to: schemaVersion(db), applied };
}
