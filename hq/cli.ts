// HQ at chain scale, from the command line.
//   hq-scale ingest --db postgres://… --broker mqtt://… [--group hq-ingest] [--id NAME]
//                   [--prefix storeedge/v1] [--gap-ms 3000]
// Runs one ingest worker in the shared subscription group; start as many as the load
// needs, on any machines that reach the broker and the database. SIGINT/SIGTERM stop it
// (what it holds is written first); exit 0 on a clean stop, 1 on a failed start or stop.
// The lab setup on one SQLite file stays in sync/hq/cli.ts (`npm run hq -- ingest --db FILE`).
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { createLogger } from '../edge/logger.js';
import { ingestService } from './ingest/service.js';

const USAGE =
  'usage: hq-scale ingest --db postgres://… --broker mqtt://… [--group G] [--id NAME] [--gap-ms MS]';

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const { values: o } = parseArgs({
    args: rest,
    options: {
      db: { type: 'string' },
      broker: { type: 'string' },
      group: { type: 'string', default: 'hq-ingest' },
      id: { type: 'string', default: `${hostname()}-${process.pid}` },
      prefix: { type: 'string', default: 'storeedge/v1' },
      'gap-ms': { type: 'string', default: '3000' },
    },
  });
  if (cmd !== 'ingest' || !o.db?.startsWith('postgres') || !o.broker) {
    console.error(USAGE);
    return 64;
  }
  const log = createLogger(process.env.HQ_LOG_LEVEL ?? 'info').child({ service: 'hq', worker: o.id });
  const { lifecycle } = ingestService({
    db: o.db,
    broker: o.broker,
    prefix: o.prefix ?? 'storeedge/v1',
    shareGroup: o.group ?? 'hq-ingest',
    workerId: o.id ?? String(process.pid),
    gapTimeoutMs: Number(o['gap-ms']),
    log,
  });
  try {
    await lifecycle.start();
  } catch {
    return 1;
  }
  log.info({ worker: o.id, group: o.group }, 'hq ingest ready');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  return (await lifecycle.stop()) ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
