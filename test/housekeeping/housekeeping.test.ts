// Housekeeping's pruning steps and its part, on a demo database: what goes, what stays
// (nothing unsent, nothing inside its window, nothing money is still waiting on), the
// invariants afterwards, and a file that shrinks when rows go.
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { raiseAlert, resolveAlert } from '../../edge/alerts/alerts.js';
import { addScan, createCart } from '../../edge/checkout/carts.js';
import { payCash, startPayment } from '../../edge/checkout/tenders.js';
import type { Db } from '../../edge/db/open.js';
import { outboxPruned } from '../../edge/db/outbox.js';
import { HousekeepingPart } from '../../edge/housekeeping/part.js';
import { retentionOf, tasks } from '../../edge/housekeeping/tasks.js';
import { OutboxPublisher, type PublisherLink } from '../../edge/sync/publisher.js';
import { Topics } from '../../sync/topics.js';
import { checkInvariants } from '../helpers/invariants.js';
import { memoryLogger } from '../helpers/log.js';
import { ackRows, appendSyntheticEvent, unackRows } from '../helpers/outbox.js';
import { cashSale, ctx, demoDb, gtinOf, SEED_NOW, scan } from '../helpers/store.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// prices are in effect from the seed on, so trading starts at SEED_NOW and the clock runs on
const NOW = SEED_NOW + 40 * DAY;

// the defaults a store's config has
const RETENTION = retentionOf(loadConfig().config);

/** Runs one task's batches to the end, as the part does. */
function runTask(db: Db, name: string, now: number, limit = 1000): number {
  const task = tasks(RETENTION).find((t) => t.name === name)!;
  let n = 0;
  for (;;) {
    const got = task.batch(db, now, limit);
    n += got;
    if (got < limit) return n;
  }
}

const count = (db: Db, sql: string, ...args: unknown[]) =>
  db
    .prepare(sql)
    .pluck()
    .get(...args) as number;

function codes(db: Db): string[] {
  return (
    db.prepare("SELECT gtin FROM products WHERE sold_by = 'each' AND min_age = 0").pluck().all() as string[]
  ).map((g) => g.slice(1));
}

describe('housekeeping tasks', () => {
  it('drops idempotency answers past their window and keeps the rest', () => {
    const db = demoDb();
    const put = db.prepare(
      "INSERT INTO idempotency (scope, key, request_hash, status, response, created_at) VALUES ('POST /x', ?, 'h', 200, '{}', ?)",
    );
    for (let i = 0; i < 30; i++) put.run(`old-key-${i}`, SEED_NOW - 49 * HOUR);
    for (let i = 0; i < 5; i++) put.run(`new-key-${i}`, SEED_NOW - 47 * HOUR);
    expect(runTask(db, 'idempotency', SEED_NOW, 7)).toBe(30);
    expect(count(db, 'SELECT count(*) FROM idempotency')).toBe(5);
  });

  it('deletes only acknowledged outbox rows past their class window, records it, and the invariants hold', () => {
    const db = demoDb();
    const c = codes(db);
    for (let i = 0; i < 6; i++) cashSale(db, c, i, SEED_NOW + i);
    for (let i = 0; i < 4; i++) cashSale(db, c, i, NOW - DAY + i);
    db.transaction(() => {
      for (let i = 0; i < 10; i++)
        appendSyntheticEvent(
          db,
          { type: 'vision.counts', class: 'telemetry', payload: { i } },
          NOW - 5 * DAY,
        );
      appendSyntheticEvent(
        db,
        { type: 'vision.counts', class: 'telemetry', payload: { i: 'new' } },
        NOW - DAY,
      );
    })();
    // all sent when made, except two old sales' events (an outage HQ never saw the end of)
    ackRows(db, (_, createdAt) => createdAt + 1000);
    const unsent = db
      .prepare("SELECT seq FROM outbox WHERE type = 'sale.completed' ORDER BY seq LIMIT 2")
      .pluck()
      .all() as number[];
    unackRows(db, unsent);
    const before = count(db, 'SELECT count(*) FROM outbox');

    const money = runTask(db, 'outbox_money', NOW, 3);
    const telemetry = runTask(db, 'outbox_telemetry', NOW, 3);
    expect(money).toBe(4); // six old sales' events less the two unsent
    expect(telemetry).toBe(10);
    expect(count(db, 'SELECT count(*) FROM outbox')).toBe(before - 14);
    // nothing unsent is gone, nothing inside its window is gone
    for (const s of unsent) expect(count(db, 'SELECT count(*) FROM outbox WHERE seq = ?', s)).toBe(1);
    expect(
      count(
        db,
        "SELECT count(*) FROM outbox WHERE created_at >= ? AND type = 'sale.completed'",
        NOW - 2 * DAY,
      ),
    ).toBe(4);
    expect(count(db, "SELECT count(*) FROM outbox WHERE json_extract(payload, '$.i') = 'new'")).toBe(1);
    const pruned = outboxPruned(db);
    expect(pruned.count).toBe(14);
    expect(pruned.before.money).toBe(NOW - 30 * DAY);
    expect(checkInvariants(db)).toEqual([]);

    // a row deleted outside housekeeping is still caught
    db.prepare('DELETE FROM outbox WHERE seq = (SELECT max(seq) FROM outbox)').run();
    expect(checkInvariants(db).join()).toMatch(/gaps/);
  });

  it('gives up carts abandoned for a day with no payment, deletes them a week later, keeps the rest', () => {
    const db = demoDb();
    const t0 = SEED_NOW;
    const tea = gtinOf(db, 'Tea');
    const withLine = () => {
      const cart = createCart(db, { channel: 'phone', now: t0 });
      addScan(db, cart.id, { scan: scan(tea), now: t0 });
      return cart.id;
    };
    const abandoned = withLine();
    const recent = createCart(db, { channel: 'phone', now: NOW - HOUR }).id;
    const paying = withLine();
    startPayment(db, paying, ctx(t0));
    const alerted = withLine();
    raiseAlert(db, { kioskId: 'kiosk-1', kind: 'help', message: 'help', cartId: alerted }, t0);
    const status = (id: string) => db.prepare('SELECT status FROM carts WHERE id = ?').pluck().get(id);

    // day 1 after: given up, not yet deleted
    expect(runTask(db, 'carts_abandoned', t0 + 25 * HOUR)).toBe(2);
    expect(status(abandoned)).toBe('cancelled');
    expect(status(alerted)).toBe('cancelled');
    expect(status(paying)).toBe('paying');
    expect(status(recent)).toBe('open');
    expect(runTask(db, 'carts_deleted', t0 + 25 * HOUR)).toBe(0);
    // a week after it was given up: gone with its lines; the one with an alert stays
    expect(runTask(db, 'carts_deleted', t0 + 25 * HOUR + 7 * DAY + 1)).toBe(1);
    expect(status(abandoned)).toBeUndefined();
    expect(count(db, 'SELECT count(*) FROM cart_lines WHERE cart_id = ?', abandoned)).toBe(0);
    expect(status(alerted)).toBe('cancelled');
    expect(checkInvariants(db)).toEqual([]);
  });

  it('never touches a cart that took a payment', () => {
    const db = demoDb();
    const t0 = SEED_NOW;
    const cart = createCart(db, { channel: 'kiosk', now: t0 });
    addScan(db, cart.id, { scan: scan(gtinOf(db, 'Cola 330ml')), qty: 2, now: t0 });
    const q = startPayment(db, cart.id, ctx(t0));
    payCash(db, cart.id, q.dueFen, ctx(t0));
    expect(runTask(db, 'carts_abandoned', NOW)).toBe(0);
    expect(runTask(db, 'carts_deleted', SEED_NOW + 30 * DAY)).toBe(0);
    expect(db.prepare('SELECT status FROM carts WHERE id = ?').pluck().get(cart.id)).toBe('paid');
  });

  it('drops alerts resolved a month ago, never open ones', () => {
    const db = demoDb();
    const t0 = SEED_NOW;
    const a = raiseAlert(db, { kioskId: 'kiosk-1', kind: 'help', message: 'old' }, t0);
    resolveAlert(db, a.id, 'cashier-1', t0 + 1000);
    raiseAlert(db, { kioskId: 'kiosk-1', kind: 'help', message: 'still open' }, t0);
    const b = raiseAlert(db, { kioskId: 'kiosk-1', kind: 'help', message: 'recent' }, NOW - DAY);
    resolveAlert(db, b.id, 'cashier-1', NOW - DAY);
    expect(runTask(db, 'alerts', NOW)).toBe(1);
    expect(count(db, 'SELECT count(*) FROM kiosk_alerts')).toBe(2);
  });
});

describe('a resend from HQ after pruning', () => {
  it('sends again what is left and says which events are gone', () => {
    const db = demoDb();
    const base = count(db, 'SELECT coalesce(max(seq), 0) FROM outbox');
    db.transaction(() => {
      for (let i = 0; i < 10; i++)
        appendSyntheticEvent(db, { type: 'vision.counts', class: 'telemetry', payload: { i } }, SEED_NOW);
    })();
    // the first six of these were sent long ago, the rest lately
    ackRows(db, (seq) => (seq <= base + 6 ? SEED_NOW + 1000 : NOW), `seq > ${base}`);
    expect(runTask(db, 'outbox_telemetry', NOW)).toBe(6);
    const { log, lines } = memoryLogger('info');
    const link: PublisherLink = { connected: false, publish: async () => undefined, on: () => link };
    const publisher = new OutboxPublisher({
      db,
      link,
      topics: new Topics('storeedge/v1', 'demo-store-001'),
      log,
      ratePerSecond: 100,
    });
    expect(publisher.resend(base + 4, base + 8)).toBe(2); // the 7th and 8th are still there
    const warn = lines().find((l) => l.level === 'warn');
    expect(warn).toMatchObject({ fromSeq: base + 4, toSeq: base + 8, gone: 3, prunedThrough: base + 6 });
  });
});

describe('the housekeeping part', () => {
  it('prunes in small batches, gives the pages back and keeps the WAL bounded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'storeedge-hk-'));
    const path = join(dir, 'store.db');
    const db = demoDb(path);
    expect(db.pragma('auto_vacuum', { simple: true })).toBe(2);
    const big = 'x'.repeat(2000);
    const put = db.prepare(
      "INSERT INTO idempotency (scope, key, request_hash, status, response, created_at) VALUES ('POST /x', ?, 'h', 200, ?, ?)",
    );
    db.transaction(() => {
      for (let i = 0; i < 5000; i++)
        put.run(`key-${String(i).padStart(6, '0')}`, JSON.stringify(big), SEED_NOW - 3 * DAY);
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
    const sizeBefore = statSync(path).size;
    let now = SEED_NOW;
    const part = new HousekeepingPart({
      db: () => db,
      path,
      now: () => now,
      log: memoryLogger('warn').log,
      enabled: false,
      intervalMs: 60_000,
      batchRows: 200,
      walMaxBytes: 1024 * 1024,
      vacuumPages: 500,
      retention: RETENTION,
    });
    part.start();
    const r = await part.runNow();
    expect(r.removed.idempotency).toBe(5000);
    expect(r.batches).toBeGreaterThanOrEqual(25);
    expect(r.vacuumedPages).toBeGreaterThan(1000);
    expect(r.walBytesAfter).toBeLessThanOrEqual(1024 * 1024);
    const f = part.figures();
    expect(f.dbBytes).toBeLessThan(sizeBefore / 3);
    expect(f.freePages).toBe(0);
    expect(f.rows.idempotency).toBe(0);
    expect(f.rows.products).toBeGreaterThan(0);
    // a second run finds nothing
    now += HOUR;
    expect((await part.runNow()).removed).toEqual({});
    await part.stop();
    db.close();
  });
});
