// `npm run hq:demo`: HQ for a 50-store chain on this machine. A throwaway PostgreSQL
// cluster and a mosquitto broker on loopback ports (the same helpers the tests use),
// HQ's service with 2 ingest workers, its API on http://127.0.0.1:8090, signed pushes,
// and 50 virtual stores trading on a compressed day (one day every ten minutes), with a
// fifth of them losing their link for 20 s every minute. Ctrl-C stops everything.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { hashPin } from '../edge/checkout/staff.js';
import { createLogger } from '../edge/logger.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { loadHqConfig } from './config.js';
import { Fleet } from './fleet/fleet.js';
import { hqService } from './service.js';

const STORES = Number(process.env.HQ_DEMO_STORES ?? 50);
const PORT = Number(process.env.HQ_DEMO_PORT ?? 8090);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'storeedge-hq-demo-'));
  const [pg, broker] = await Promise.all([startPostgres(), startMosquitto()]);
  const keys = generateKeyPairSync('ed25519');
  writeFileSync(join(dir, 'hq-push.key.pem'), keys.privateKey.export({ type: 'pkcs8', format: 'pem' }), {
    mode: 0o600,
  });
  writeFileSync(
    join(dir, 'hq.yaml'),
    `db: ${pg.url}
broker: { url: ${broker.url} }
http: { port: ${PORT} }
ingest: { workers: 2 }
signingKeyFile: ./hq-push.key.pem
users:
  - { id: analyst, role: analyst, passwordHash: "${hashPin('analyst-demo')}" }
  - { id: operator, role: operator, passwordHash: "${hashPin('operator-demo')}" }
logLevel: warn
`,
  );
  const log = createLogger('warn').child({ service: 'hq-demo' });
  const svc = hqService(loadHqConfig(join(dir, 'hq.yaml')), { id: 'demo', log, http: true });
  await svc.lifecycle.start();
  const fleet = new Fleet({
    stores: STORES,
    broker: broker.url,
    seedFile: resolve('config/demo/catalog.json'),
    salesPerSecond: 0.2,
    dayLengthMs: 600_000,
    startHour: 7,
    members: 20,
    hqSigningPublicKey: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    idPrefix: 'store',
  });
  fleet.start();
  const api = svc.http!.address;
  console.log(`HQ demo: ${STORES} stores trading, HQ on ${api}
  PostgreSQL  ${pg.url}   (psql "${pg.url}")
  mosquitto   ${broker.url}
  sign in     curl -s -XPOST ${api}/api/v1/sessions -H 'content-type: application/json' -d '{"userId":"analyst","password":"analyst-demo"}'
              (operator / operator-demo may also push)
  then, with  -H "authorization: Bearer <token>":
              GET ${api}/api/v1/stores                       every store: online, version, backlog, watermark
              GET ${api}/api/v1/stores/store-0001/sales?day=YYYY-MM-DD   a day's sales with lines and payments
              GET ${api}/api/v1/stores/store-0001/counts?from=MS&to=MS    entrance counts by hour
              GET ${api}/api/v1/quarantine                   refused input with its reason
              POST ${api}/api/v1/pushes {"dataset":"promotions","version":2,"body":{...},"all":true}   then GET /pushes/<id>
  Every minute a fifth of the stores lose their link for 20 s and catch up after. Ctrl-C stops.`);
  let stopping = false;
  const stop = new Promise<void>((r) => {
    process.once('SIGINT', r);
    process.once('SIGTERM', r);
  }).then(() => {
    stopping = true;
  });
  const trading = fleet.run({
    until: Number.POSITIVE_INFINITY,
    shouldStop: () => stopping,
    outage: { everyMs: 40_000, forMs: 20_000, share: 0.2 },
    onOutage: (cut) => log.warn({ cut }, 'stores lost their link'),
  });
  await stop;
  await trading;
  await fleet.stop();
  await svc.lifecycle.stop();
  await broker.stop();
  await pg.stop();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
