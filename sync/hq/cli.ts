// HQ's command line for the reference setup.
//   hq ingest --broker URL --db FILE [--prefix P] [--share GROUP]   run the ingest service
//   hq keygen --out DIR                                             make HQ's Ed25519 push key pair
//   hq push   --broker URL --store ID|all --dataset NAME --version N --file JSON --key PEM
//   hq pull   --broker URL --store ID events --from N [--limit L]   events from a sequence, paged
//   hq pull   --broker URL --store ID health|counts|heatmap [--from MS --to MS]
//   (push and pull wait --timeout MS for the store's answer, default 10000)
//   hq status --db FILE                                             per-store progress in the ingest database

import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { hqPrivateKey } from '../signing.js';
import { HqClient } from './client.js';
import { HqIngest } from './ingest.js';
import { openHqDb } from './store.js';

const USAGE = `usage: hq ingest|keygen|push|pull|status [options]  (see sync/hq/cli.ts)`;

function need(v: string | undefined, name: string): string {
  if (!v) {
    console.error(`hq: --${name} is required\n${USAGE}`);
    process.exit(64);
  }
  return v;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const { values: o, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      broker: { type: 'string' },
      db: { type: 'string' },
      prefix: { type: 'string', default: 'storeedge/v1' },
      share: { type: 'string' },
      out: { type: 'string' },
      store: { type: 'string' },
      dataset: { type: 'string' },
      version: { type: 'string' },
      file: { type: 'string' },
      key: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      limit: { type: 'string' },
      timeout: { type: 'string', default: '10000' },
    },
  });
  const prefix = o.prefix ?? 'storeedge/v1';
  switch (cmd) {
    case 'ingest': {
      const db = openHqDb(need(o.db, 'db'));
      const ingest = new HqIngest({
        url: need(o.broker, 'broker'),
        prefix,
        db,
        log: pino({ name: 'hq-ingest' }),
        ...(o.share ? { shareGroup: o.share } : {}),
      });
      await ingest.start();
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await ingest.stop();
      db.close();
      return 0;
    }
    case 'keygen': {
      const dir = need(o.out, 'out');
      mkdirSync(dir, { recursive: true });
      const { publicKey, privateKey } = generateKeyPairSync('ed25519');
      writeFileSync(join(dir, 'hq-push.key.pem'), privateKey.export({ format: 'pem', type: 'pkcs8' }), {
        mode: 0o600,
      });
      writeFileSync(join(dir, 'hq-push.pub.pem'), publicKey.export({ format: 'pem', type: 'spki' }));
      console.log(
        `wrote ${join(dir, 'hq-push.key.pem')} (keep at HQ) and hq-push.pub.pem (security.hqSigningPublicKey)`,
      );
      return 0;
    }
    case 'push': {
      const version = Number(need(o.version, 'version'));
      const body = JSON.parse(readFileSync(need(o.file, 'file'), 'utf8')) as unknown;
      const key = hqPrivateKey(readFileSync(need(o.key, 'key'), 'utf8'));
      const hq = await HqClient.connect(need(o.broker, 'broker'), prefix);
      try {
        const store = need(o.store, 'store');
        const dataset = need(o.dataset, 'dataset');
        if (store === 'all') {
          await hq.pushAll(dataset, version, body, key);
          console.log(
            JSON.stringify({ published: true, note: 'each store records its result in its outbox' }),
          );
          return 0;
        }
        const r = (await hq.push(store, dataset, version, body, key, Number(o.timeout))) as {
          status?: string;
        } | null;
        console.log(
          JSON.stringify(r ?? { error: 'no answer (store offline? the push waits in its session)' }),
        );
        return r?.status === 'rejected' || !r ? 1 : 0;
      } finally {
        await hq.close();
      }
    }
    case 'pull': {
      const what = positionals[0] ?? 'health';
      const hq = await HqClient.connect(need(o.broker, 'broker'), prefix);
      try {
        const body: Record<string, unknown> = {};
        if (o.from) body[what === 'events' ? 'fromSeq' : 'from'] = Number(o.from);
        if (o.to) body.to = Number(o.to);
        if (o.limit) body.limit = Number(o.limit);
        const r = await hq.request(need(o.store, 'store'), what, body, Number(o.timeout));
        console.log(JSON.stringify(r ?? { error: 'no answer: store offline' }, null, 2));
        return r && !(r as { error?: unknown }).error ? 0 : 1;
      } finally {
        await hq.close();
      }
    }
    case 'status': {
      const db = openHqDb(need(o.db, 'db'));
      console.log(
        JSON.stringify(
          db
            .prepare('SELECT store_id, contiguous_seq, max_seq, duplicates, online, last_seen FROM stores')
            .all(),
          null,
          2,
        ),
      );
      db.close();
      return 0;
    }
    default:
      console.error(USAGE);
      return 64;
  }
}

process.exitCode = await main(process.argv.slice(2));
