// HQ at chain scale, from the command line.
//   hq-scale ingest --db postgres://… --broker mqtt://… [--group hq-ingest] [--id NAME] [--gap-ms 3000]
//       one ingest worker in the shared subscription group; start as many as the load
//       needs, on any machines that reach the broker and the database
//   hq-scale serve [--config hq.yaml] [--id NAME]
//       HQ's API and pushes, with `ingest.workers` workers of its own (see hq/config.ts;
//       env HQ_DB, HQ_BROKER, HQ_SIGNING_KEY_FILE, HQ_USERS override the file)
// SIGINT/SIGTERM stop the process (what a worker holds is written first): exit 0 on a
// clean stop, 1 on a failed start or stop, 78 on an invalid config. The lab HQ on one
// SQLite file stays in sync/hq/cli.ts (`npm run hq -- ingest --db FILE`).
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { createLogger } from '../edge/logger.js';
import { HqConfigError, loadHqConfig } from './config.js';
import { hqService } from './service.js';

const USAGE = `usage: hq-scale ingest --db postgres://… --broker mqtt://… [--group G] [--id NAME] [--gap-ms MS]
       hq-scale serve [--config FILE] [--id NAME]`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const { values: o } = parseArgs({
    args: rest,
    options: {
      config: { type: 'string' },
      db: { type: 'string' },
      broker: { type: 'string' },
      group: { type: 'string' },
      id: { type: 'string', default: `${hostname()}-${process.pid}` },
      'gap-ms': { type: 'string' },
    },
  });
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
  const id = o.id ?? String(process.pid);
  const log = createLogger(process.env.HQ_LOG_LEVEL ?? config.logLevel).child({ service: 'hq', id });
  const svc = hqService(config, { id, log, http: cmd === 'serve' });
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
