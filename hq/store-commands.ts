// HQ's one-off commands to stores from the command line: a push key pair, one signed push
// or pull (waiting for the store's answer), and each store's progress in HQ's event store.
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { hqPrivateKey } from '../sync/signing.js';
import { openPgPool } from './db/pg.js';
import { isPostgres } from './service.js';
import { HqClient } from './store-client.js';

type Options = Record<string, string | undefined>;

const STATUS_SQL = `SELECT w.store_id, w.contiguous_seq, w.max_seq, w.duplicates, s.online, s.last_seen
  FROM store_watermarks w LEFT JOIN store_state s ON s.store_id = w.store_id ORDER BY w.store_id`;

class Usage extends Error {}

function need(v: string | undefined, name: string): string {
  if (!v) throw new Usage(`--${name} is required`);
  return v;
}

async function status(db: string): Promise<unknown[]> {
  if (!isPostgres(db)) {
    const file = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return file.prepare(STATUS_SQL).all();
    } finally {
      file.close();
    }
  }
  const pool = openPgPool(db, 1);
  try {
    return (await pool.query(STATUS_SQL)).rows;
  } finally {
    await pool.end();
  }
}

async function run(cmd: string, o: Options, positionals: string[]): Promise<number> {
  const prefix = o.prefix ?? 'storeedge/v1';
  const timeout = Number(o.timeout ?? 10_000);
  switch (cmd) {
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
      const store = need(o.store, 'store');
      const dataset = need(o.dataset, 'dataset');
      const hq = await HqClient.connect(need(o.broker, 'broker'), prefix);
      try {
        if (store === 'all') {
          await hq.pushAll(dataset, version, body, key);
          console.log(
            JSON.stringify({ published: true, note: 'each store records its result in its outbox' }),
          );
          return 0;
        }
        const r = (await hq.push(store, dataset, version, body, key, timeout)) as { status?: string } | null;
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
      const store = need(o.store, 'store');
      const hq = await HqClient.connect(need(o.broker, 'broker'), prefix);
      try {
        const body: Record<string, unknown> = {};
        if (o.from) body[what === 'events' ? 'fromSeq' : 'from'] = Number(o.from);
        if (o.to) body.to = Number(o.to);
        if (o.limit) body.limit = Number(o.limit);
        const r = await hq.request(store, what, body, timeout);
        console.log(JSON.stringify(r ?? { error: 'no answer: store offline' }, null, 2));
        return r && !(r as { error?: unknown }).error ? 0 : 1;
      } finally {
        await hq.close();
      }
    }
    case 'status':
      console.log(JSON.stringify(await status(need(o.db, 'db')), null, 2));
      return 0;
    default:
      throw new Usage(`no command "${cmd}"`);
  }
}

/** Runs one command; 64 with the reason on a usage error. */
export async function storeCommand(cmd: string, o: Options, positionals: string[]): Promise<number> {
  try {
    return await run(cmd, o, positionals);
  } catch (err) {
    if (!(err instanceof Usage)) throw err;
    console.error(`hq: ${err.message}`);
    return 64;
  }
}
