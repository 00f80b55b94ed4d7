// A support bundle: what support needs to understand a store box, in one JSON document —
// versions, the config with its secrets redacted, migrations, PRAGMA integrity_check,
// each part's and device's state, disk and memory, and recent log lines. Never a sale,
// a member, a payment or an image: nothing is read from the store's tables but the
// migrations, and log lines lose any field that could name a shopper.
// Built by the daemon (asked by HQ: edge/sync/support.ts) or by `storeedge support-bundle`.
import { statfsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, freemem, loadavg, platform, release, totalmem, uptime } from 'node:os';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import type { LoadedConfig } from '../../config/load.js';
import { redactConfig } from '../../config/redact.js';
import { lastCompatible, schemaVersion } from '../db/migrate.js';
import { migrations } from '../db/migrations/index.js';
import type { Db } from '../db/open.js';

/** Log fields dropped from a bundle: they could carry a shopper's identity. */
const PERSONAL = /member|phone|openid|payer|email|card|customer|shopper|name$/i;

export interface SupportBundle {
  kind: 'storeedge-support-bundle';
  createdAt: string;
  storeId: string;
  version: string;
  runtime: Record<string, unknown>;
  config: Record<string, unknown>;
  database: Record<string, unknown>;
  system: Record<string, unknown>;
  /** the running daemon's parts and devices; null when it is not running */
  live: unknown;
  logs: { source: string; lines: unknown[] };
}

/** PRAGMA integrity_check on the store's database, off the caller's event loop (a worker, read-only). */
export function integrityCheck(dbPath: string, timeoutMs = 120_000): Promise<string[]> {
  if (dbPath === ':memory:') return Promise.resolve(['in-memory database: not checked']);
  const mod = createRequire(import.meta.url).resolve('better-sqlite3');
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const Database = require(workerData.mod);
    const db = new Database(workerData.path, { readonly: true, fileMustExist: true });
    try { parentPort.postMessage(db.pragma('integrity_check', { simple: false }).map((r) => r.integrity_check)); }
    finally { db.close(); }`;
  return new Promise((resolve) => {
    const w = new Worker(code, { eval: true, workerData: { mod, path: dbPath } });
    const t = setTimeout(
      () => void w.terminate().then(() => resolve([`not finished in ${timeoutMs / 1000} s`])),
      timeoutMs,
    );
    w.once('message', (rows: string[]) => {
      clearTimeout(t);
      resolve(rows);
    });
    w.once('error', (err) => {
      clearTimeout(t);
      resolve([`check failed: ${err.message}`]);
    });
  });
}

/** The schema the database is at, the oldest build that may open it, the migrations applied. */
export function migrationState(db: Db): Record<string, unknown> {
  const version = schemaVersion(db);
  return {
    schemaVersion: version,
    lastCompatible: lastCompatible(db),
    knownToThisBuild: migrations.length,
    applied: migrations.slice(0, version).map((m) => m.name),
  };
}

/** A log line without the fields that could name a shopper (JSON lines; other text kept). */
export function scrubLogLine(line: string): unknown {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return line;
  }
  const walk = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(walk);
    if (x && typeof x === 'object')
      return Object.fromEntries(
        Object.entries(x)
          .filter(([k]) => !PERSONAL.test(k) || k === 'name')
          .map(([k, y]) => [k, walk(y)]),
      );
    return x;
  };
  return walk(v);
}

const size = (path: string) => {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
};

export async function buildSupportBundle(o: {
  loaded: LoadedConfig;
  version: string;
  /** the database's schema: migrationState() */
  migrations: unknown;
  live: unknown;
  logs: { source: string; lines: string[] };
  now?: number;
}): Promise<SupportBundle> {
  const c = o.loaded.config;
  const dbPath = c.db.path;
  let disk: Record<string, unknown> | null = null;
  if (dbPath !== ':memory:') {
    try {
      const s = statfsSync(dirname(dbPath));
      disk = { path: dirname(dbPath), totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
    } catch (err) {
      disk = { error: (err as Error).message };
    }
  }
  return {
    kind: 'storeedge-support-bundle',
    createdAt: new Date(o.now ?? Date.now()).toISOString(),
    storeId: c.store.id,
    version: o.version,
    runtime: {
      node: process.versions.node,
      arch: arch(),
      platform: platform(),
      kernel: release(),
      pid: process.pid,
    },
    config: {
      source: o.loaded.source,
      sha256: o.loaded.sha256,
      hqOverlay: o.loaded.overlay,
      effective: redactConfig(c),
    },
    database: {
      path: dbPath,
      bytes: size(dbPath),
      walBytes: size(`${dbPath}-wal`),
      migrations: o.migrations,
      integrityCheck: await integrityCheck(dbPath),
    },
    system: {
      disk,
      memory: { totalBytes: totalmem(), freeBytes: freemem(), processRssBytes: process.memoryUsage().rss },
      loadavg: loadavg(),
      uptimeS: Math.round(uptime()),
    },
    live: o.live,
    logs: { source: o.logs.source, lines: o.logs.lines.map(scrubLogLine) },
  };
}

export const packBundle = (b: SupportBundle): Buffer => gzipSync(JSON.stringify(b));
