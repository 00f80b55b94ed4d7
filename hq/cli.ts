// HQ at chain scale, from the command line.
//   hq-scale ingest --db postgres://…|FILE.db --broker mqtt://… [--group hq-ingest] [--id NAME] [--gap-ms 3000]
//       one ingest worker in the shared subscription group; start as many as the load
//       needs, on any machines that reach the broker and the database (a SQLite file:
//       one process, for a lab or a single store)
//   hq-scale serve [--config hq.yaml] [--id NAME]
//       HQ's API and pushes, with `ingest.workers` workers of its own (see hq/config.ts;
//       env HQ_DB, HQ_BROKER, HQ_SIGNING_KEY_FILE, HQ_USERS override the file)
//   hq-scale fleet --broker mqtt://… [--stores 50] [--rate 0.2] [--seconds 300]
//                  [--outage EVERY_S,FOR_S,SHARE] [--day-minutes 10] [--hq-key PUB.pem]
//       N virtual stores (the store's real checkout, outbox, publisher and link) trading
//       `rate` sales/s each on a compressed day; every EVERY_S seconds a SHARE of them
//       loses its link for FOR_S seconds. Stops by itself after --seconds.
//   hq-scale conflicts --db postgres://… [--kind points_overspend|coupon_reuse] [--store ID]
//       the chain ledger's reconciliation report: totals by kind and store, then each
//       conflict with its sales, amount and what was done
// SIGINT/SIGTERM stop the process (what a worker holds is written first): exit 0 on a
// clean stop, 1 on a failed start or stop, 78 on an invalid config. The lab HQ on one
// SQLite file stays in sync/hq/cli.ts (`npm run hq -- ingest --db FILE`).
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../sync/kernel/logger.js';
import { HqConfigError, loadHqConfig } from './config.js';
import { openPgPool } from './db/pg.js';
import { Fleet } from './fleet/fleet.js';
import { type ConflictRow, conflictReport } from './ledger/report.js';
import { hqService, isPostgres } from './service.js';

const USAGE = `usage: hq-scale ingest --db postgres://… --broker mqtt://… [--group G] [--id NAME] [--gap-ms MS]
       hq-scale serve [--config FILE] [--id NAME]
       hq-scale fleet --broker mqtt://… [--stores N] [--rate R] [--seconds S] [--outage EVERY,FOR,SHARE] [--hq-key PEM]
       hq-scale conflicts --db postgres://… [--kind KIND] [--store ID]`;

async function conflicts(o: Record<string, string | undefined>): Promise<number> {
  if (!o.db || !isPostgres(o.db)) {
    console.error(USAGE);
    return 64;
  }
  const pool = openPgPool(o.db, 1);
  try {
    const all: ConflictRow[] = [];
    let after = 0;
    let report: Awaited<ReturnType<typeof conflictReport>>;
    do {
      report = await conflictReport(pool, { kind: o.kind, store: o.store, limit: 1000, after });
      all.push(...report.conflicts);
      after = Number(report.next ?? 0);
    } while (report.next);
    console.log('kind              store                conflicts  amount');
    for (const t of report.totals)
      console.log(
        `${t.kind.padEnd(17)} ${t.storeId.padEnd(20)} ${String(t.conflicts).padStart(9)}  ${t.amount}`,
      );
    for (const c of all) console.log(JSON.stringify(c));
    return 0;
  } finally {
    await pool.end();
  }
}

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

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const { values: o } = parseArgs({
    args: rest,
    options: {
      stores: { type: 'string' },
      rate: { type: 'string' },
      seconds: { type: 'string' },
      outage: { type: 'string' },
      'day-minutes': { type: 'string' },
      'hq-key': { type: 'string' },
      config: { type: 'string' },
      db: { type: 'string' },
      broker: { type: 'string' },
      group: { type: 'string' },
      id: { type: 'string', default: `${hostname()}-${process.pid}` },
      'gap-ms': { type: 'string' },
      kind: { type: 'string' },
      store: { type: 'string' },
    },
  });
  if (cmd === 'fleet') return fleet(o);
  if (cmd === 'conflicts') return conflicts(o);
  if (cmd !== 'ingest' && cmd !== 'serve') {
    console.error(USAGE);
    return 64;
  }
  let config: ReturnType<typeof loadHqConfig>;
  try {
    const env = {
      ...process.env,
      ...(o.db ? { HQ_DB: o.db } : {}),
      ...(o.broker ? { HQ_BROKER: o.broker } : {}),
    };
    config = loadHqConfig(o.config ?? null, env);
    if (cmd === 'ingest') {
      config.ingest.workers = 1;
      if (o.group) config.ingest.shareGroup = o.group;
      if (o['gap-ms']) config.ingest.gapTimeoutMs = Number(o['gap-ms']);
    }
  } catch (err) {
    if (!(err instanceof HqConfigError)) throw err;
    console.error(err.message);
    return 78;
  }
  if (cmd === 'serve' && !isPostgres(config.db)) {
    console.error(
      "invalid HQ config:\n  - /db: HQ's API needs PostgreSQL (postgres://…); a SQLite file serves ingest only",
    );
    return 78;
  }
  const id = o.id ?? String(process.pid);
  const log = createLogger(process.env.HQ_LOG_LEVEL ?? config.logLevel).child({ service: 'hq', id });
  let svc: ReturnType<typeof hqService>;
  try {
    svc = hqService(config, { id, log, http: cmd === 'serve' });
  } catch (err) {
    // an unreadable or malformed push key: a configuration problem, said plainly
    console.error(`invalid HQ config:\n  - /signingKeyFile: ${(err as Error).message}`);
    return 78;
  }
  try {
    await svc.lifecycle.start();
  } catch {
    return 1;
  }
  if (cmd === 'ingest') log.info({ worker: id, group: config.ingest.shareGroup }, 'hq ingest ready');
  else log.info({ address: svc.http?.address, workers: config.ingest.workers }, 'hq ready');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  return (await svc.lifecycle.stop()) ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
