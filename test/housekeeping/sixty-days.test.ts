// Sixty days of trading on one daemon without a restart, on an injected clock: real
// HTTP sales with refunds and abandoned phone carts, people-counting buckets every hour,
// a real mosquitto that goes away for ten days in the middle (HQ out of reach) and comes
// back, and housekeeping once a day. The database must level off, nothing unsent or
// inside its window may go, and the crash test's invariants hold at the end.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { createDaemon, type Daemon } from '../../edge/daemon.js';
import type { Db } from '../../edge/db/open.js';
import { unsentSummary } from '../../edge/db/outbox.js';
import { sentAtSql } from '../../edge/db/outbox-acks.js';
import { VisionAggregates } from '../../edge/vision/aggregates.js';
import { hashPin } from '../../sync/kernel/pin.js';
import { checkInvariants } from '../helpers/invariants.js';
import { memoryLogger } from '../helpers/log.js';
import { type Broker, startMosquitto } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/ports.js';

const DAYS = 60;
const SALES_PER_DAY = 40;
// the outage's events are sent when it ends and kept 30 days from then: gone by day 52
const OUTAGE = { from: 12, to: 22 };
const FULL = 52;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const KIOSK = 'sixty-days-kiosk-token-0123';
const RETENTION = { idempotencyHours: 48, moneyDays: 30, stateDays: 7, telemetryDays: 3 };

let broker: Broker;
let daemon: Daemon;
let base: string;
let now = 0;
let keyN = 0;

async function call(method: string, path: string, body?: unknown, staff?: string) {
  const headers: Record<string, string> = { authorization: `Bearer ${KIOSK}` };
  if (method !== 'GET') headers['idempotency-key'] = `sixty-key-${++keyN}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (staff) headers['x-staff-token'] = staff;
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: answers are read loosely in tests
  const json: any = await res.json();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

beforeAll(async () => {
  broker = await startMosquitto();
  const dir = mkdtempSync(join(tmpdir(), 'storeedge-60d-'));
  const file = join(dir, 'store.yaml');
  writeFileSync(
    file,
    JSON.stringify({
      store: { id: 'sixty-days', timezone: 'Asia/Shanghai' },
      http: { host: '127.0.0.1', port: 0 },
      db: { path: join(dir, 'store.db') },
      seed: { catalog: resolve('config/demo/catalog.json') },
      outbox: { reserveMB: 1 },
      mqtt: { enabled: true, url: broker.url, reconnect: { baseMs: 100, capMs: 500 } },
      // windows short enough to fill within the run (a store keeps hours for a year)
      vision: { enabled: false, retention: { minuteDays: 2, quarterDays: 7, hourDays: 14 } },
      housekeeping: { intervalMinutes: 1440, batchRows: 200 },
      security: {
        kioskTokens: [{ kioskId: 'kiosk-1', token: KIOSK }],
        staff: [{ id: 'sup-1', name: 'Wang', role: 'supervisor', pinHash: hashPin('5678', undefined, 1024) }],
      },
    }),
  );
  // trading starts just after the catalog's prices take effect (loaded at start, real time)
  now = Date.now() + 60_000;
  daemon = createDaemon(loadConfig({ file }), memoryLogger('warn').log, { clock: () => now });
  await daemon.lifecycle.start();
  base = daemon.http.address!;
}, 60_000);

afterAll(async () => {
  await daemon?.lifecycle.stop();
  await broker?.stop();
});

const q = (db: Db, sql: string, ...args: unknown[]) =>
  db
    .prepare(sql)
    .pluck()
    .get(...args) as number;

// the store's books: what it sold, kept as long as the store is (HQ holds them too)
const BOOKS = new Set([
  'sales',
  'sale_lines',
  'carts',
  'cart_lines',
  'cart_coupons',
  'payments',
  'refunds',
  'refund_lines',
  'points_ledger',
  'members',
  'coupon_redemptions',
  'coupons',
  'attendant_actions',
  'offers_shown',
  'exit_pass_checks',
]);

/** Bytes in the books' tables and indexes, and in everything else. */
function bytesByKind(db: Db): { books: number; rest: number } {
  const rows = db
    .prepare(
      'SELECT m.tbl_name AS t, sum(d.pgsize) AS bytes FROM dbstat d JOIN sqlite_master m ON m.name = d.name GROUP BY m.tbl_name',
    )
    .all() as { t: string; bytes: number }[];
  let books = 0;
  let rest = 0;
  for (const r of rows) {
    if (BOOKS.has(r.t)) books += r.bytes;
    else rest += r.bytes;
  }
  return { books, rest };
}

const unsent = (db: Db) => unsentSummary(db).events;

/** What housekeeping must not remove: unsent rows and rows inside their window. */
function protectedRows(db: Db): { outbox: number[]; idempotency: number } {
  const keep = (cls: string, days: number) => `(class = '${cls}' AND sent_at >= ${now - days * DAY})`;
  const outbox = db
    .prepare(
      `SELECT seq FROM (SELECT seq, class, ${sentAtSql('o.seq')} AS sent_at FROM outbox o)
         WHERE sent_at IS NULL OR ${keep('money', RETENTION.moneyDays)}
         OR ${keep('state', RETENTION.stateDays)} OR ${keep('telemetry', RETENTION.telemetryDays)}`,
    )
    .pluck()
    .all() as number[];
  const idempotency = q(
    db,
    'SELECT count(*) FROM idempotency WHERE created_at >= ?',
    now - RETENTION.idempotencyHours * HOUR,
  );
  return { outbox, idempotency };
}

describe('sixty days on one box', () => {
  it('levels off, keeps what it must, and the invariants hold', async () => {
    const db = daemon.db.handle;
    const vision = new VisionAggregates({ db: () => db, now: () => now, acceptsTelemetry: () => true });
    const codes = (
      db.prepare("SELECT gtin FROM products WHERE sold_by = 'each' AND min_age = 0").pluck().all() as string[]
    ).map((g) => g.slice(1));
    const start = now;
    const sizes: { day: number; bytes: number; unsent: number; sales: number }[] = [];
    let longestBatchMs = 0;
    const kinds = new Map<number, { books: number; rest: number }>();
    let sales = 0;

    for (let day = 0; day < DAYS; day++) {
      const opening = start + day * DAY;
      if (day === OUTAGE.from) await broker.stop();
      if (day === OUTAGE.to) {
        await broker.start();
        // the backlog of ten days drains to the broker
        await waitFor(
          'the backlog to drain',
          () => (unsent(daemon.db.handle) === 0 ? true : undefined),
          120_000,
        );
      }
      for (let s = 0; s < SALES_PER_DAY; s++) {
        now = opening + 9 * HOUR + (s * 15 * 60_000) / 2;
        const cart = await call('POST', '/carts', { channel: 'kiosk' });
        for (let k = 0; k < 4; k++)
          await call('POST', `/carts/${cart.cartId}/scans`, { code: codes[(sales * 4 + k) % codes.length] });
        const quote = await call('POST', `/carts/${cart.cartId}/checkout`, {});
        const paid = await call('POST', `/carts/${cart.cartId}/tenders`, {
          kind: 'cash',
          tenderedFen: quote.dueFen,
        });
        sales++;
        // one sale in ten comes back: its first line, refunded
        if (s % 10 === 3) {
          const staff = (await call('POST', '/staff/sessions', { staffId: 'sup-1', pin: '5678' }))
            .token as string;
          await call(
            'POST',
            `/staff/sales/${paid.sale.saleId}/refunds`,
            {
              reason: 'changed mind',
              lines: [{ lineNo: 1, qty: 1 }],
            },
            staff,
          );
        }
        // a shopper scans one thing on the phone and walks away
        if (s % 8 === 5) {
          const phone = await fetch(`${base}/api/v1/carts`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'idempotency-key': `sixty-key-${++keyN}` },
            body: JSON.stringify({ channel: 'phone' }),
          }).then((r) => r.json() as Promise<{ cartId: string; cartToken: string }>);
          await fetch(`${base}/api/v1/carts/${phone.cartId}/scans`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'idempotency-key': `sixty-key-${++keyN}`,
              'x-cart-token': phone.cartToken,
            },
            body: JSON.stringify({ code: codes[s % codes.length] }),
          });
        }
      }
      // people counting for the trading hours: crossings, visits and heat every minute
      for (let h = 9; h < 21; h++) {
        for (let m = 0; m < 60; m += 1) {
          const t = opening + h * HOUR + m * 60_000;
          vision.crossing('door', 'entrance', true, m % 2 ? 'in' : 'out', t);
          vision.visit('aisle', 'dairy', t, 20_000);
        }
        vision.heatmap('aisle', opening + h * HOUR + 30 * 60_000, {
          cols: 20,
          rows: 15,
          cellM: 0.5,
          cells: new Float64Array(300).fill(1),
        });
        now = opening + (h + 1) * HOUR;
        vision.flush();
      }

      now = opening + 23 * HOUR;
      const mustStay = protectedRows(db);
      const report = await daemon.housekeeping.runNow();
      longestBatchMs = Math.max(longestBatchMs, report.longestBatchMs);
      const present = new Set(db.prepare('SELECT seq FROM outbox').pluck().all() as number[]);
      const lost = mustStay.outbox.filter((s) => !present.has(s));
      expect(lost, `day ${day}: unsent or in-window events deleted`).toEqual([]);
      expect(
        q(
          db,
          'SELECT count(*) FROM idempotency WHERE created_at >= ?',
          now - RETENTION.idempotencyHours * HOUR,
        ),
      ).toBe(mustStay.idempotency);
      const f = daemon.housekeeping.figures();
      if (day === FULL || day === DAYS - 1) kinds.set(day, bytesByKind(db));
      sizes.push({ day, bytes: f.dbBytes, unsent: unsent(db), sales });
      // the WAL stays bounded (16 MB by default)
      expect(f.walBytes).toBeLessThanOrEqual(16 * 1024 * 1024);
    }

    // during the outage nothing was sent, and nothing unsent went
    expect(sizes[OUTAGE.to - 1]!.unsent).toBeGreaterThan(SALES_PER_DAY * 9);
    // levelled off: with every window full (the longest, money events kept 30 days from
    // when they were sent, from day 52 on, the outage being over on day 22),
    // all but the books stays flat; the books grow by what each sale itself keeps
    const lastWeeks =
      (kinds.get(DAYS - 1)!.books - kinds.get(FULL)!.books) / (sizes[DAYS - 1]!.sales - sizes[FULL]!.sales);
    console.log(
      JSON.stringify({
        sales,
        mb: sizes.filter((s) => s.day % 5 === 4).map((s) => [s.day + 1, +(s.bytes / 1048576).toFixed(2)]),
        restMB: [FULL, DAYS - 1].map((d) => +(kinds.get(d)!.rest / 1048576).toFixed(2)),
        booksBytesPerSale: Math.round(lastWeeks),
        longestBatchMs,
      }),
    );
    expect(kinds.get(DAYS - 1)!.rest).toBeLessThan(kinds.get(FULL)!.rest * 1.1);
    expect(lastWeeks).toBeLessThan(4096);
    // what is pruned has a bound: idempotency answers are 2 days' worth, the outbox 30 days of money at most
    expect(q(db, 'SELECT count(*) FROM idempotency')).toBeLessThanOrEqual(3 * SALES_PER_DAY * 10);
    expect(q(db, 'SELECT min(created_at) FROM outbox')).toBeGreaterThan(now - 32 * DAY);
    expect(q(db, "SELECT count(*) FROM vision_counts WHERE res = '1m'")).toBeLessThanOrEqual(3 * 12 * 60);
    expect(q(db, "SELECT count(*) FROM carts WHERE status IN ('open', 'suspended')")).toBeLessThanOrEqual(
      SALES_PER_DAY,
    );
    expect(checkInvariants(db)).toEqual([]);
  }, 600_000);
});
