// HQ's command line (hq/cli.ts) against a store on a real mosquitto: key generation, a signed push
// from a file, and pulls.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startMosquitto } from '../helpers/mosquitto.js';
import { demoDb } from '../helpers/store.js';
import { online, syncStore } from '../helpers/sync.js';

const dir = mkdtempSync(join(tmpdir(), 'storeedge-hqcli-'));
// async, so the store in this process keeps answering while the CLI runs
const hq = (...args: string[]) =>
  new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    execFile(
      process.execPath,
      ['--import', 'tsx', 'hq/cli.ts', ...args],
      { timeout: 30_000 },
      (e, out, err) => resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err }),
    ),
  );
const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

describe('hq CLI', () => {
  it('generates a key pair, pushes a signed catalog from a file, pulls health and events', async () => {
    expect((await hq('keygen', '--out', dir)).code).toBe(0);
    const broker = await startMosquitto();
    cleanup.push(() => broker.stop());
    const db = demoDb();
    const { part } = syncStore(broker.url, {
      db,
      hqSigningPublicKey: readFileSync(join(dir, 'hq-push.pub.pem'), 'utf8'),
    });
    cleanup.push(() => part.stop());
    await online(part);

    const catalog = JSON.parse(readFileSync('config/demo/catalog.json', 'utf8')).catalog;
    catalog.version = 7;
    writeFileSync(join(dir, 'catalog.json'), JSON.stringify(catalog));
    const push = await hq(
      'push',
      '--broker',
      broker.url,
      '--store',
      'demo-store-001',
      '--dataset',
      'catalog',
      '--version',
      '7',
      '--file',
      join(dir, 'catalog.json'),
      '--key',
      join(dir, 'hq-push.key.pem'),
    );
    expect(push.code, push.err).toBe(0);
    expect(JSON.parse(push.out)).toMatchObject({ status: 'applied', version: 7 });

    const health = await hq('pull', '--broker', broker.url, '--store', 'demo-store-001', 'health');
    expect(health.code, health.err).toBe(0);
    expect(JSON.parse(health.out)).toHaveProperty('backlog');
    const events = await hq(
      'pull',
      '--broker',
      broker.url,
      '--store',
      'demo-store-001',
      'events',
      '--from',
      '1',
      '--limit',
      '5',
    );
    expect(JSON.parse(events.out).events[0]).toMatchObject({ seq: 1, type: 'push.applied' });
    expect(
      (await hq('pull', '--broker', broker.url, '--store', 'no-such-store', 'health', '--timeout', '1000'))
        .code,
    ).toBe(1);
  }, 60_000);
});
