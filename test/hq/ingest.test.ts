// HQ ingest behind a real mosquitto's shared subscription, with two workers in this
// process, on each engine HQ runs on (a real PostgreSQL for a chain, one SQLite file for a
// lab or a single store): events stored once whatever order and however often they come,
// bad input quarantined with its reason (never half-applied, never stopping a worker),
// and a gap asked for once by one of the workers, from the database's watermark.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePg, openPgPool } from '../../hq/db/pg.js';
import type { HqEventStore } from '../../hq/ingest/event-store.js';
import { PgEventStore } from '../../hq/ingest/pg-event-store.js';
import { SqliteEventStore } from '../../hq/ingest/sqlite-event-store.js';
import { IngestWorker } from '../../hq/ingest/worker.js';
import type { WireEvent } from '../../sync/topics.js';
import { type Broker, startMosquitto } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/ports.js';
import { type Postgres, startPostgres } from '../helpers/postgres.js';

// biome-ignore lint/suspicious/noExplicitAny: rows are read loosely in tests
type J = any;

const P = 'storeedge/v1';
let pgs: Postgres;
let broker: Broker;
let pub: MqttClient;

beforeAll(async () => {
  [pgs, broker] = await Promise.all([startPostgres(), startMosquitto()]);
  pub = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'test-store-pub' });
}, 60_000);

afterAll(async () => {
  await pub?.endAsync();
  await broker?.stop();
  await pgs?.stop();
});

const sale = (storeId: string, seq: number, totalFen = 1000 + seq): WireEvent => ({
  storeId,
  seq,
  eventId: randomUUID(),
  type: 'sale.completed',
  class: 'money',
  createdAt: 1_760_000_000_000 + seq,
  payload: {
    saleId: `S-${seq}`,
    receiptNo: `R-${seq}`,
    channel: 'kiosk',
    kioskId: 'kiosk-1',
    memberId: null,
    grossFen: totalFen,
    promoDiscountFen: 0,
    couponDiscountFen: 0,
    totalFen,
    taxFen: 100,
    changeFen: 0,
    pointsEarned: 0,
    lines: [
      {
        gtin: '06922001001036',
        qty: 1,
        weightG: null,
        unitPriceFen: totalFen,
        grossFen: totalFen,
        promotions: [],
        couponFen: 0,
        finalFen: totalFen,
        taxRateBp: 900,
        taxFen: 100,
      },
    ],
    payments: [{ kind: 'cash', amountFen: totalFen, reference: '' }],
    at: 1_760_000_000_000 + seq,
  },
});
const send = (topic: string, body: unknown) =>
  pub.publishAsync(topic, typeof body === 'string' ? body : JSON.stringify(body), { qos: 1 });
const eventTopic = (storeId: string, type: string) => `${P}/${storeId}/evt/${type}`;

describe.each(['PostgreSQL', 'SQLite'])('HQ ingest on %s', (engine) => {
  let store: HqEventStore;
  let rows: (sql: string, args?: unknown[]) => Promise<J[]>;
  let close: () => Promise<void>;
  let workers: IngestWorker[] = [];
  const count = async (sql: string, args: unknown[] = []) => Number((await rows(sql, args))[0]!.n);

  beforeAll(async () => {
    if (engine === 'PostgreSQL') {
      const pool = openPgPool(pgs.url);
      await migratePg(pool);
      store = new PgEventStore(pool);
      rows = async (sql, args = []) => (await pool.query(sql, args)).rows;
      close = () => pool.end();
    } else {
      const lite = new SqliteEventStore(join(mkdtempSync(join(tmpdir(), 'storeedge-hq-lite-')), 'hq.db'));
      store = lite;
      // the same SQL, with SQLite's placeholders
      rows = async (sql, args = []) => lite.db.prepare(sql.replace(/\$\d+/g, '?')).all(...args) as J[];
      close = async () => lite.close();
    }
    workers = ['a', 'b'].map(
      (id) =>
        new IngestWorker({
          url: broker.url,
          prefix: P,
          store,
          log: pino({ level: 'silent' }),
          clientId: `test-worker-${engine}-${id}`,
          shareGroup: `hq-ingest-${engine}`,
          gapTimeoutMs: 600,
        }),
    );
    await Promise.all(workers.map((w) => w.start()));
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await close();
  });

  it('stores each (store, seq) once, whatever the order and however often it arrives', async () => {
    const events = Array.from({ length: 300 }, (_, i) => sale('s-order', i + 1));
    const shuffled = [...events, ...events.slice(0, 60)].sort(() => Math.random() - 0.5);
    for (const e of shuffled) await send(eventTopic(e.storeId, e.type), e);
    // wait for every one of the 360 copies, the repeats too, not only for the watermark
    const w = await waitFor(
      'all 360 copies written',
      async () => {
        const x = await store.watermark('s-order');
        return x && x.events + x.duplicates === 360 ? x : undefined;
      },
      20_000,
    );
    expect(w).toMatchObject({ contiguousSeq: 300, maxSeq: 300, events: 300, duplicates: 60, quarantined: 0 });
    expect(await count(`SELECT count(*) AS n FROM events WHERE store_id = 's-order'`)).toBe(300);
    expect(await count(`SELECT count(*) AS n FROM sales WHERE store_id = 's-order'`)).toBe(300);
    expect(await count(`SELECT sum(total_fen) AS n FROM sales WHERE store_id = 's-order'`)).toBe(
      events.reduce((a, e) => a + (e.payload.totalFen as number), 0),
    );
    // both workers took a share
    expect(workers.every((x) => x.stats.received > 0)).toBe(true);
  });

  it('quarantines bad input with the reason, keeps the first copy, and goes on', async () => {
    const s = 's-bad';
    await send(eventTopic(s, 'sale.completed'), sale(s, 1));
    await waitFor('seq 1', async () => ((await store.watermark(s))?.contiguousSeq === 1 ? true : undefined));
    // the same (store, seq) with different content
    await send(eventTopic(s, 'sale.completed'), sale(s, 1, 1));
    // a payload that fails its type's schema
    const bad = sale(s, 2);
    (bad.payload as Record<string, unknown>).totalFen = -5;
    await send(eventTopic(s, 'sale.completed'), bad);
    // a topic of one store carrying another store's event
    await send(eventTopic(s, 'sale.completed'), sale('s-other', 3));
    // a sequence below 1, not JSON, a type that differs from the topic's
    await send(eventTopic(s, 'sale.completed'), { ...sale(s, 4), seq: 0 });
    await send(eventTopic(s, 'sale.completed'), '{"not json');
    await send(eventTopic(s, 'refund.completed'), sale(s, 5));
    await send(eventTopic(s, 'sale.completed'), sale(s, 6));
    // two workers share these messages: wait until the watermark has taken in all eight
    // (two stored events, six quarantined), not only the quarantine
    await waitFor(
      'all eight messages written',
      async () => {
        const w = await store.watermark(s);
        return w && w.events === 2 && w.duplicates === 0 && w.quarantined === 6 && w.maxSeq === 6
          ? true
          : undefined;
      },
      10_000,
    ).catch(async (err) => {
      console.error(await store.watermark(s));
      throw err;
    });
    const reasons = await rows('SELECT reason, seq, detail FROM quarantine WHERE store_id = $1 ORDER BY id', [
      s,
    ]);
    expect(reasons.map((r: { reason: string }) => r.reason).sort()).toEqual(
      ['conflict', 'malformed', 'malformed', 'schema', 'store-mismatch', 'type-mismatch'].sort(),
    );
    expect(reasons.find((r: { reason: string }) => r.reason === 'schema').detail).toMatch(/\/totalFen/);
    // the first copy of seq 1 stands; nothing of the bad ones was projected
    expect(await rows(`SELECT total_fen FROM sales WHERE store_id = $1 AND seq = 1`, [s])).toEqual([
      { total_fen: 1001 },
    ]);
    expect(await count('SELECT count(*) AS n FROM sales WHERE store_id = $1', [s])).toBe(2); // seq 1 and 6
    expect(await count(`SELECT count(*) AS n FROM events WHERE store_id = 's-other'`)).toBe(0);
    // quarantined events with a known seq keep their place, so the watermark moves past them,
    // except seq 4 (its seq was 0): that one HQ asks the store to send again
    const w = await store.watermark(s);
    expect(w).toMatchObject({ contiguousSeq: 3, maxSeq: 6 });
  });

  it('a gap that stays open is asked for once per timeout, by one worker, from the watermark', async () => {
    const s = 's-gap';
    const requests: { fromSeq: number; toSeq: number }[] = [];
    let firstAt = 0; // when the first request arrived (polling for it would notice it late)
    const listener = await mqtt.connectAsync(broker.url, {
      protocolVersion: 5,
      clientId: 'test-store-s-gap',
    });
    listener.on('message', (_t, body) => {
      firstAt ||= Date.now();
      requests.push(JSON.parse(body.toString()));
    });
    await listener.subscribeAsync(`${P}/${s}/cmd/resend`, { qos: 1 });
    const sentAt = Date.now(); // the gap opens no earlier than this
    for (const seq of [1, 2, 3, 7, 8]) await send(eventTopic(s, 'sale.completed'), sale(s, seq));
    await waitFor('resend asked', () => (requests.length ? true : undefined), 10_000);
    expect(requests[0]).toEqual({ fromSeq: 4, toSeq: 6 });
    // the store answers: the gap closes and no more requests come
    for (const seq of [4, 5, 6]) await send(eventTopic(s, 'sale.completed'), sale(s, seq));
    await waitFor('closed', async () => ((await store.watermark(s))?.contiguousSeq === 8 ? true : undefined));
    const asked = requests.length;
    const openMs = Date.now() - sentAt;
    await new Promise((r) => setTimeout(r, 1500));
    expect(requests.length).toBe(asked);
    // one request per 600 ms timeout while the gap was open, however many workers look: the
    // first no sooner than 600 ms after the gap opened, each next 600 ms after the one before
    // (HQ's clock, not the requests' delivery, which a busy machine delays unevenly); three
    // workers asking at once still fail it
    expect(firstAt - sentAt).toBeGreaterThanOrEqual(600);
    expect(asked).toBeLessThanOrEqual(Math.floor(openMs / 600));
    // a lost tail: the heartbeat says the broker took 10, HQ has 8
    await send(`${P}/${s}/heartbeat`, { sentThrough: 10 });
    await waitFor(
      'tail asked',
      () => (requests.some((r) => r.fromSeq === 9 && r.toSeq === 10) ? true : undefined),
      10_000,
    );
    await listener.endAsync();
  });

  describe('the fleet command line', () => {
    it('runs virtual stores with outages for a bounded time, and HQ gets their events whole', async () => {
      const { spawn } = await import('node:child_process');
      const proc = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          'bench/fleet/cli.ts',
          '--broker',
          broker.url,
          '--stores',
          '6',
          '--rate',
          '1',
          '--seconds',
          '5',
          '--outage',
          '2,1,0.5',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      proc.stdout.on('data', (d) => (out += d));
      proc.stderr.on('data', (d) => (out += d));
      const code = await new Promise((r) => proc.once('exit', r));
      expect(code, out).toBe(0);
      expect(out).toMatch(/"outage":\d+/);
      const stores = await waitFor(
        'fleet stores complete at HQ',
        async () => {
          const r = await rows(
            `SELECT store_id, contiguous_seq, max_seq, sent_through FROM store_watermarks WHERE store_id LIKE 'fleet-%'`,
          );
          return r.length === 6 &&
            r.every(
              (w: { contiguous_seq: number; max_seq: number; sent_through: number }) =>
                w.contiguous_seq === w.max_seq && w.contiguous_seq >= w.sent_through && w.max_seq > 0,
            )
            ? r
            : undefined;
        },
        20_000,
      );
      expect(stores).toHaveLength(6);
    }, 60_000);
  });
});
