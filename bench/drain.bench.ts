// Outbox drain rate after an outage: a backlog of 5-line sales published by
// the store's publisher (read from SQLite in sequence as the bytes it sends, QoS 1,
// marked sent on PUBACK) against a raw mqtt.js QoS 1 publish loop of the same number of
// messages of the same bytes with the same number in flight, to the same mosquitto, in
// the same run: three rounds of 50k, each drain between two raw rounds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import pino from 'pino';
import { migrate } from '../edge/db/migrate.js';
import { migrations } from '../edge/db/migrations/index.js';
import { openDb } from '../edge/db/open.js';
import { appendOutbox } from '../edge/db/outbox.js';
import { MqttLink } from '../edge/sync/link.js';
import { OutboxPublisher } from '../edge/sync/publisher.js';
import { Topics, wireText } from '../sync/topics.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';

const WINDOW = 256;
// the machine's neighbours take the CPU in phases of seconds: rounds of raw, drain, raw,
// each drain against the raw rounds either side of it, and the median of the rounds
const ROUNDS = 3;
const PER_ROUND = 50_000;
const WARM_UP = 20_000;

export async function run(): Promise<void> {
  const broker = await startMosquitto();
  const dir = mkdtempSync(join(tmpdir(), 'storeedge-drain-'));
  try {
    const sale = saleEvent();
    // what the drain sends for one of them: the same bytes for the baseline
    const payload = wireText('bench-store', {
      seq: PER_ROUND,
      eventId: '00000000-0000-4000-8000-000000000000',
      type: 'sale.completed',
      class: 'money',
      createdAt: Date.now(),
      payload: JSON.stringify(sale),
    });

    // a warm-up round first (a cold mqtt.js is slower by half: unwarmed, the first round
    // flattered the drain)
    await rawLoop(broker.url, payload, WARM_UP);
    const raws = [await rawLoop(broker.url, payload, PER_ROUND)];
    const drains: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      drains.push(await drainRound(broker.url, join(dir, `round-${round}`), sale, PER_ROUND));
      raws.push(await rawLoop(broker.url, payload, PER_ROUND));
    }
    const ratios = drains.map((d, i) => d / ((raws[i]! + raws[i + 1]!) / 2));
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const mid = ratios.indexOf(median(ratios));
    const f = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');
    console.log(
      `raw mqtt.js QoS 1 publish loop, ${WINDOW} in flight (baseline), ${raws.length} rounds of ${PER_ROUND}: ${f(raws)} msg/s`,
    );
    console.log(
      `outbox drain (read, publish, PUBACK, mark sent), ${ROUNDS} rounds of a ${PER_ROUND}-event backlog, each between two raw rounds: ${f(drains)} events/s`,
    );
    console.log(`message size: ${Buffer.byteLength(payload)} bytes`);
    console.log(`ratio of each round: ${ratios.map((r) => r.toFixed(2)).join(', ')}`);
    console.log(
      `ratio drain / raw (median round): ${ratios[mid]!.toFixed(2)} (${drains[mid]!.toFixed(0)} events/s against ${((raws[mid]! + raws[mid + 1]!) / 2).toFixed(0)} msg/s)`,
    );
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A backlog of `n` sales in a new store database, drained by the store's publisher
 * through its link: events per second from start to the last PUBACK. */
async function drainRound(
  url: string,
  dir: string,
  sale: Record<string, unknown>,
  n: number,
): Promise<number> {
  const db = openDb(join(dir, 'store.db'));
  migrate(db, migrations);
  const fill = db.transaction((k: number) => {
    for (let i = 0; i < k; i++)
      appendOutbox(db, { type: 'sale.completed', class: 'money', payload: sale }, Date.now());
  });
  for (let done = 0; done < n; done += 10_000) fill(Math.min(10_000, n - done));
  const log = pino({ level: 'silent' });
  const topics = new Topics('storeedge/v1', 'bench-store');
  const link = new MqttLink({
    url,
    clientId: 'bench-store',
    keepaliveSeconds: 30,
    will: { topic: topics.state, payload: '{"online":false}' },
    birth: () => ({ topic: topics.state, payload: '{"online":true}' }),
    subscriptions: [],
    log,
  });
  const publisher = new OutboxPublisher({ db, link, topics, log, ratePerSecond: 1_000_000, window: WINDOW });
  const up = new Promise<void>((r) => link.once('up', () => r()));
  link.start();
  await up;
  const t0 = process.hrtime.bigint();
  publisher.start();
  // PUBACKs counted in memory (the backlog query would read every payload), then the
  // last marks written and the outbox checked empty
  while (publisher.acknowledged < n) await new Promise((r) => setTimeout(r, 5));
  await publisher.stop();
  const rate = n / (Number(process.hrtime.bigint() - t0) / 1e9);
  const left = publisher.backlog().events;
  if (left !== 0) throw new Error(`${left} events still unsent after the drain`);
  await link.stop();
  db.close();
  return rate;
}

/** n raw QoS 1 publishes of `payload`, WINDOW in flight: messages per second. */
async function rawLoop(url: string, payload: string, n: number): Promise<number> {
  const raw = await mqtt.connectAsync(url, { protocolVersion: 5, clientId: 'bench-raw' });
  const t0 = process.hrtime.bigint();
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      await raw.publishAsync(`bench/raw/${i % 8}`, payload, { qos: 1 });
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, worker));
  const rate = n / (Number(process.hrtime.bigint() - t0) / 1e9);
  await raw.endAsync();
  return rate;
}

/** A sale.completed payload as checkout writes it: five lines, one promotion, a cash tender. */
function saleEvent(): Record<string, unknown> {
  const lines = Array.from({ length: 5 }, (_, i) => ({
    gtin: `0691100100${1000 + i}`.padStart(14, '0').slice(0, 14),
    qty: 1 + (i % 2),
    weightG: null,
    unitPriceFen: 350 + i * 100,
    grossFen: (350 + i * 100) * (1 + (i % 2)),
    promotions: i === 0 ? [{ id: 'promo-water-2for', amountFen: 50 }] : [],
    couponFen: 0,
    finalFen: (350 + i * 100) * (1 + (i % 2)) - (i === 0 ? 50 : 0),
    taxRateBp: 1300,
    taxFen: 60 + i,
    categories: ['drinks-water', 'drinks'],
  }));
  return {
    saleId: '6f1c2a9e-8a43-4d5b-9d1e-3c2b1a0f9e8d',
    receiptNo: 'S001-20261118-000123',
    channel: 'kiosk',
    kioskId: 'kiosk-1',
    memberId: null,
    grossFen: 3500,
    promoDiscountFen: 50,
    couponDiscountFen: 0,
    totalFen: 3450,
    taxFen: 320,
    changeFen: 550,
    pointsEarned: 0,
    lines,
    payments: [{ kind: 'cash', amountFen: 3450, reference: 'cash' }],
    at: Date.UTC(2026, 10, 18, 4, 0),
  };
}
