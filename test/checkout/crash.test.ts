// Kill a busy till with SIGKILL at random moments, many times over, and check after each
// kill that the database holds only whole business events.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../edge/db/open.js';
import { checkInvariants } from '../helpers/invariants.js';

const ROUNDS = 12;

function runUntilKilled(dbPath: string, seed: number, killAfterMs: number): Promise<{ sales: number }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/fixtures/sales-worker.ts', dbPath, String(seed)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout?.on('data', (d) => {
      out += d;
      if (!timer && out.includes('ready\n')) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.stderr?.on('data', (d) => (err += d));
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      clearTimeout(timer);
      if (signal !== 'SIGKILL') return reject(new Error(`worker ended by itself (${code}): ${err}`));
      resolve({ sales: (out.match(/^sale /gm) ?? []).length });
    });
  });
}

describe('crash safety', () => {
  it(`SIGKILL at ${ROUNDS} random points of many sales never leaves a half-written sale`, async () => {
    const dbPath = join(mkdtempSync(join(tmpdir(), 'storeedge-crash-')), 'store.db');
    let reported = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const killAfter = 30 + Math.floor(Math.random() * 400);
      const { sales } = await runUntilKilled(dbPath, round * 7919, killAfter);
      reported += sales;
      const db = openDb(dbPath);
      try {
        expect(checkInvariants(db), `round ${round}, killed after ${killAfter} ms`).toEqual([]);
        // every sale the worker saw committed is in the database (durable commits)
        const stored = db.prepare('SELECT count(*) FROM sales').pluck().get() as number;
        expect(stored).toBeGreaterThanOrEqual(reported);
      } finally {
        db.close();
      }
    }
    expect(reported).toBeGreaterThan(ROUNDS);
  }, 180_000);
});

describe('the invariant check itself', () => {
  it('finds a half-written sale, a lost event and a points mismatch', async () => {
    const { demoDb, ctx, gtinOf, scan, SEED_NOW } = await import('../helpers/store.js');
    const { addScan, createCart, setMember } = await import('../../edge/checkout/carts.js');
    const { payCash, startPayment } = await import('../../edge/checkout/tenders.js');
    const { enrollMember } = await import('../../edge/members/members.js');
    const db = demoDb();
    const { member } = enrollMember(db, null, SEED_NOW);
    const cart = createCart(db, { channel: 'kiosk', now: SEED_NOW });
    setMember(db, cart.id, member.id, SEED_NOW);
    addScan(db, cart.id, { scan: scan(gtinOf(db, 'Cola 330ml')), qty: 4, now: SEED_NOW });
    startPayment(db, cart.id, ctx());
    payCash(db, cart.id, 1000, ctx());
    expect(checkInvariants(db)).toEqual([]);
    db.pragma('foreign_keys = OFF');
    db.exec(
      `DELETE FROM sale_lines; DELETE FROM outbox WHERE seq = (SELECT min(seq) FROM outbox WHERE type = 'points.moved'); UPDATE members SET points = points + 1;
       UPDATE outbox SET payload = json_set(payload, '$.saleId', 'another') WHERE type = 'sale.completed'`,
    );
    const problems = checkInvariants(db).map((p) => p.split(':')[0]);
    expect(problems).toEqual(
      expect.arrayContaining([
        'sale without lines',
        'sale without exactly one sale.completed event',
        'sale.completed event without its sale',
        'points balance differs from its ledger',
        'points movement without its event',
        'outbox sequence has gaps',
      ]),
    );
  });
});
