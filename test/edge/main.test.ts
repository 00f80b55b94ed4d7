// The daemon as an operator runs it: a real process, a config file, signals.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrations } from '../../edge/db/migrations/index.js';
import { runDaemon, startDaemon } from '../helpers/daemon.js';

const dir = mkdtempSync(join(tmpdir(), 'storeedge-main-'));
function config(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
const seed = resolve('config/demo/catalog.json');

describe('daemon process', () => {
  it('starts with a config, answers /readyz with every part, and stops cleanly on SIGINT', async () => {
    const file = config(
      'store.yaml',
      `http: { port: 0 }\ndb: { path: ./a/store.db }\nseed: { catalog: ${seed} }\n`,
    );
    const d = await startDaemon(['--config', file]);
    try {
      const res = await fetch(`${d.address}/readyz`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        ready: boolean;
        parts: { name: string; state: string; details?: Record<string, unknown> }[];
      };
      expect(body.ready).toBe(true);
      expect(body.parts.map((p) => [p.name, p.state])).toEqual([
        ['db', 'ready'],
        ['devices', 'ready'],
        ['vision', 'ready'],
        ['tls', 'ready'],
        ['sync', 'ready'],
        ['housekeeping', 'ready'],
        ['guides', 'ready'],
        ['queues', 'ready'],
        ['http', 'ready'],
      ]);
      expect(body.parts[0]?.details).toMatchObject({
        schemaVersion: migrations.length,
        path: join(dir, 'a/store.db'),
      });
      expect(body.parts[1]?.details).toMatchObject({ devices: [], degraded: false });
      // no cameras configured: the vision part loads no model and runs nothing
      expect(body.parts[2]?.details).toMatchObject({ enabled: true, model: null, cameras: [] });
      // HTTPS from the first start with a self-signed certificate; with no HQ (mqtt off) none is asked for
      expect(body.parts[3]?.details).toMatchObject({
        hostname: 'demo-store-001.stores.example.test',
        trusted: false,
        daysLeft: 90,
      });
      expect(body.parts[3]?.details?.csrPendingSince).toBeNull();
      expect(body.parts[4]?.details).toMatchObject({ link: 'disabled', backlogState: { state: 'ok' } });
      // "bought together", counted at start from the store's own sales (none yet)
      expect(body.parts[6]?.details).toMatchObject({ alsoBought: { baskets: 0, products: 0 } });
      const metrics = await (await fetch(`${d.address}/metrics`)).text();
      expect(metrics).toContain('storeedge_backlog_state{state="ok"} 1');
      expect(metrics).toContain('storeedge_tls_certificate_trusted 0');
      expect(metrics).toMatch(/storeedge_tls_certificate_expiry_timestamp_seconds \d{10}/);
      expect((await fetch(`${d.address}/metrics`)).status).toBe(200);
    } finally {
      expect(await d.stop('SIGINT')).toBe(0);
    }
    const stopped = d.logLines().map((l) => l.msg);
    expect(stopped).toEqual(expect.arrayContaining(['part http stopped', 'part db stopped', 'stopped']));
    expect(stopped.indexOf('part http stopped')).toBeLessThan(stopped.indexOf('part db stopped'));
    expect(d.logLines().every((l) => typeof l.component === 'string' || l.msg !== 'part db ready')).toBe(
      true,
    );
  });

  it('restarts on the same database without re-seeding and stops on SIGTERM', async () => {
    const file = config(
      'again.yaml',
      `http: { port: 0 }\ndb: { path: ./b/store.db }\nseed: { catalog: ${seed} }\n`,
    );
    const first = await startDaemon(['--config', file]);
    expect(first.logLines().filter((l) => l.msg === 'seed dataset loaded')).toHaveLength(3);
    expect(await first.stop('SIGTERM')).toBe(0);
    const second = await startDaemon(['--config', file]);
    expect(second.logLines().filter((l) => l.msg === 'seed dataset loaded')).toHaveLength(0);
    expect(second.logLines().filter((l) => l.msg === 'database migrated')).toHaveLength(0);
    expect(await second.stop('SIGTERM')).toBe(0);
  });

  it('a bad config exits 78 and names the path and reason', async () => {
    const file = config('bad.yaml', 'http: { port: -1 }\nlogging: { levle: info }\n');
    const r = await runDaemon(['--config', file]);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('/http/port: must be >= 0 (got -1)');
    expect(r.stderr).toContain('/logging/levle: unknown setting');
  });

  it('a bad env override exits 78 naming the variable', async () => {
    const r = await runDaemon(['--check-config'], { STOREEDGE_HTTP__PORT: 'x' });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('STOREEDGE_HTTP__PORT');
  });

  it('--check-config validates and exits 0 without starting', async () => {
    const r = await runDaemon(['--config', 'config/demo-store.yaml', '--check-config']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('config ok');
  });

  it('a part that cannot start exits 1 with the part and the reason', async () => {
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, 'file in the way');
    const file = config('nodb.yaml', `http: { port: 0 }\ndb: { path: ${blocker}/store.db }\n`);
    const r = await runDaemon(['--config', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `part "db" failed to start: cannot create the database folder ${blocker}: EEXIST`,
    );
  });

  it('a port in use fails the http part and the database is closed again', async () => {
    mkdirSync(join(dir, 'c'), { recursive: true });
    const file = config('busy.yaml', `http: { port: 0 }\ndb: { path: ./c/store.db }\n`);
    const holder = await startDaemon(['--config', file]);
    const port = new URL(holder.address).port;
    try {
      const clash = config('clash.yaml', `http: { port: ${port} }\ndb: { path: ./c/other.db }\n`);
      const r = await runDaemon(['--config', clash]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/part "http" failed to start: .*EADDRINUSE/);
      expect(r.stdout).toContain('part db stopped');
    } finally {
      await holder.stop();
    }
  });
});
