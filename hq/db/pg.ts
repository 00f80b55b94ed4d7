// Opening HQ's PostgreSQL database: a connection pool, and the schema brought up to date
// under an advisory lock, so any number of HQ processes may start together.
import pg from 'pg';
import { REBUILD_GUIDE_DAYS_SQL } from '../figures/guide-days.js';
import { REBUILD_DAILY_SQL, REBUILD_HOURLY_SQL } from '../figures/rollups.js';
import { PG_MIGRATIONS, type PgMigration } from './migrations.js';
import { parsePgUrl, type SessionTarget, TargetFinder, targetedClient } from './targets.js';

// bigint columns come back as JS numbers: HQ's counts and sequences stay far below 2^53
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

const MIGRATION_LOCK = 0x5e_00_00_01;

/**
 * A pool on one server, or on several (libpq's `host1:port1,host2:port2` with
 * `target_session_attrs`): the primary of an HA cluster for writes, a standby for reads.
 * `target` overrides the URL's target_session_attrs.
 */
export function openPgPool(url: string, max = 4, o: { jit?: boolean; target?: SessionTarget } = {}): pg.Pool {
  const u = parsePgUrl(url);
  const attrs = o.target ?? u.attrs;
  // JIT off: compiling the figures' jsonb-heavy plans cost more than it saved, 4× on the
  // zones query (npm run bench -- hq-figures)
  const targeted = u.targets.length > 1 || attrs !== 'any';
  const config: pg.PoolConfig = {
    // one server: the URL as given (a socket folder in its query stays as libpq would read it)
    connectionString: targeted ? u.single : url,
    max,
    connectionTimeoutMillis: 5000,
    options: `-c jit=${o.jit ? 'on' : 'off'}`,
  };
  const pool = new pg.Pool(
    targeted ? { ...config, Client: targetedClient(new TargetFinder(u.targets, attrs, config)) } : config,
  );
  // a client that loses its server (a restart) must not crash the process: an idle one
  // reports through the pool, one in use through its own 'error' (its query fails too)
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

export async function migratePg(
  pool: pg.Pool,
  migrations: readonly PgMigration[] = PG_MIGRATIONS,
): Promise<{ from: number; to: number }> {
  const c = await pool.connect();
  try {
    await c.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await c.query(
      'CREATE TABLE IF NOT EXISTS hq_schema (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const from = (await c.query('SELECT coalesce(max(version), 0) AS v FROM hq_schema')).rows[0].v as number;
    const latest = migrations.at(-1)?.version ?? 0;
    if (from > latest) throw new Error(`HQ database is at schema ${from}, newer than this build (${latest})`);
    const pending = migrations.filter((m) => m.version > from);
    const rebuilds = new Set(pending.map((m) => m.rebuild).filter((r) => r !== undefined));
    const rebuild = rebuilds.size > 0;
    // each migration its own transaction, unless one asks for a rebuild: then all, and the rebuild, in one
    const groups = rebuild ? [pending] : pending.map((m) => [m]);
    for (const group of groups) {
      await c.query('BEGIN');
      try {
        for (const m of group) {
          await c.query(m.sql);
          await c.query('INSERT INTO hq_schema (version, name) VALUES ($1, $2)', [m.version, m.name]);
        }
        if (rebuilds.has('hourly')) await c.query(REBUILD_HOURLY_SQL);
        if (rebuilds.has('daily')) await c.query(REBUILD_DAILY_SQL);
        if (rebuilds.has('guides')) await c.query(REBUILD_GUIDE_DAYS_SQL);
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK');
        throw err;
      }
    }
    return { from, to: Math.max(from, latest) };
  } finally {
    await c.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    c.release();
  }
}

/** One transaction on a pooled connection: committed when `work` resolves, rolled back when it throws. */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (c: pg.PoolClient) => Promise<T>,
  /** a read-only snapshot: every query in it sees the same committed data */
  opts: { snapshot?: boolean } = {},
): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query(opts.snapshot ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN');
    const r = await work(c);
    await c.query('COMMIT');
    return r;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}
