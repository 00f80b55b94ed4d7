// `npm run hq:demo`: HQ for a 50-store chain on this machine. A throwaway PostgreSQL
// cluster and a mosquitto broker on loopback ports (the same helpers the tests use),
// HQ's service with 2 ingest workers, its page and API on http://127.0.0.1:8090, signed
// pushes, 50 virtual stores trading on a compressed day (one day every ten minutes) with
// a fifth of them losing their link for 20 s every minute, and one real store daemon
// counting people on the sample clip. Stores get names, regions, groups and floor plans
// through HQ's API, as an operator would set them. Ctrl-C stops everything.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadHqConfig } from '../../hq/config.js';
import { hqService } from '../../hq/service.js';
import { createLogger } from '../../sync/kernel/logger.js';
import { hashPin } from '../../sync/kernel/pin.js';
import { startDaemon } from '../../test/helpers/daemon.js';
import { startMosquitto } from '../../test/helpers/mosquitto.js';
import { hqCertificatesYaml, startPebble } from '../../test/helpers/pebble.js';
import { startPostgres } from '../../test/helpers/postgres.js';
import { Fleet } from './fleet.js';
import { FLEET_SHELVES, floorPlanPng } from './floor-plan.js';

const STORES = Number(process.env.HQ_DEMO_STORES ?? 50);
const PORT = Number(process.env.HQ_DEMO_PORT ?? 8090);
const CITIES = ['上海', '杭州', '南京', '苏州', '广州', '深圳', '厦门', '北京', '天津', '成都'];
const REGION = ['华东', '华东', '华东', '华东', '华南', '华南', '华南', '华北', '华北', '西南'];

/** Names, regions, groups and floor plans, set through HQ's API as an operator would. */
async function profiles(api: string, ids: string[], visionStore: string): Promise<void> {
  const signIn = await fetch(`${api}/api/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId: 'operator', password: 'operator-demo' }),
  });
  const auth = { authorization: `Bearer ${((await signIn.json()) as { token: string }).token}` };
  const put = async (path: string, body: Buffer | object, type = 'application/json') => {
    const r = await fetch(`${api}/api/v1${path}`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': type },
      body: Buffer.isBuffer(body) ? body : JSON.stringify(body),
    });
    if (!r.ok) throw new Error(`PUT ${path}: ${r.status} ${await r.text()}`);
  };
  const plan = await floorPlanPng(20, 12, FLEET_SHELVES);
  for (const [i, id] of ids.entries()) {
    await put(`/stores/${id}/profile`, {
      name: `${CITIES[i % CITIES.length]} ${String(i + 1).padStart(2, '0')} 店`,
      region: REGION[i % REGION.length],
      groups: [...(i % 5 === 0 ? ['pilot'] : []), ...(i < 3 ? ['flagship'] : [])],
    });
    await put(`/stores/${id}/floor-plan`, plan, 'image/png');
  }
  await put(`/stores/${visionStore}/profile`, {
    name: '演示门店 (摄像头)',
    region: '华东',
    groups: ['pilot'],
  });
  await put(
    `/stores/${visionStore}/floor-plan`,
    await floorPlanPng(27, 12, [{ x: 11, y: 3, w: 7, h: 4, label: 'lamp-post / dairy' }]),
    'image/png',
  );
}

/** What was started, stopped in reverse on the way out, failure included. */
const stops: (() => Promise<unknown>)[] = [];

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'storeedge-hq-demo-'));
  // pebble: an ACME CA on loopback, so HQ gets the camera store a certificate as it would from a public CA
  const [pg, broker, pebble] = await Promise.all([startPostgres(), startMosquitto(), startPebble()]);
  stops.push(
    () => pg.stop(),
    () => broker.stop(),
    () => pebble.stop(),
  );
  writeFileSync(join(dir, 'pebble-root.pem'), await pebble.rootPem());
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
${hqCertificatesYaml(pebble, { tickMs: 2000 })}users:
  - { id: analyst, role: analyst, passwordHash: "${hashPin('analyst-demo')}" }
  - { id: operator, role: operator, passwordHash: "${hashPin('operator-demo')}" }
logLevel: warn
`,
  );
  const log = createLogger('warn').child({ service: 'hq-demo' });
  const svc = hqService(loadHqConfig(join(dir, 'hq.yaml')), { id: 'demo', log, http: true });
  stops.push(() => svc.lifecycle.stop());
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
  stops.push(() => fleet.stop());
  const api = svc.http!.address;
  // depth: the real store daemon counting people on the sample clip, synced to this HQ
  const visionStore = 'store-camera';
  writeFileSync(
    join(dir, 'store.yaml'),
    `store: { id: ${visionStore} }
http: { port: 0 }
db: { path: ./store.db }
seed: { catalog: ${resolve('config/demo/catalog.json')} }
mqtt: { enabled: true, url: "${broker.url}" }
tls: { trustedRootsFile: ./pebble-root.pem, checkSeconds: 5 }
security:
  hqSigningPublicKey: ${JSON.stringify(keys.publicKey.export({ type: 'spki', format: 'pem' }).toString())}
cameras:
  - id: walkway
    source: { type: file, url: ${resolve('test/fixtures/vision/.cache/vtest.avi')}, loop: true, realtime: true }
    fps: 5
    frameSize: { width: 768, height: 576 }
    lines:
      - { id: path-west, a: [0.25, 0.2257], b: [0.25, 0.6597], inSide: left }
    zones:
      - { id: lamp-post, type: dairy-shelf, polygon: [[0.45, 0.3], [0.72, 0.3], [0.72, 0.62], [0.45, 0.62]], minDwellSeconds: 2, categories: [dairy] }
    floorPlan: { homography: [20, 0, 0, 0, 14, 0, 0, 0.5, 0.75], widthM: 27, depthM: 12, cellM: 0.5 }
`,
  );
  const daemon = await startDaemon(['--config', join(dir, 'store.yaml')], {}, 60_000);
  stops.push(() => daemon.stop('SIGTERM'));
  await profiles(
    api,
    fleet.stores.map((_, i) => fleet.storeId(i)),
    visionStore,
  );
  console.log(`HQ demo: ${STORES} virtual stores trading and ${visionStore} counting people on the sample clip
  HQ's page   ${api}/   sign in as analyst / analyst-demo (sees), or operator / operator-demo (also rolls out)
              heatmaps reach HQ as each quarter hour closes; ${visionStore}'s own staff page: ${daemon.address}/ui/staff/
  HTTPS       ${daemon.publicUrl}/ui/staff/   with the certificate HQ ordered from pebble over ACME DNS-01 (seconds after start):
              curl --cacert ${join(dir, 'pebble-root.pem')} --resolve ${daemon.publicUrl ? new URL(daemon.publicUrl).host : ''}:127.0.0.1 ${daemon.publicUrl}/healthz
              GET ${api}/api/v1/certificates                 every store's certificate as HQ holds it
  PostgreSQL  ${pg.url}   (psql "${pg.url}")
  mosquitto   ${broker.url}
  sign in     curl -s -XPOST ${api}/api/v1/sessions -H 'content-type: application/json' -d '{"userId":"analyst","password":"analyst-demo"}'
              (operator / operator-demo may also push)
  then, with  -H "authorization: Bearer <token>":
              GET ${api}/api/v1/stores                       every store: online, version, backlog, watermark
              GET ${api}/api/v1/figures/stores?from=MS&to=MS&sort=conversion   stores ranked by a figure
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
}

main()
  .finally(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  })
  .then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
