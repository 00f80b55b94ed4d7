// The store's outbox reaching HQ through a real mosquitto on a loopback port, with an HQ
// ingest worker on one SQLite file on the other side. The final check of every test: HQ holds
// exactly the store's events, once each, in sequence, with no gap.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Db } from '../../edge/db/open.js';
import { unsentSummary } from '../../edge/db/outbox.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { appendSyntheticEvent } from '../helpers/outbox.js';
import { waitFor } from '../helpers/ports.js';
import { startProxy } from '../helpers/proxy.js';
import { cashSale, demoDb, sellableCodes } from '../helpers/store.js';
import { type LabIngest, labIngest, syncStore } from '../helpers/sync.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});
const dir = mkdtempSync(join(tmpdir(), 'storeedge-sync-'));

function addEvents(db: Db, n: number, kind: 'money' | 'telemetry' = 'money'): void {
  const tx = db.transaction((count: number) => {
    for (let i = 0; i < count; i++)
      appendSyntheticEvent(
        db,
        {
          // types HQ keeps without a schema: a made-up payload is not quarantined
          type: kind === 'money' ? 'test.money' : 'test.telemetry',
          class: kind,
          payload: { i, totalFen: 100 + i },
        },
        Date.now(),
      );
  });
  for (let done = 0; done < n; done += 1000) tx(Math.min(1000, n - done));
}

async function hq(broker: { url: string }, name = 'hq.db', gapTimeoutMs = 1500) {
  const ingest = await labIngest(
    broker.url,
    join(dir, `${Date.now()}-${Math.random()}-${name}`),
    gapTimeoutMs,
  );
  cleanup.push(() => ingest.stop());
  return ingest;
}

function store(url: string, drainPerSecond?: number, db = demoDb()) {
  const r = syncStore(url, { db, ...(drainPerSecond ? { drainPerSecond } : {}) });
  cleanup.push(() => r.part.stop());
  return r;
}

async function hqMax(ingest: LabIngest): Promise<number> {
  await ingest.flush();
  return (await ingest.events.watermark('demo-store-001'))?.maxSeq ?? 0;
}

/** HQ has seq 1..n of the store, once each; the store has every row marked sent. */
async function allDelivered(ingest: LabIngest, db: Db, timeoutMs = 30_000) {
  const n = db.prepare('SELECT max(seq) FROM outbox').pluck().get() as number;
  await waitFor(
    `HQ has all ${n} events`,
    async () => {
      await ingest.flush();
      return (await ingest.events.watermark('demo-store-001'))?.contiguousSeq === n ? true : undefined;
    },
    timeoutMs,
  );
  const seqs = ingest.seqs('demo-store-001');
  expect(seqs.length).toBe(n);
  expect(seqs[0]).toBe(1);
  expect(seqs.at(-1)).toBe(n);
  await waitFor('store marked all sent', () => (unsentSummary(db).events === 0 ? true : undefined), 10_000);
}

describe('outbox to HQ over MQTT', () => {
  it('delivers the backlog in order, and events written later, with birth state and clock offset', async () => {
    const broker = await startMosquitto();
    cleanup.push(() => broker.stop());
    const ingest = await hq(broker);
    const { part, db } = store(broker.url);
    addEvents(db, 500);
    await allDelivered(ingest, db);
    addEvents(db, 20);
    await allDelivered(ingest, db);
    const row = ingest.db
      .prepare("SELECT online, last_state FROM store_state WHERE store_id = 'demo-store-001'")
      .get() as { online: number };
    expect(row.online).toBe(1);
    await waitFor(
      'clock offset measured',
      () => (typeof part.details().clockOffsetMs === 'number' ? true : undefined),
      5000,
    );
    expect(Math.abs(part.details().clockOffsetMs as number)).toBeLessThan(1000);
  });

  it('the broker restarts mid-drain: resumes, fills the gap by resend, no loss, no double effect', async () => {
    const broker = await startMosquitto();
    cleanup.push(() => broker.stop());
    const ingest = await hq(broker);
    const { db } = store(broker.url, 3000);
    addEvents(db, 6000);
    await waitFor('drain under way', async () => ((await hqMax(ingest)) > 1000 ? true : undefined), 10_000);
    await broker.stop();
    await new Promise((r) => setTimeout(r, 500));
    await broker.start();
    await allDelivered(ingest, db, 40_000);
  }, 60_000);

  it('the network is cut and healed (broker keeps running): the session resumes and the drain completes', async () => {
    const broker = await startMosquitto();
    cleanup.push(() => broker.stop());
    const proxy = await startProxy(broker.port);
    cleanup.push(() => proxy.close());
    const ingest = await hq(broker);
    const { part, db } = store(proxy.url, 3000);
    addEvents(db, 4000);
    await waitFor('drain under way', async () => ((await hqMax(ingest)) > 500 ? true : undefined), 10_000);
    proxy.cut();
    await waitFor('link down', () => (part.details().link !== 'up' ? true : undefined), 5000);
    addEvents(db, 100); // selling goes on offline
    await new Promise((r) => setTimeout(r, 800));
    proxy.heal();
    await allDelivered(ingest, db, 40_000);
    // the broker published the store's last will when the connection died
    expect(Number(part.details().reconnects)).toBeGreaterThan(0);
  }, 60_000);

  it('drains a 100k-event backlog after an outage, in full, once each', async () => {
    const broker = await startMosquitto();
    cleanup.push(() => broker.stop());
    const ingest = await hq(broker);
    const db = demoDb();
    addEvents(db, 100_000);
    store(broker.url, 100_000, db);
    await allDelivered(ingest, db, 90_000);
  }, 120_000);

  it('a long broker outage under real trading: 600 sales offline, then HQ catches up completely', async () => {
    const broker = await startMosquitto();
    cleanup.push(() => broker.stop());
    const ingest = await hq(broker);
    const { db, part } = store(broker.url, 5000);
    await waitFor('online', () => (part.details().link === 'up' ? true : undefined), 5000);
    await broker.stop();
    const codes = sellableCodes(db);
    for (let i = 0; i < 600; i++) {
      cashSale(db, codes, i, Date.now());
      if (i % 100 === 0) await new Promise((r) => setTimeout(r, 50)); // the link keeps retrying meanwhile
    }
    expect(part.details().link).not.toBe('up');
    await broker.start();
    await allDelivered(ingest, db, 60_000);
    expect(ingest.db.prepare("SELECT count(*) FROM events WHERE type = 'sale.completed'").pluck().get()).toBe(
      600,
    );
  }, 90_000);

  it('HQ lost events (its side): the gap is noticed and the store resends exactly that range', async () => {
    const broker = await startMosquitto();
    cleanup.push(() => broker.stop());
    const ingest = await hq(broker, 'hq.db', 500);
    const { db } = store(broker.url);
    addEvents(db, 300);
    await allDelivered(ingest, db);
    ingest.db
      .prepare("DELETE FROM events WHERE store_id = 'demo-store-001' AND seq BETWEEN 100 AND 120")
      .run();
    ingest.db
      .prepare("UPDATE store_watermarks SET contiguous_seq = 99 WHERE store_id = 'demo-store-001'")
      .run();
    addEvents(db, 5); // HQ now sees 301..305 beyond its gap
    await allDelivered(ingest, db);
    expect(ingest.resendRequests).toBeGreaterThanOrEqual(1);
    expect((await ingest.events.watermark('demo-store-001'))?.duplicates).toBeLessThan(300);
  });

  it('HQ lost the last events and nothing came after: the heartbeat says what the broker took, HQ asks for the tail', async () => {
    const broker = await startMosquitto();
    cleanup.push(() => broker.stop());
    const ingest = await hq(broker, 'hq.db', 500);
    const { db } = store(broker.url);
    addEvents(db, 300);
    await allDelivered(ingest, db);
    ingest.db.prepare("DELETE FROM events WHERE store_id = 'demo-store-001' AND seq > 290").run();
    ingest.db
      .prepare(
        "UPDATE store_watermarks SET contiguous_seq = 290, max_seq = 290 WHERE store_id = 'demo-store-001'",
      )
      .run();
    await allDelivered(ingest, db);
    expect(ingest.resendRequests).toBeGreaterThanOrEqual(1);
  });

  it('HQ refuses malformed events and events claiming another store', async () => {
    const broker = await startMosquitto();
    cleanup.push(() => broker.stop());
    const ingest = await hq(broker);
    const mqtt = await import('mqtt');
    const c = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    await c.publishAsync('storeedge/v1/demo-store-001/evt/sale.completed', 'not json', { qos: 1 });
    await c.publishAsync(
      'storeedge/v1/demo-store-001/evt/sale.completed',
      JSON.stringify({ storeId: 'other', seq: 1 }),
      { qos: 1 },
    );
    await c.publishAsync(
      'storeedge/v1/demo-store-001/evt/sale.completed',
      JSON.stringify({
        storeId: 'demo-store-001',
        seq: -4,
        eventId: 'x',
        type: 't',
        class: 'money',
        createdAt: 1,
        payload: {},
      }),
      { qos: 1 },
    );
    await c.endAsync();
    await waitFor('rejected', () => (ingest.rejected === 3 ? true : undefined), 5000);
    await ingest.flush();
    // quarantined with their reasons, none stored as the store's event
    expect(ingest.seqs('demo-store-001')).toEqual([]);
    expect(
      ingest.db
        .prepare("SELECT reason FROM quarantine WHERE store_id = 'demo-store-001' ORDER BY id")
        .pluck()
        .all(),
    ).toEqual(['malformed', 'store-mismatch', 'malformed']);
  });
});
