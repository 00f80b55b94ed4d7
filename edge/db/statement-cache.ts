// Reuses prepared statements. Compiling SQL was the largest single cost of a sale (a
// third of its CPU in the profile): the domain code prepares its statements where it
// uses them, so the cache sits under `db.prepare` instead of in every caller.
//
// A cached statement must not change under whoever else holds it, and better-sqlite3
// statements carry a mode (`pluck`). So each cached statement's mode is fixed: calling
// `pluck()` on it answers a second cached statement for the same SQL in that mode, and
// the one in hand is left as it was. A statement still busy in an iteration is never
// handed out again; that caller gets a fresh one.
import type Database from 'better-sqlite3';

type Statement = Database.Statement;

interface Entry {
  plain: Statement;
  plucked: Statement | null;
}

/** Distinct SQL texts kept; the store's code has a few hundred, all static. */
export const STATEMENT_CACHE_SIZE = 1000;

export function cacheStatements(db: Database.Database, size = STATEMENT_CACHE_SIZE): void {
  // the prototype's: calling this again on the same database replaces its cache
  const compile = (Object.getPrototypeOf(db) as Database.Database).prepare.bind(db);
  const cache = new Map<string, Entry>();

  const fixMode = (entry: Entry, stmt: Statement, plucked: boolean): Statement => {
    // an own property shadows the prototype's pluck on this one object only
    Object.defineProperty(stmt, 'pluck', {
      value: (toggle = true) => (toggle === plucked ? stmt : modeOf(entry, toggle)),
    });
    return stmt;
  };
  const modeOf = (entry: Entry, plucked: boolean): Statement => {
    if (!plucked) return entry.plain;
    if (!entry.plucked) {
      const stmt = compile(entry.plain.source);
      stmt.pluck(true);
      entry.plucked = fixMode(entry, stmt, true);
    }
    return entry.plucked.busy ? compile(entry.plain.source).pluck(true) : entry.plucked;
  };

  Object.defineProperty(db, 'prepare', {
    configurable: true,
    value: (sql: string): Statement => {
      let entry = cache.get(sql);
      if (entry) {
        // most recently used last, so the oldest is evicted first
        cache.delete(sql);
        cache.set(sql, entry);
      } else {
        entry = { plain: compile(sql), plucked: null };
        fixMode(entry, entry.plain, false);
        cache.set(sql, entry);
        if (cache.size > size) cache.delete(cache.keys().next().value as string);
      }
      if (entry.plain.busy) return compile(sql);
      return entry.plain;
    },
  });
}
