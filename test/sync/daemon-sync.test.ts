// The daemon process publishing its outbox to a real mosquitto is killed with SIGKILL
// mid-drain, then restarted on the same database: HQ ends with every event once, in
// sequence, no gap. Also a 100k-event backlog drained through the same path.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../../edge/db/migrate.js';
import { migrations } from '../../edge/db/migrations/index.js';
import { type Db, openDb } from '../../edge/db/open.js';
import { unsentSummary } from '../../edge/db/outbox.js';
import { startDaemon } from '../helpers/daemon.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { appendSyntheticEvent } from '../helpers/outbox.js';
import { waitFor } from '../helpers/ports.js';
import { labIngest } from '../helpers/sync.js';

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function fill(db: Db, n: number): void {
  const tx = db.transaction((count: number) => {
    for (let i = 0; i < count; i++)
      appendSyntheticEvent(
        db,
        // a type HQ keeps without a schema: a made-up payload is not quarantined
        { type: 'test.money', class: 'money', payload: { i, totalFen: 1000 + i } },
        Date.now(),
      );
  });
  for (let done = 0; done < n; done += 5000) tx(Math.min(5000, n - done));
}

describe('daemon to HQ', () => {
  it('SIGKILL mid-drain, restart: HQ holds every event once, in sequence', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'storeedge-daemon-sync-'));
    const broker = await startMosquitto();
    cleanup.push(() => broker.stop());
    const ingest = await labIngest(broker.url, join(dir, 'hq.db'));
    cleanup.push(() => ingest.stop());

    const dbPath = join(dir, 'store.db');
    const pre = openDb(dbPath);
    migrate(pre, migrations);
    fill(pre, 20_000);
    pre.close();
    const file = join(dir, 'store.yaml');
    writeFileSync(
      file,
      `http: { port: 0 }\ndb: { path: ./store.db }\nseed: { catalog: ${resolve('config/demo/catalog.json')} }\nmqtt: { enabled: true, url: "${broker.url}", drainPerSecond: 5000 }\n`,
    );
    const first = await startDaemon(['--config', file]);
    cleanup.push(() => first.stop('SIGKILL'));
    const hqMax = async () => {
      await ingest.flush();
      return (await ingest.events.watermark('demo-store-001'))?.maxSeq ?? 0;
    };
    await waitFor('drain under way', async () => ((await hqMax()) > 4000 ? true : undefined), 20_000);
    first.proc.kill('SIGKILL');
    await new Promise((r) => first.proc.once('exit', r));
    const atKill = await hqMax();
    expect(atKill).toBeLessThan(20_000);

    const second = await startDaemon(['--config', file]);
    cleanup.push(() => second.stop('SIGTERM'));
    const check = openDb(dbPath);
    cleanup.push(() => check.close());
    const n = check.prepare('SELECT max(seq) FROM outbox').pluck().get() as number;
    await waitFor(
      'HQ complete',
      async () => {
        await ingest.flush();
        return (await ingest.events.watermark('demo-store-001'))?.contiguousSeq === n ? true : undefined;
      },
      40_000,
    );
    const seqs = ingest.seqs('demo-store-001');
    expect(seqs.length).toBe(n);
    expect(seqs.at(-1)).toBe(n);
    await waitFor('all marked sent', () => (unsentSummary(check).events === 0 ? true : undefined), 10_000);
    const ready = (await (await fetch(`${second.address}/readyz`)).json()) as {
      parts: { name: string; details?: { link?: string } }[];
    };
    expect(ready.parts.find((p) => p.name === 'sync')?.details?.link).toBe('up');
  }, 90_000);
});
