// HQ from the command line (`npm run hq -- …`).
//   hq ingest --db postgres://…|FILE.db --broker mqtt://… [--group hq-ingest] [--id NAME] [--gap-ms 3000]
//       one ingest worker in the shared subscription group; start as many as the load
//       needs, on any machines that reach the broker and the database (a SQLite file:
//       one process, for a lab or a single store)
//   hq serve [--config hq.yaml] [--id NAME]
//       HQ's API and pushes, with `ingest.workers` workers of its own (see hq/config.ts;
//       env HQ_DB, HQ_BROKER, HQ_SIGNING_KEY_FILE, HQ_USERS override the file)
//   hq conflicts --db postgres://… [--kind points_overspend|coupon_reuse] [--store ID]
//       the chain ledger's reconciliation report: totals by kind and store, then each
//       conflict with its sales, amount and what was done
//   hq rollups --db postgres://… [--day-time-zone ZONE]
//       the zone the daily rollups are kept in (the chain's reporting zone; Asia/Shanghai
//       at first); given a new one, the days are rebuilt from the projections
//   hq keygen --out DIR
//       HQ's Ed25519 push key pair (the public half is the stores' security.hqSigningPublicKey)
//   hq push --broker mqtt://… --store ID|all --dataset NAME --version N --file JSON --key PEM
//   hq pull --broker mqtt://… --store ID events --from N [--limit L]
//   hq pull --broker mqtt://… --store ID health|counts|heatmap [--from MS --to MS]
//       one signed push or pull, waiting --timeout MS (default 10000) for the store's answer
//   hq status --db postgres://…|FILE.db
//       each store's progress in HQ's event store (watermark, duplicates, online)
// SIGINT/SIGTERM stop the process (what a worker holds is written first): exit 0 on a
// clean stop, 1 on a failed start or stop, 78 on an invalid config. The fleet simulator
// is bench/fleet/cli.ts (`npm run fleet`).
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { createLogger } from '../sync/kernel/logger.js';
import { HqConfigError, loadHqConfig } from './config.js';
import { openPgPool } from './db/pg.js';
import { DayZoneError, dayTimeZone, setDayTimeZone } from './figures/daily.js';
import { type ConflictRow, conflictReport } from './ledger/report.js';
import { hqService, isPostgres } from './service.js';
import { storeCommand } from './store-commands.js';

const USAGE = `usage: hq ingest --db postgres://…|FILE.db --broker mqtt://… [--group G] [--id NAME] [--gap-ms MS]
       hq serve [--config FILE] [--id NAME]
       hq conflicts --db postgres://… [--kind KIND] [--store ID]
       hq rollups --db postgres://… [--day-time-zone ZONE]
       hq keygen --out DIR
       hq push --broker mqtt://… --store ID|all --dataset NAME --version N --file JSON --key PEM [--timeout MS]
       hq pull --broker mqtt://… --store ID events|health|counts|heatmap [--from N] [--to MS] [--limit L] [--timeout MS]
       hq status --db postgres://…|FILE.db`;

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

async function rollups(o: Record<string, string | undefined>): Promise<number> {
  if (!o.db || !isPostgres(o.db)) {
    console.error(USAGE);
    return 64;
  }
  const pool = openPgPool(o.db, 1);
  try {
    const zone = o['day-time-zone'];
    if (!zone) {
      console.log(`daily rollups kept in ${await dayTimeZone(pool)}`);
      return 0;
    }
    const r = await setDayTimeZone(pool, zone);
    console.log(`daily rollups moved from ${r.from} to ${zone}: rebuilt in ${(r.ms / 1000).toFixed(1)} s`);
    return 0;
  } catch (err) {
    if (!(err instanceof DayZoneError)) throw err;
    console.error(err.message);
    return 64;
  } finally {
    await pool.end();
  }
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const { values: o, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      prefix: { type: 'string' },
      out: { type: 'string' },
      dataset: { type: 'string' },
      version: { type: 'string' },
      file: { type: 'string' },
      key: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      limit: { type: 'string' },
      timeout: { type: 'string', default: '10000' },
      config: { type: 'string' },
      db: { type: 'string' },
      broker: { type: 'string' },
      group: { type: 'string' },
      id: { type: 'string', default: `${hostname()}-${process.pid}` },
      'gap-ms': { type: 'string' },
      kind: { type: 'string' },
      store: { type: 'string' },
      'day-time-zone': { type: 'string' },
    },
  });
  if (cmd === 'conflicts') return conflicts(o);
  if (cmd === 'rollups') return rollups(o);
  if (cmd === 'keygen' || cmd === 'push' || cmd === 'pull' || cmd === 'status')
    return storeCommand(cmd, o, positionals);
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
