// What durable commits cost: small transactions on the store database's own settings
// (WAL + synchronous=FULL) against the same with synchronous=NORMAL, which may lose
// the last commits on power loss. The figure says how many single-event transactions
// per second the disk gives a store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb } from '../edge/db/open.js';

const N = 2000;

function measure(sync: 'FULL' | 'NORMAL'): number {
  const dir = mkdtempSync(join(tmpdir(), 'storeedge-bench-'));
  const db = openDb(join(dir, 'b.db'));
  db.pragma(`synchronous = ${sync}`);
  db.exec('CREATE TABLE ev (id INTEGER PRIMARY KEY, body TEXT NOT NULL) STRICT');
  const ins = db.prepare('INSERT INTO ev (body) VALUES (?)');
  const tx = db.transaction((b: string) => ins.run(b));
  const body = JSON.stringify({ type: 'sale', lines: 5, totalFen: 12345 });
  for (let i = 0; i < 100; i++) tx(body); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) tx(body);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return N / s;
}

export function run(): void {
  const normal = measure('NORMAL');
  const full = measure('FULL');
  console.log(`commits/s  synchronous=NORMAL (baseline): ${normal.toFixed(0)}`);
  console.log(`commits/s  synchronous=FULL (store setting): ${full.toFixed(0)}`);
  console.log(`ratio FULL/NORMAL: ${(full / normal).toFixed(2)}`);
}
