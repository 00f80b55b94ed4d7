// A throwaway PostgreSQL cluster on a free loopback port, for HQ's suites: Debian's
// server binaries, initdb into a temporary folder, run as the non-root `postgres` OS
// user when the tests run as root (PostgreSQL refuses to run as root). It throws (the
// suite fails) when PostgreSQL is missing: tests never skip a real part.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, waitFor } from './ports.js';

/** Debian's PostgreSQL server binaries, the newest version installed */
export const PG_BIN = (() => {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const v = readdirSync(root)
    .filter((d) => existsSync(join(root, d, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a))[0];
  return v ? join(root, v, 'bin') : null;
})();

export interface Postgres {
  url: string;
  port: number;
  /** a fast shutdown (like a restart for maintenance); start() brings it back */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  /** stops the server and removes its data folder (a bench's cluster may hold tens of GB;
   * the test run removes its own temporary folders at its end) */
  destroy(): Promise<void>;
  log(): string;
}

/** Who the server runs as: the tests' own user, or `postgres` when that is root. */
export function runAs(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

export async function startPostgres(): Promise<Postgres> {
  if (!PG_BIN) throw new Error('PostgreSQL is not installed: run test/setup/system-deps.sh');
  const bin = PG_BIN;
  const dir = mkdtempSync(join(tmpdir(), 'storeedge-pg-'));
  const user = runAs();
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const as = user ? { uid: user.uid, gid: user.gid } : {};
  execFileSync(
    join(bin, 'initdb'),
    ['-D', data, '-U', 'hq', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
    { ...as, stdio: 'pipe', cwd: dir },
  );
  const port = await freePort();
  const url = `postgres://hq@127.0.0.1:${port}/postgres`;
  let proc: ChildProcess | null = null;
  let output = '';
  const start = async () => {
    const p = spawn(
      join(bin, 'postgres'),
      [
        '-D',
        data,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        `unix_socket_directories=${dir}`,
        '-c',
        'shared_buffers=64MB',
        '-c',
        'max_connections=200',
      ],
      { ...as, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    proc = p;
    p.stdout?.on('data', (d) => (output += d));
    p.stderr?.on('data', (d) => (output += d));
    const exited = new Promise<never>((_, reject) =>
      p.once('exit', (code) => reject(new Error(`postgres exited with ${code}: ${output}`))),
    );
    await Promise.race([exited, waitFor(`postgres on ${port}`, () => canQuery(url), 30_000)]);
  };
  const stop = async (mode: 'fast' | 'immediate' = 'fast') => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      // SIGINT: fast shutdown (clients cut, a clean checkpoint); SIGQUIT: immediate, as a crash
      p.kill(mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
    });
  };
  await start();
  const destroy = async () => {
    await stop('immediate');
    rmSync(dir, { recursive: true, force: true });
  };
  return { url, port, stop, start, destroy, log: () => output };
}

async function canQuery(url: string): Promise<true | undefined> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return undefined;
  } finally {
    await c.end().catch(() => undefined);
  }
}
