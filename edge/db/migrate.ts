// Ordered, versioned migrations tracked in PRAGMA user_version. Each migration runs in
// its own transaction together with the version bump, so a crash leaves the database
// at one version or the next, never between.
import type { Db } from './open.js';

export interface Migration {
  version: number;
  name: string;
  up(db: Db): void;
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

export function migrate(db: Db, list: readonly Migration[], target = list.length): MigrationResult {
  list.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new MigrationError(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
  const from = schemaVersion(db);
  if (from > list.length) {
    throw new MigrationError(
      `database schema is v${from}, newer than this build knows (v${list.length}); refusing to touch it`,
    );
  }
  const applied: string[] = [];
  for (const m of list.slice(from, target)) {
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
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
