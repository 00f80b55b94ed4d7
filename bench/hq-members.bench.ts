// Member figures across the chain, in one run on this machine: a fleet of virtual stores
// (the stores' real checkout, members, outbox and sync part) trading against a real
// mosquitto and an HQ ingest worker on a real PostgreSQL with HQ's push key. Each store's
// members earn and spend points, and a share of member sales is by a member of another
// store (a visitor: looked up at HQ, then followed). A spy counts every member figure the
// broker carries to each store's own topic.
//
// The baseline is the broadcast HQ did before: every changed member's figure on
// {prefix}/all/cmd/member, delivered to every store, each store holding every member of
// the chain. Its figures are counted in the same run: a broadcast delivers each member
// update the worker made to each store, so a store's deliveries = the chain's updates.
// Run at two fleet sizes with the same trade per store: following stays flat per store,
// the broadcast grows with the chain.
import { generateKeyPairSync } from 'node:crypto';
import { resolve } from 'node:path';
import mqtt from 'mqtt';
import pino from 'pino';
import { migratePg, openPgPool } from '../hq/db/pg.js';
import { PgEventStore } from '../hq/ingest/pg-event-store.js';
import { IngestWorker } from '../hq/ingest/worker.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { Fleet } from './fleet/fleet.js';

const SIZES = [20, 60];
const MEMBERS = 30;
/** share of a store's member sales by a member of another store */
const VISITORS = 0.05;
const TICKS = 300;
/** the chain this is sized for */
const CHAIN = 10_000;
const SALES_PER_DAY = 3_000;

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

export async function run(): Promise<void> {
  const [pgs, broker] = await Promise.all([startPostgres(), startMosquitto('max_queued_messages 100000')]);
  const pool = openPgPool(pgs.url, 4);
  const key = generateKeyPairSync('ed25519');
  const worker = new IngestWorker({
    url: broker.url,
    prefix: 'storeedge/v1',
    store: new PgEventStore(pool),
    log: pino({ level: 'silent' }),
    clientId: 'bench-members-hq',
    shareGroup: 'bench-members',
    gapTimeoutMs: 5_000,
    signingKey: key.privateKey,
  });
  const spy = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'bench-members-spy' });
  const received = new Map<string, number>();
  spy.on('message', (topic) => {
    const store = topic.split('/')[2]!;
    received.set(store, (received.get(store) ?? 0) + 1);
  });
  /** Waits until HQ holds every event of the fleet and the member figures have stopped coming. */
  const settle = async (fleet: Fleet, prefix: string): Promise<string[]> => {
    const totals = fleet.totals();
    const ids = [...totals.keys()];
    const max = ids.map((id) => totals.get(id)!.maxSeq);
    for (let quiet = 0, last = -1, waited = 0; quiet < 4; waited++) {
      if (waited > 240) throw new Error(`${prefix}: HQ did not catch up in 2 minutes`);
      await new Promise((r) => setTimeout(r, 500));
      const r = await pool.query(
        `SELECT count(*)::int AS n FROM store_watermarks w
           JOIN unnest($1::text[], $2::bigint[]) AS s(id, max) ON w.store_id = s.id
          WHERE w.contiguous_seq = s.max`,
        [ids, max],
      );
      const sent = [...received.values()].reduce((a, b) => a + b, 0);
      quiet = r.rows[0].n === ids.length && sent === last ? quiet + 1 : 0;
      last = sent;
    }
    return ids;
  };
  try {
    await migratePg(pool);
    await worker.start();
    await spy.subscribeAsync('storeedge/v1/+/cmd/member', { qos: 1 });
    const rows: string[] = [];
    for (const size of SIZES) {
      const prefix = `m${size}`;
      const fleet = new Fleet({
        stores: size,
        broker: broker.url,
        seedFile: resolve('config/demo/catalog.json'),
        salesPerSecond: 2,
        startHour: 12,
        members: MEMBERS,
        visitorShare: VISITORS,
        refundShare: 0.03,
        seed: 11,
        idPrefix: prefix,
        hqSigningPublicKey: key.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      });
      fleet.start();
      // the members enrolled at start reach HQ first: their one-off figures are not the day's trade
      await settle(fleet, prefix);
      const before = { ...worker.stats };
      const was = new Map(received);
      const t0 = performance.now();
      const { sales } = await fleet.tradeTicks(TICKS);
      const ids = await settle(fleet, prefix);
      const seconds = (performance.now() - t0) / 1000;
      const updates = worker.stats.memberUpdates - before.memberUpdates;
      const sent = worker.stats.memberMessages - before.memberMessages;
      const lookups = worker.stats.memberLookups - before.memberLookups;
      const perStore = ids.map((id) => (received.get(id) ?? 0) - (was.get(id) ?? 0));
      const held = fleet.stores.map(
        (s) => (s.db.prepare('SELECT count(*) AS n FROM members').get() as { n: number }).n,
      );
      const enrolled = Number(
        (
          await pool.query("SELECT count(*) AS n FROM members_enrolled WHERE store_id LIKE $1 || '-%'", [
            prefix,
          ])
        ).rows[0].n,
      );
      const salesPerStore = sales / size;
      const follow = median(perStore);
      const perDay = (n: number) => (n / salesPerStore) * SALES_PER_DAY;
      console.log(
        `${size} stores × ${MEMBERS} members, ${fmt(salesPerStore)} sales a store (${fmt(VISITORS * 100)}% of member sales by visitors), ${fmt(seconds, 1)} s`,
      );
      console.log(
        `  HQ: ${fmt(updates)} member figures changed, ${fmt(sent)} messages sent (${fmt(sent / updates, 2)} per figure), ${fmt(lookups)} lookups`,
      );
      console.log(
        `  following: member messages per store median ${fmt(follow)} (max ${fmt(Math.max(...perStore))}), replica rows per store median ${fmt(median(held))} (max ${fmt(Math.max(...held))})`,
      );
      console.log(
        `  broadcast: member messages per store ${fmt(updates)}, replica rows per store ${fmt(enrolled)} → ${fmt(updates / Math.max(follow, 1), 1)}× the messages, ${fmt(enrolled / Math.max(median(held), 1), 1)}× the rows`,
      );
      rows.push(
        `  ${size} stores: per store per day at ${fmt(SALES_PER_DAY)} sales: following ${fmt(perDay(follow))} messages; broadcast ${fmt(perDay(updates))} (at ${fmt(CHAIN)} stores ${fmt((perDay(updates) / size) * CHAIN)})`,
      );
      await fleet.stop();
      for (const s of fleet.stores) s.db.close();
    }
    console.log('scaled (messages per store per day):');
    for (const r of rows) console.log(r);
  } finally {
    await spy.endAsync();
    await worker.stop();
    await pool.end();
    await broker.stop();
    await pgs.destroy();
  }
}
