// The store's updater on its own, in-process and fast: real SQLite, real downloads from
// a loopback HTTP server, real tar; the bundles are small ones whose Node is this
// test's own and whose launcher accepts any config. What it refuses, what it waits
// for, and what survives a stop. The whole path with real releases, HQ and restarts is
// in release.test.ts.
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCart } from '../../edge/checkout/carts.js';
import { migrate } from '../../edge/db/migrate.js';
import { migrations } from '../../edge/db/migrations/index.js';
import { type Db, openDb } from '../../edge/db/open.js';
import { readOutbox } from '../../edge/db/outbox.js';
import { inboxEntries, queueOfflineBundle } from '../../edge/updates/offline.js';
import { type ReleaseManifest, UpdaterPart } from '../../edge/updates/part.js';
import { signPush } from '../../sync/signing.js';
import { memoryLogger } from '../helpers/log.js';
import { waitFor } from '../helpers/ports.js';

const work = mkdtempSync(join(tmpdir(), 'storeedge-updater-'));
const files = new Map<string, Buffer>();
let server: Server;
let base = '';
/** what the server was asked for */
const served: string[] = [];
/** requests the server holds back until released (a slow download) */
let hold: Promise<void> | null = null;

/** A small bundle: RELEASE.json, this test's Node, a launcher whose --check-config passes. */
const built = new Map<string, ReleaseManifest>();
function bundle(version: string, arch = process.arch): ReleaseManifest {
  const name = `storeedge-${version}-linux-${arch}`;
  const had = built.get(name);
  if (had) return had;
  const dir = join(work, 'src', name);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'node/bin'), { recursive: true });
  symlinkSync(process.execPath, join(dir, 'node/bin/node'));
  writeFileSync(join(dir, 'bin/storeedge'), '#!/bin/sh\nexit 0\n');
  chmodSync(join(dir, 'bin/storeedge'), 0o755);
  writeFileSync(join(dir, 'RELEASE.json'), JSON.stringify({ version, arch }));
  const tar = execFileSync('tar', ['-czf', '-', '-C', join(work, 'src'), name]);
  files.set(`/${name}.tar.gz`, tar);
  const m = {
    version,
    arch,
    sha256: createHash('sha256').update(tar).digest('hex'),
    bytes: tar.length,
    url: `${base}/${name}.tar.gz`,
  };
  built.set(name, m);
  return m;
}

const hqKeys = generateKeyPairSync('ed25519');
const forger = generateKeyPairSync('ed25519');

/** An offline bundle as HQ makes it: a tar of the signed push and the bundle. */
function offlineFile(rollout: number, m: ReleaseManifest, key = hqKeys.privateKey, bundle?: Buffer): string {
  const dir = mkdtempSync(join(work, 'offline-'));
  const push = signPush(key, { dataset: 'software', version: rollout, issuedAt: Date.now(), body: m });
  writeFileSync(join(dir, 'push.json'), JSON.stringify(push));
  writeFileSync(join(dir, 'bundle.tar.gz'), bundle ?? files.get(new URL(m.url).pathname)!);
  const file = join(dir, 'offline.tar');
  execFileSync('tar', ['-cf', file, '-C', dir, 'push.json', 'bundle.tar.gz']);
  return file;
}

function updater(o: { version?: string; schemaVersion?: number; now?: () => number } = {}) {
  const dir = mkdtempSync(join(work, 'state-'));
  mkdirSync(join(dir, 'releases'));
  // the running version, as the package installs it
  const installed = join(dir, 'installed');
  mkdirSync(join(installed, 'bin'), { recursive: true });
  writeFileSync(join(installed, 'bin/storeedge'), '#!/bin/sh\nexit 0\n');
  writeFileSync(join(installed, 'RELEASE.json'), JSON.stringify({ version: o.version ?? '1.0.0' }));
  symlinkSync('installed', join(dir, 'current'));
  const db: Db = openDb(join(dir, 'store.db'));
  migrate(db, migrations);
  const restarts: string[] = [];
  const { log } = memoryLogger('silent');
  const make = () =>
    new UpdaterPart({
      dir,
      version: o.version ?? '1.0.0',
      schemaVersion: o.schemaVersion ?? migrations.length,
      configFile: join(dir, 'store.yaml'),
      db: () => db,
      log,
      healthyAfterS: 1,
      readyTimeoutS: 30,
      maxBundleBytes: 1024 * 1024,
      downloadTimeoutMs: 10_000,
      idleCheckMs: 50,
      timeZone: 'Asia/Shanghai',
      hqKey: hqKeys.publicKey,
      ...(o.now ? { now: o.now } : {}),
      restart: (r) => restarts.push(r),
    });
  const states = () =>
    readOutbox(db)
      .filter((e) => e.type === 'software.status')
      .map((e) => `${e.payload.rollout}:${e.payload.state}${e.payload.reason ? ` ${e.payload.reason}` : ''}`);
  return { dir, db, restarts, make, states };
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    if (hold) await hold;
    served.push(req.url ?? '');
    const body = files.get(req.url ?? '');
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('the updater', () => {
  it('refuses what it must not run, each with its reason, and stages nothing', async () => {
    const u = updater();
    const p = u.make();
    p.start();
    const good = bundle('1.1.0');
    const refused = async (rollout: number, body: unknown) => (await p.install(rollout, body)).problems?.[0];
    expect(await refused(1, { ...good, arch: 'mips' })).toBe(
      `bundle is for mips, this box is ${process.arch}`,
    );
    expect(await refused(2, { ...good, sha256: 'f'.repeat(64) })).toMatch(
      /does not match the signed SHA-256/,
    );
    expect(await refused(3, { ...good, bytes: good.bytes - 1 })).toMatch(/larger than the signed/);
    expect(await refused(4, { ...good, bytes: 5 * 1024 * 1024 })).toMatch(/over updates.maxBundleMB/);
    expect(await refused(5, { ...good, schema: { version: 99, lastCompatible: 99 } })).toMatch(
      /^one-way update: 1.1.0's database \(v99\) cannot be opened by 1.0.0/,
    );
    expect(await refused(6, { version: 'latest' })).toMatch(/\/body\/version/);
    expect(await refused(7, { ...good, url: `${base}/missing.tar.gz` })).toBe('download failed: HTTP 404');
    expect(await refused(1, good)).toBe('rollout 1 is older than 7');
    expect(readFileSync(join(u.dir, 'update-state.json'), 'utf8')).not.toContain('"pending"');
    expect(execFileSync('ls', ['-A', join(u.dir, 'releases')]).toString()).toBe('');
    expect(u.states().filter((x) => x.includes(':rejected'))).toHaveLength(8);
    expect(u.states().some((x) => /:(installed|switching)/.test(x))).toBe(false);
    expect(u.restarts).toEqual([]);
    p.stop();
  });

  it('waits for an open payment, switches once it is paid, and asks for a restart', async () => {
    const u = updater();
    const p = u.make();
    p.start();
    const cart = createCart(u.db, { channel: 'kiosk', kioskId: 'kiosk-1', now: Date.now() });
    u.db.prepare(`UPDATE carts SET status = 'paying' WHERE id = ?`).run(cart.id);
    expect(await p.install(10, bundle('1.2.0'))).toMatchObject({ status: 'accepted', state: 'installed' });
    await new Promise((r) => setTimeout(r, 300)); // several idle checks: none may switch
    expect(u.restarts).toEqual([]);
    expect(p.slots.describe().current).toBe('installed');
    // the same push again while it waits changes nothing
    expect(await p.install(10, bundle('1.2.0'))).toMatchObject({ status: 'unchanged' });
    u.db.prepare(`UPDATE carts SET status = 'cancelled' WHERE id = ?`).run(cart.id);
    await waitFor('the switch', () => (u.restarts.length ? true : undefined));
    expect(u.restarts).toEqual(['software update to 1.2.0']);
    expect(p.slots.describe()).toEqual({ current: 'releases/1.2.0', previous: 'installed' });
    expect(p.slots.trial()).toMatchObject({ version: '1.2.0', rollout: 10, from: '1.0.0' });
    expect(u.states()).toEqual(['10:downloading', '10:installed', '10:switching']);
    p.stop();
  });

  it("holds a staged update for the store's maintenance window, says when it opens; urgent does not wait", async () => {
    // the store's clock, which this test moves: 23:00 in Shanghai
    let clock = Date.parse('2026-12-06T15:00:00Z');
    const u = updater({ now: () => clock });
    const p = u.make();
    p.start();
    const window = { from: '02:00', to: '05:00' };
    expect(await p.install(40, { ...bundle('1.6.0'), window })).toMatchObject({ status: 'accepted' });
    const opens = Date.parse('2026-12-06T18:00:00Z'); // 02:00 local
    const installed = readOutbox(u.db).find(
      (e) => e.type === 'software.status' && e.payload.state === 'installed',
    );
    expect(installed?.payload).toMatchObject({
      rollout: 40,
      switchAt: opens,
      window: { ...window, timeZone: 'Asia/Shanghai' },
    });
    expect(p.details()).toMatchObject({
      phase: 'waiting for the maintenance window',
      switchAt: new Date(opens).toISOString(),
    });
    await new Promise((r) => setTimeout(r, 300)); // several checks, no payment open: still held
    expect(u.restarts).toEqual([]);
    clock = opens - 60_000; // 01:59
    await new Promise((r) => setTimeout(r, 200));
    expect(u.restarts).toEqual([]);
    clock = opens; // 02:00: it switches
    await waitFor('the switch in the window', () => (u.restarts.length ? true : undefined));
    expect(u.states()).toEqual(['40:downloading', '40:installed', '40:switching']);
    p.stop();

    // the same store, an urgent push with the window closed: switches at once
    clock = Date.parse('2026-12-06T15:00:00Z');
    const v = updater({ now: () => clock });
    const q = v.make();
    q.start();
    await q.install(41, { ...bundle('1.6.1'), window, urgent: true });
    await waitFor('the urgent switch', () => (v.restarts.length ? true : undefined));
    const staged = readOutbox(v.db).find(
      (e) => e.type === 'software.status' && e.payload.state === 'installed',
    );
    expect(staged?.payload.switchAt).toBeUndefined();
    q.stop();

    // a window that is not one is refused before anything is downloaded
    const w = updater();
    const r = w.make();
    r.start();
    expect(
      (await r.install(42, { ...bundle('1.6.2'), window: { from: '25:00', to: '05:00' } })).problems,
    ).toEqual(['/body/window/from: HH:MM (00:00–23:59)']);
    r.stop();
  });

  it('an offline bundle: checked when queued, checked again and installed from its file, no download', async () => {
    const u = updater();
    const m = { ...bundle('1.7.0'), url: 'http://127.0.0.1:9/unreachable.tar.gz' }; // no WAN
    files.set('/unreachable.tar.gz', files.get(`/storeedge-1.7.0-linux-${process.arch}.tar.gz`)!);
    const queue = (file: string) => queueOfflineBundle(file, u.dir, hqKeys.publicKey, process.arch);
    // refused when queued: another key, another arch, a bundle that is not the signed one, not a tar
    await expect(queue(offlineFile(50, m, forger.privateKey))).rejects.toThrow(/signature does not verify/);
    await expect(queue(offlineFile(50, { ...m, arch: 'mips' }))).rejects.toThrow(
      `bundle is for mips, this box is ${process.arch}`,
    );
    await expect(queue(offlineFile(50, m, hqKeys.privateKey, Buffer.from('not it')))).rejects.toThrow(
      /corrupted or forged/,
    );
    await expect(queue(join(u.dir, 'store.db'))).rejects.toThrow(/not an offline bundle/);
    expect(inboxEntries(u.dir)).toEqual([]);
    // queued, then taken up by the running updater
    expect(await queue(offlineFile(50, m))).toEqual({ rollout: 50, version: '1.7.0' });
    const p = u.make();
    p.start();
    await waitFor('the switch', () => (u.restarts.length ? true : undefined));
    expect(u.states()).toEqual(['50:downloading from an offline bundle', '50:installed', '50:switching']);
    expect(p.slots.trial()).toMatchObject({ version: '1.7.0', rollout: 50 });
    p.stop();

    // a push someone put in the inbox by hand, not signed by HQ: refused, removed, not reported
    const forged = join(u.dir, 'inbox', '51.json');
    writeFileSync(
      forged,
      JSON.stringify(signPush(forger.privateKey, { dataset: 'software', version: 51, issuedAt: 1, body: m })),
    );
    writeFileSync(join(u.dir, 'inbox', '51.tar.gz'), 'x');
    const q = u.make();
    q.start();
    await waitFor('the forged entry gone', () => (existsSync(forged) ? undefined : true));
    expect(u.states().filter((x) => x.startsWith('51:'))).toEqual([]);
    q.stop();
  });

  it("a delta update: rebuilt from the bundle the running version came in, checked by the signed tar's digest; anything wrong and the full bundle comes", async () => {
    const from = bundle('2.0.0');
    const to = bundle('2.1.0');
    const gz = (m: ReleaseManifest) => files.get(new URL(m.url).pathname)!;
    const tars = join(work, 'tars');
    mkdirSync(tars, { recursive: true });
    writeFileSync(join(tars, 'old.tar'), gunzipSync(gz(from)));
    const tar = gunzipSync(gz(to));
    writeFileSync(join(tars, 'new.tar'), tar);
    execFileSync('zstd', [
      '-q',
      '-f',
      '--long=20',
      `--patch-from=${join(tars, 'old.tar')}`,
      join(tars, 'new.tar'),
      '-o',
      join(tars, 'd.zst'),
    ]);
    const patch = readFileSync(join(tars, 'd.zst'));
    files.set('/delta', patch);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const offer = {
      from: '2.0.0',
      sha256: sha(patch),
      bytes: patch.length,
      url: `${base}/delta`,
      windowLog: 20,
      tar: { sha256: sha(tar), bytes: tar.length },
    };
    const box = (kept: Buffer | null) => {
      const u = updater({ version: '2.0.0' });
      if (kept) writeFileSync(join(u.dir, 'releases/2.0.0.tar.gz'), kept);
      return u;
    };
    const install = async (u: ReturnType<typeof box>, rollout: number, m: ReleaseManifest) => {
      served.length = 0;
      const p = u.make();
      p.start();
      await p.install(rollout, m);
      await waitFor('the switch', () => (u.restarts.length ? true : undefined));
      p.stop();
      return served.slice();
    };

    // the delta alone is downloaded; the tree and the kept reference are the new version's
    const ok = box(gz(from));
    expect(await install(ok, 70, { ...to, delta: offer })).toEqual(['/delta']);
    expect(ok.states()).toEqual([
      `70:downloading delta from 2.0.0, ${patch.length} bytes`,
      '70:installed',
      '70:switching',
    ]);
    expect(JSON.parse(readFileSync(join(ok.dir, 'releases/2.1.0/RELEASE.json'), 'utf8')).version).toBe(
      '2.1.0',
    );
    expect(sha(gunzipSync(readFileSync(join(ok.dir, 'releases/2.1.0.tar.gz'))))).toBe(offer.tar.sha256);
    expect(readdirSync(join(ok.dir, 'releases')).filter((f) => /download|partial/.test(f))).toEqual([]);

    // a reference that is not the running version's bundle: the rebuilt tar fails its digest
    const wrongRef = box(gz(bundle('2.0.1')));
    expect(await install(wrongRef, 71, { ...to, delta: offer })).toEqual([
      '/delta',
      new URL(to.url).pathname,
    ]);
    expect(wrongRef.states()[1]).toMatch(
      /^71:downloading delta from 2\.0\.0 not used \(.+\): downloading the full bundle$/,
    );
    expect(wrongRef.states().slice(2)).toEqual(['71:installed', '71:switching']);

    // a delta that is not the signed one: refused by its own digest, before zstd sees it
    files.set('/forged-delta', Buffer.concat([patch.subarray(0, -1), Buffer.from([patch.at(-1)! ^ 1])]));
    const forged = box(gz(from));
    await install(forged, 72, { ...to, delta: { ...offer, url: `${base}/forged-delta` } });
    expect(forged.states()[1]).toBe(
      '72:downloading delta from 2.0.0 not used (delta does not match the signed SHA-256 and size: corrupted or forged): downloading the full bundle',
    );

    // no bundle kept (the running version came from the package): the full bundle, no delta asked
    const fresh = box(null);
    expect(await install(fresh, 73, { ...to, delta: offer })).toEqual([new URL(to.url).pathname]);
    expect(fresh.states()).toEqual(['73:downloading', '73:installed', '73:switching']);

    // a delta offer of the wrong shape: the push is refused as any malformed manifest is
    const bad = box(gz(from));
    const p = bad.make();
    p.start();
    expect(
      (await p.install(74, { ...to, delta: { ...offer, tar: { sha256: 'x', bytes: 0 } } })).problems,
    ).toEqual(['/body/delta: {from, sha256, bytes, url, windowLog 10–31, tar: {sha256, bytes}}']);
    p.stop();
  });

  it('a stop mid-download keeps the push, and the next start takes it up again', async () => {
    const u = updater();
    const m = bundle('1.3.0');
    let release: () => void = () => undefined;
    hold = new Promise<void>((r) => {
      release = r;
    });
    const first = u.make();
    first.start();
    const reply = first.install(20, m);
    await waitFor('downloading', () => (u.states().includes('20:downloading') ? true : undefined));
    first.stop();
    expect((await reply).problems).toEqual(['stopped before the bundle was staged']);
    release();
    hold = null;
    expect(u.states()).toEqual(['20:downloading']); // no rejection was reported
    const second = u.make();
    second.start();
    await waitFor('switched', () => (u.restarts.length ? true : undefined));
    expect(u.states()).toEqual(['20:downloading', '20:downloading', '20:installed', '20:switching']);
    second.stop();
  });

  it('a push that comes while the running version is on trial waits until it is kept', async () => {
    const u = updater({ version: '1.4.0' });
    // as if 1.4.0 had just been switched to by rollout 30
    writeFileSync(
      join(u.dir, 'update-trial'),
      JSON.stringify({ version: '1.4.0', rollout: 30, from: '1.3.0', at: Date.now() }),
    );
    const p = u.make();
    p.start();
    expect(await p.install(31, bundle('1.5.0'))).toMatchObject({
      status: 'accepted',
      problems: ['waiting until 1.4.0 is kept'],
    });
    expect(u.states()).toEqual([]);
    // kept after healthyAfterS (1 s), then the waiting push goes on by itself
    await waitFor('kept, then the next', () => (u.restarts.length ? true : undefined), 10_000);
    expect(u.states()).toEqual(['30:healthy', '31:downloading', '31:installed', '31:switching']);
    expect(p.slots.trial()).toMatchObject({ version: '1.5.0', rollout: 31, from: '1.4.0' });
    p.stop();
  });
});
