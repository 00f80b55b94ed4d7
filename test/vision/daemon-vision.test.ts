// The daemon counting people on a real clip end to end: camera → model → aggregates
// in SQLite → staff API (JSON and PNG) → outbox to HQ over a real mosquitto → HQ's
// pulls; and HQ's model pushes: a corrupt model refused with the running one kept, a
// good one put in service and still in service after a restart.
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HqClient } from '../../hq/store-client.js';
import { type RunningDaemon, startDaemon } from '../helpers/daemon.js';
import { type Broker, startMosquitto } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/ports.js';
import { type LabIngest, labIngest } from '../helpers/sync.js';
import { MODEL_MANIFEST, vtestCameraYaml } from '../models/fixtures.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read loosely in this end-to-end test
type J = any;

const dir = mkdtempSync(join(tmpdir(), 'storeedge-vision-'));
const STAFF_PIN_HASH =
  'scrypt$16384$8$1$ukQq8eNyELlCEHKfakXrhA==$VBMG/Hq41EqSyiJ+PqhdXn0DaQB8d9FGA1EEM0jp//A=';
const hqKeys = generateKeyPairSync('ed25519');
const HQ_PUBLIC = hqKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString();

let broker: Broker;
let d: RunningDaemon;
let hq: HqClient;
let ingest: LabIngest;
let staffToken = '';
const file = join(dir, 'store.yaml');

async function call(path: string): Promise<{ status: number; body: J; type: string | null; bytes: Buffer }> {
  const res = await fetch(`${d.address}/api/v1${path}`, { headers: { 'x-staff-token': staffToken } });
  const bytes = Buffer.from(await res.arrayBuffer());
  const type = res.headers.get('content-type');
  return {
    status: res.status,
    type,
    bytes,
    body: type?.includes('json') ? JSON.parse(bytes.toString()) : null,
  };
}

async function signIn(): Promise<void> {
  const res = await fetch(`${d.address}/api/v1/staff/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': `vision-${Date.now()}` },
    body: JSON.stringify({ staffId: 'mgr-1', pin: '1234' }),
  });
  staffToken = ((await res.json()) as J).token;
}

const vision = async () => {
  const r = await fetch(`${d.address}/readyz`);
  return ((await r.json()) as J).parts.find((p: J) => p.name === 'vision').details;
};

/** HQ pushes a model: its manifest and the .onnx bytes, signed with HQ's key unless another is given. */
const pushModel = async (
  version: number,
  manifest: unknown,
  onnx: Buffer,
  key = hqKeys.privateKey,
): Promise<J> =>
  hq.push('demo-store-001', 'model', version, { manifest, onnxBase64: onnx.toString('base64') }, key, 30_000);

beforeAll(async () => {
  broker = await startMosquitto();
  ingest = await labIngest(broker.url, join(dir, 'hq.db'));
  hq = await HqClient.connect(broker.url);
  writeFileSync(
    file,
    `http: { port: 0 }
db: { path: ./store.db }
seed: { catalog: ${resolve('config/demo/catalog.json')} }
mqtt: { enabled: true, url: "${broker.url}" }
security:
  hqSigningPublicKey: ${JSON.stringify(HQ_PUBLIC)}
  staff:
    - { id: mgr-1, name: Manager, role: manager, pinHash: "${STAFF_PIN_HASH}" }
vision: { flushSeconds: 1, threads: 1, stillScene: false }
${vtestCameraYaml()}`,
  );
  d = await startDaemon(['--config', file]);
  await signIn();
}, 60_000);

afterAll(async () => {
  if (d) await d.stop('SIGTERM');
  await hq?.close();
  await ingest?.stop();
  await broker?.stop();
});

describe('people counting in the daemon', () => {
  it('counts the clip, serves counts, dwell, occupancy and the heatmap to staff, and HQ gets the same', async () => {
    await waitFor(
      'clip analysed',
      async () => ((await vision()).cameras[0].state === 'ended' ? true : undefined),
      150_000,
    );
    const status = await vision();
    expect(status.model).toMatchObject({ id: 'nanodet-m-416' });
    expect(status.cameras[0]).toMatchObject({ frames: 398, error: null });

    const from = Date.now() - 3 * 3_600_000;
    const to = Date.now() + 3_600_000;
    // 'ended' is reported only once the camera's last tallies are stored: no waiting here
    const counts = (await call(`/vision/counts?res=1h&from=${from}&to=${to}`)).body;
    const ins = counts.lines.reduce((s: number, l: J) => s + l.ins, 0);
    const outs = counts.lines.reduce((s: number, l: J) => s + l.outs, 0);
    // the hand labels say 5 in and 7 out; at 5 fps the counter may miss one or two
    expect(ins).toBeGreaterThanOrEqual(3);
    expect(ins).toBeLessThanOrEqual(6);
    expect(outs).toBeGreaterThanOrEqual(5);
    expect(outs).toBeLessThanOrEqual(8);
    expect(counts.zones.reduce((s: number, z: J) => s + z.visits, 0)).toBeGreaterThan(0);

    const occupancy = (await call('/vision/occupancy')).body;
    expect(occupancy.store).toMatchObject({ ins, outs, inside: Math.max(0, ins - outs) });
    expect(occupancy.cameras).toEqual([{ id: 'walkway', visible: 0, zones: { 'lamp-post': 0 } }]);

    const heat = (await call(`/vision/heatmap?camera=walkway&from=${from}&to=${to}`)).body;
    expect(heat).toMatchObject({ cols: 54, rows: 24, cellM: 0.5 });
    expect(heat.peopleSeconds).toBeGreaterThan(60);
    const png = await call(`/vision/heatmap?camera=walkway&from=${from}&to=${to}&format=png`);
    expect(png.type).toBe('image/png');
    expect(png.bytes.subarray(1, 4).toString()).toBe('PNG');
    mkdirSync('test-results', { recursive: true });
    writeFileSync(join('test-results', 'vision-heatmap.png'), png.bytes);
    // this store shows no camera pictures (vision.stillScene: false): no scene, and the
    // heatmap is drawn on its grid alone (a handful of colours, no scene under it)
    const scene = await call('/vision/cameras/walkway/scene');
    expect(scene.status).toBe(404);
    expect(scene.body.error.code).toBe('SCENE_OFF');
    const { data, info } = await sharp(png.bytes).raw().toBuffer({ resolveWithObject: true });
    const colours = new Set<number>();
    for (let i = 0; i < data.length; i += info.channels * 97)
      colours.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
    expect(colours.size).toBeLessThan(300);

    // HQ: the same figures by pull, and the counts as telemetry events
    const pulled = (await hq.request('demo-store-001', 'counts', { from, to, res: '1h' })) as J;
    expect(pulled.lines).toEqual(counts.lines);
    const pulledHeat = (await hq.request('demo-store-001', 'heatmap', { camera: 'walkway', from, to })) as J;
    expect(pulledHeat.peopleSeconds).toBe(heat.peopleSeconds);
    // the clip has ended, so its period is closed: every later read, from either door, is the same
    await new Promise((r) => setTimeout(r, 1500)); // past the next timer flush
    const again = (await call(`/vision/heatmap?camera=walkway&from=${from}&to=${to}`)).body;
    expect(again.peopleSeconds).toBe(heat.peopleSeconds);
    expect((await call(`/vision/counts?res=1h&from=${from}&to=${to}`)).body.lines).toEqual(counts.lines);
    await waitFor(
      'counts at HQ',
      async () => {
        await ingest.flush();
        const rows = ingest.db
          .prepare(`SELECT payload FROM events WHERE store_id = 'demo-store-001' AND type = 'vision.counts'`)
          .all() as { payload: string }[];
        let total = 0;
        for (const r of rows)
          for (const cam of Object.values(JSON.parse(r.payload).cameras) as J[])
            for (const m of Object.values(cam.minutes) as J[])
              for (const l of Object.values(m.lines ?? {}) as J[]) total += l.in;
        return total === ins ? true : undefined;
      },
      15_000,
    );
  }, 200_000);

  it('refuses bad periods and unknown cameras clearly, and staff only', async () => {
    expect((await call('/vision/counts?from=10&to=5')).body).toMatchObject({ error: { code: 'BAD_RANGE' } });
    expect((await call('/vision/heatmap?camera=nope')).status).toBe(404);
    expect((await call('/vision/heatmap?camera=../etc')).status).toBe(400);
    const anonymous = await fetch(`${d.address}/api/v1/vision/occupancy`);
    expect(anonymous.status).toBe(401);
  });

  it('model pushes: a corrupt model is refused and the running one stays; a good one takes over and survives a restart', async () => {
    const manifest = JSON.parse(readFileSync(MODEL_MANIFEST, 'utf8'));
    const onnx = readFileSync(join(dirname(MODEL_MANIFEST), manifest.file));
    const corrupt = Buffer.from(onnx);
    corrupt[corrupt.length >> 1] = corrupt[corrupt.length >> 1]! ^ 0xff;
    const bad = await pushModel(2, manifest, corrupt);
    expect(bad).toMatchObject({ dataset: 'model', status: 'rejected' });
    expect(bad.problems[0]).toMatch(/sha256 does not match/);

    // a model whose own manifest matches but which is not a detector at all
    const junk = Buffer.from('not a model');
    const { createHash } = await import('node:crypto');
    const junkManifest = {
      ...manifest,
      bytes: junk.length,
      sha256: createHash('sha256').update(junk).digest('hex'),
    };
    const junkPush = await pushModel(3, junkManifest, junk);
    expect(junkPush.status).toBe('rejected');
    expect(junkPush.problems[0]).toMatch(/onnxruntime cannot load it/);
    expect((await vision()).model).toMatchObject({ id: 'nanodet-m-416', pushedVersion: null });

    const forged = generateKeyPairSync('ed25519');
    const forgedPush = await pushModel(4, manifest, onnx, forged.privateKey);
    expect(forgedPush.problems[0]).toMatch(/signature does not verify/);

    const v2 = { ...manifest, version: '3.0.4-2' };
    const good = await pushModel(5, v2, onnx);
    expect(good).toMatchObject({ status: 'applied', model: { id: 'nanodet-m-416', version: '3.0.4-2' } });
    expect((await vision()).model).toMatchObject({ version: '3.0.4-2', pushedVersion: 5 });
    const stale = await pushModel(5, v2, onnx);
    expect(stale.status).toBe('rejected');

    const code = await d.stop('SIGTERM');
    if (code !== 0)
      console.error(
        d.logLines().filter((l) => Number(l.level) >= 40),
        d.stderr(),
      );
    expect(code).toBe(0);
    d = await startDaemon(['--config', file]);
    expect((await vision()).model).toMatchObject({ version: '3.0.4-2', pushedVersion: 5 });
  }, 120_000);
});
