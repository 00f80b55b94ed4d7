// The prepared-statement cache under db.prepare (edge/db/statement-cache.ts): the same
// SQL compiles once, and a statement's pluck mode never changes under whoever holds it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../edge/db/open.js';
import { cacheStatements } from '../../edge/db/statement-cache.js';

const db = () => {
  const d = openDb(join(mkdtempSync(join(tmpdir(), 'storeedge-stmt-')), 's.db'));
  d.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t (v) VALUES ('a'), ('b')");
  return d;
};

describe('statement cache', () => {
  it('hands out one statement per SQL text', () => {
    const d = db();
    expect(d.prepare('SELECT v FROM t WHERE id = ?')).toBe(d.prepare('SELECT v FROM t WHERE id = ?'));
  });

  it('keeps each statement in its own pluck mode', () => {
    const d = db();
    const rows = d.prepare('SELECT v FROM t WHERE id = ?');
    const values = d.prepare('SELECT v FROM t WHERE id = ?').pluck();
    expect(values).not.toBe(rows);
    expect(values.get(1)).toBe('a');
    // the plain one in hand is still plain
    expect(rows.get(1)).toEqual({ v: 'a' });
    expect(d.prepare('SELECT v FROM t WHERE id = ?').get(2)).toEqual({ v: 'b' });
    expect(values.pluck(false)).toBe(rows);
    expect(rows.pluck()).toBe(values);
  });

  it('gives a fresh statement while the cached one is iterating', () => {
    const d = db();
    const seen: unknown[] = [];
    for (const r of d.prepare('SELECT v FROM t ORDER BY id').iterate()) {
      seen.push(r, d.prepare('SELECT v FROM t ORDER BY id').all().length);
    }
    expect(seen).toEqual([{ v: 'a' }, 2, { v: 'b' }, 2]);
  });

  it('evicts the least recently used beyond its size', () => {
    const d = db();
    cacheStatements(d, 2);
    const a = d.prepare('SELECT 1');
    d.prepare('SELECT 2');
    d.prepare('SELECT 1'); // a is the most recent now
    d.prepare('SELECT 3'); // evicts SELECT 2
    expect(d.prepare('SELECT 1')).toBe(a);
    expect(() => d.prepare('SELEC nonsense')).toThrow();
  });
});
