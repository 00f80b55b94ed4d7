// The fleet simulator from the command line (`npm run fleet -- …`):
//   fleet --broker mqtt://… [--stores 50] [--rate 0.2] [--seconds 300]
//         [--outage EVERY_S,FOR_S,SHARE] [--day-minutes 10] [--hq-key PUB.pem]
// N virtual stores (the store's real checkout, outbox, publisher and link) trading `rate`
// sales/s each on a compressed day; every EVERY_S seconds a SHARE of them loses its link
// for FOR_S seconds. Stops by itself after --seconds, or on SIGINT/SIGTERM.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Fleet } from './fleet.js';

const USAGE =
  'usage: fleet --broker mqtt://… [--stores N] [--rate R] [--seconds S] [--outage EVERY,FOR,SHARE] [--day-minutes M] [--hq-key PEM]';

async function fleet(o: Record<string, string | undefined>): Promise<number> {
  const outage = (o.outage ?? '').split(',').map(Number);
  if (!o.broker || (o.outage && (outage.length !== 3 || outage.some((x) => !Number.isFinite(x) || x < 0)))) {
    console.error(USAGE);
    return 64;
  }
  const [every = 0, down = 0, share = 0] = o.outage ? outage : [];
  const seconds = Number(o.seconds ?? 300);
  const f = new Fleet({
    stores: Number(o.stores ?? 50),
    broker: o.broker,
    seedFile: resolve('config/demo/catalog.json'),
    salesPerSecond: Number(o.rate ?? 0.2),
    dayLengthMs: Number(o['day-minutes'] ?? 10) * 60_000,
    startHour: 7,
    ...(o['hq-key'] ? { hqSigningPublicKey: readFileSync(o['hq-key'], 'utf8') } : {}),
  });
  f.start();
  let stop = false;
  process.once('SIGINT', () => (stop = true));
  process.once('SIGTERM', () => (stop = true));
  const at = () => new Date().toISOString();
  await f.run({
    until: Date.now() + seconds * 1000,
    shouldStop: () => stop,
    outage: o.outage ? { everyMs: every * 1000, forMs: down * 1000, share } : undefined,
    progressMs: 10_000,
    onOutage: (cut) => console.log(JSON.stringify({ at: at(), outage: cut, forSeconds: down })),
    onProgress: (sales) =>
      console.log(JSON.stringify({ at: at(), stores: f.stores.length, sales, hour: Math.floor(f.hour()) })),
  });
  await f.stop();
  return 0;
}

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    broker: { type: 'string' },
    stores: { type: 'string' },
    rate: { type: 'string' },
    seconds: { type: 'string' },
    outage: { type: 'string' },
    'day-minutes': { type: 'string' },
    'hq-key': { type: 'string' },
  },
});
fleet(values).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
