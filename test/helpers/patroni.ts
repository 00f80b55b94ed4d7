// A real HA PostgreSQL cluster for HQ's failover drill: Debian's etcd (the consensus store)
// and two Patroni nodes, each managing a PostgreSQL of Debian's, on free loopback ports,
// run as the non-root `postgres` user when the tests run as root. Patroni keeps one
// primary and, with synchronous_mode, one synchronous standby: a commit returns only
// once the standby has it, so a failover loses no committed transaction. A test can kill
// a whole node the way a machine is lost: Patroni's process group and, as Patroni starts
// PostgreSQL in a session of its own, the postmaster and its children.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './ports.js';
import { PG_BIN, runAs } from './postgres.js';

export interface PatroniNode {
  name: string;
  /** PostgreSQL's port */
  port: number;
  /** Patroni's REST API */
  api: string;
  running(): boolean;
}

export interface PgCluster {
  /** both servers, the primary taken for writes (libpq's multi-host form) */
  url: string;
  nodes: PatroniNode[];
  /** the node Patroni's REST API names leader, once one is */
  leader(timeoutMs?: number): Promise<PatroniNode>;
  /** a node whose PostgreSQL streams synchronously from the leader */
  syncStandby(timeoutMs?: number): Promise<PatroniNode>;
  /** SIGKILL a node's Patroni and its PostgreSQL at once: a lost machine */
  kill(node: PatroniNode): Promise<void>;
  /** start a killed node again: Patroni rejoins it as a standby (pg_rewind where needed) */
  start(node: PatroniNode): Promise<void>;
  log(): string;
  destroy(): Promise<void>;
}

async function http(url: string): Promise<{ status: number; body: Record<string, unknown> } | null> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(1500) });
    return { status: r.status, body: (await r.json().catch(() => ({}))) as Record<string, unknown> };
  } catch {
    return null;
  }
}

export async function startPgCluster(): Promise<PgCluster> {
  if (!PG_BIN) throw new Error('PostgreSQL is not installed: run test/setup/system-deps.sh');
  for (const cmd of ['patroni', 'etcd'])
    try {
      execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'pipe' });
    } catch {
      throw new Error(`${cmd} is not installed: run test/setup/system-deps.sh`);
    }
  const dir = mkdtempSync(join(tmpdir(), 'storeedge-ha-'));
  const user = runAs();
  const as = user ? { uid: user.uid, gid: user.gid } : {};
  if (user) chownSync(dir, user.uid, user.gid);
  let output = '';
  const procs: ChildProcess[] = [];
  const spawnLogged = (name: string, cmd: string, args: string[]) => {
    const p = spawn(cmd, args, { ...as, cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const add = (d: Buffer) => {
      output += d
        .toString()
        .split('\n')
        .filter(Boolean)
        .map((l) => `[${name}] ${l}\n`)
        .join('');
      if (output.length > 400_000) output = output.slice(-200_000);
    };
    p.stdout?.on('data', add);
    p.stderr?.on('data', add);
    procs.push(p);
    return p;
  };

  type Node = PatroniNode & { proc: ChildProcess | null; config: string; data: string };
  const nodes: Node[] = [];
  // Patroni starts PostgreSQL in a session of its own: a node is Patroni's process group
  // and the postmaster with its children
  const killNode = (n: Node) => {
    const postmaster = postmasterPid(n.data);
    if (n.proc?.pid) killGroup(n.proc.pid);
    if (postmaster) killPostmaster(postmaster);
  };
  const killAll = async () => {
    for (const p of procs) if (p.pid && p.exitCode === null && p.signalCode === null) killGroup(p.pid);
    for (const n of nodes) killNode(n);
    await new Promise((r) => setTimeout(r, 300));
    rmSync(dir, { recursive: true, force: true });
  };

  // etcd: one member is enough for a drill of PostgreSQL's failover (etcd's own HA is etcd's)
  const [etcdClient, etcdPeer] = [await freePort(), await freePort()];
  const etcdDir = join(dir, 'etcd');
  mkdirSync(etcdDir);
  if (user) chownSync(etcdDir, user.uid, user.gid);
  spawnLogged('etcd', 'etcd', [
    '--name',
    'e1',
    '--data-dir',
    etcdDir,
    '--listen-client-urls',
    `http://127.0.0.1:${etcdClient}`,
    '--advertise-client-urls',
    `http://127.0.0.1:${etcdClient}`,
    '--listen-peer-urls',
    `http://127.0.0.1:${etcdPeer}`,
    '--initial-advertise-peer-urls',
    `http://127.0.0.1:${etcdPeer}`,
    '--initial-cluster',
    `e1=http://127.0.0.1:${etcdPeer}`,
    '--enable-v2=true',
  ]);
  await waitFor(
    'etcd',
    async () => ((await http(`http://127.0.0.1:${etcdClient}/health`))?.status === 200 ? true : undefined),
    20_000,
  ).catch(async (err) => {
    const log = output.slice(-4000);
    await killAll();
    throw new Error(`${(err as Error).message}\n${log}`);
  });

  for (const name of ['pg1', 'pg2']) {
    const [port, api] = [await freePort(), await freePort()];
    const home = join(dir, name);
    mkdirSync(home, { mode: 0o700 });
    if (user) chownSync(home, user.uid, user.gid);
    const hba = [
      'local all all trust',
      'host all all 127.0.0.1/32 trust',
      'host replication all 127.0.0.1/32 trust',
    ];
    // JSON is YAML: Patroni reads it as its config file
    const config = {
      scope: 'hq',
      namespace: '/storeedge/',
      name,
      log: { level: 'WARNING' },
      restapi: { listen: `127.0.0.1:${api}`, connect_address: `127.0.0.1:${api}` },
      etcd: { host: `127.0.0.1:${etcdClient}` },
      bootstrap: {
        dcs: {
          // a leader that stops renewing its lock for `ttl` seconds is replaced: the floor Patroni allows
          ttl: 20,
          loop_wait: 2,
          retry_timeout: 5,
          synchronous_mode: true,
          postgresql: {
            use_pg_rewind: true,
            parameters: {
              max_connections: 200,
              shared_buffers: '64MB',
              wal_log_hints: 'on',
              max_wal_senders: 10,
              max_replication_slots: 10,
              hot_standby: 'on',
            },
          },
        },
        initdb: [{ encoding: 'UTF8' }, { locale: 'C' }],
        pg_hba: hba,
      },
      postgresql: {
        listen: `127.0.0.1:${port}`,
        connect_address: `127.0.0.1:${port}`,
        data_dir: join(home, 'data'),
        bin_dir: PG_BIN,
        pgpass: join(home, 'pgpass'),
        authentication: {
          superuser: { username: 'hq', password: 'hq' },
          replication: { username: 'replicator', password: 'replicator' },
          rewind: { username: 'hq', password: 'hq' },
        },
        parameters: { unix_socket_directories: home },
        pg_hba: hba,
      },
    };
    const file = join(home, 'patroni.yml');
    writeFileSync(file, JSON.stringify(config, null, 1));
    if (user) chownSync(file, user.uid, user.gid);
    const node = {
      name,
      port,
      api: `http://127.0.0.1:${api}`,
      proc: null as ChildProcess | null,
      config: file,
      data: config.postgresql.data_dir,
      running: () => node.proc !== null && node.proc.exitCode === null && node.proc.signalCode === null,
    };
    nodes.push(node);
  }
  const startNode = async (n: (typeof nodes)[number]) => {
    n.proc = spawnLogged(n.name, 'patroni', [n.config]);
    await waitFor(
      `patroni ${n.name}`,
      async () => ((await http(`${n.api}/health`))?.status === 200 ? true : undefined),
      90_000,
    );
  };
  // the first bootstraps the cluster; the second clones it with pg_basebackup
  try {
    await startNode(nodes[0]!);
    await startNode(nodes[1]!);
  } catch (err) {
    const log = output.slice(-4000);
    await killAll();
    throw new Error(`${(err as Error).message}\n${log}`);
  }

  const hosts = nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
  const find = async (path: string, what: string, timeoutMs: number) =>
    waitFor(
      what,
      async () => {
        for (const n of nodes) if (n.running() && (await http(`${n.api}${path}`))?.status === 200) return n;
        return undefined;
      },
      timeoutMs,
    );
  const cluster: PgCluster = {
    url: `postgres://hq@${hosts}/postgres?target_session_attrs=read-write`,
    nodes,
    leader: (timeoutMs = 60_000) => find('/leader', 'a Patroni leader', timeoutMs),
    syncStandby: (timeoutMs = 60_000) => find('/sync', 'a synchronous standby', timeoutMs),
    kill: async (node) => {
      const n = nodes.find((x) => x.name === node.name)!;
      const p = n.proc;
      if (!p?.pid) return;
      const gone = new Promise<void>((resolve) => p.once('exit', () => resolve()));
      killNode(n);
      await gone;
      n.proc = null;
      // PostgreSQL's own children may outlive the postmaster for a moment: wait for the port
      await waitFor(`${n.name} gone`, async () => ((await canConnect(n.port)) ? undefined : true), 15_000);
    },
    start: (node) => startNode(nodes.find((x) => x.name === node.name)!),
    log: () => output,
    destroy: killAll,
  };
  return cluster;
}

function postmasterPid(data: string): number | null {
  try {
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 1 ? pid : null;
  } catch {
    return null;
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** the postmaster and every process it started (each of them in a session of its own) */
function killPostmaster(pid: number): void {
  let children: number[] = [];
  try {
    children = execFileSync('pgrep', ['-P', String(pid)])
      .toString()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    // none, or pgrep found nothing
  }
  for (const p of [pid, ...children])
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
