// Delta updates: a store that kept the bundle of the version it runs downloads only a
// binary delta to the new release (zstd --patch-from) and rebuilds the new release's tar
// from it (edge/updates/delta.ts). The delta is made between the *uncompressed* tars:
// every tar header names the versioned top folder, so between gzipped bundles every gzip
// block differs (measured: 8.0 MB of 96 MB for a one-line change), between the tars the
// delta is about what changed (411 KB). The push signs the delta's SHA-256 and size and the
// rebuilt tar's, so the store checks both; anything wrong and it downloads the full bundle.
// A delta is made once per (from, to, arch), when a rollout first sends to a store running
// `from`, one at a time (zstd -9 over a 289 MB tar takes ~0.9 GB and ~6 s here), and kept
// beside the bundles; one not smaller than DELTA_MAX_SHARE of the bundle is not offered.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type pg from 'pg';
import type { Bundles } from './bundles.js';

/** A delta larger than this share of the full bundle is not worth a second path. */
const DELTA_MAX_SHARE = 0.5;
/** zstd's level: -9 gave 411 KB in 5.7 s for a one-line change; -19 gave 452 KB in 99 s */
const LEVEL = 9;

export interface Delta {
  from: string;
  sha256: string;
  bytes: number;
  /** zstd --long=windowLog on both sides: the window covers the whole reference tar */
  windowLog: number;
  /** the new release's uncompressed tar, which the delta rebuilds */
  tar: { sha256: string; bytes: number };
}

/** The window that covers a tar of `bytes` (zstd's --patch-from needs the reference in it). */
export const windowLogFor = (bytes: number) => Math.min(31, Math.max(20, Math.ceil(Math.log2(bytes + 1))));

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Gunzips a bundle to `tar`, returning the tar's SHA-256 and size. */
async function gunzipTo(bundle: string, tar: string): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _e, done) {
      h.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(createReadStream(bundle), createGunzip(), tap, createWriteStream(tar));
  return { sha256: h.digest('hex'), bytes };
}

function zstd(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('zstd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.once('error', reject);
    p.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`zstd: ${err.trim().slice(0, 300)}`)),
    );
  });
}

interface DeltaRow {
  sha256: string;
  bytes: string;
  window_log: number;
  tar_sha256: string;
  tar_bytes: string;
  useful: boolean;
}

const fromRow = (from: string, r: DeltaRow): Delta => ({
  from,
  sha256: r.sha256,
  bytes: Number(r.bytes),
  windowLog: r.window_log,
  tar: { sha256: r.tar_sha256, bytes: Number(r.tar_bytes) },
});

/**
 * The delta from one bundle to the next at `out`: both gunzipped beside it (two tars of
 * the bundles' unpacked size, removed after), zstd --patch-from between the tars.
 */
export async function makeDelta(
  oldBundle: string,
  newBundle: string,
  out: string,
): Promise<Omit<Delta, 'from'>> {
  const [oldTar, newTar] = [`${out}.old.tar`, `${out}.new.tar`];
  try {
    const ref = await gunzipTo(oldBundle, oldTar);
    const tar = await gunzipTo(newBundle, newTar);
    const windowLog = windowLogFor(Math.max(ref.bytes, tar.bytes));
    await zstd(['-q', '-f', `-${LEVEL}`, `--long=${windowLog}`, `--patch-from=${oldTar}`, newTar, '-o', out]);
    return { sha256: await sha256(out), bytes: statSync(out).size, windowLog, tar };
  } finally {
    for (const f of [oldTar, newTar]) rmSync(f, { force: true });
  }
}

export class Deltas {
  private readonly making = new Map<string, Promise<Delta | null>>();
  /** one zstd at a time: each holds ~0.9 GB */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly pool: pg.Pool,
    private readonly bundles: Bundles,
    private readonly dir: string,
  ) {}

  file(from: string, to: string, arch: string): string {
    return join(this.dir, 'deltas', `${from}_${to}_${arch}.zst`);
  }

  /** The delta from `from` to `to`, made now if it is not yet; null when there is none worth sending. */
  get(from: string, to: string, arch: string): Promise<Delta | null> {
    const key = `${from}_${to}_${arch}`;
    let p = this.making.get(key);
    if (!p) {
      p = this.find(from, to, arch).finally(() => this.making.delete(key));
      this.making.set(key, p);
    }
    return p;
  }

  /** A delta made before, never one made now (what stores download: no work for HQ on a request). */
  async recorded(from: string, to: string, arch: string): Promise<Delta | null> {
    const row = await this.row(from, to, arch);
    if (!row?.useful || !existsSync(this.file(from, to, arch))) return null;
    return fromRow(from, row);
  }

  private async row(from: string, to: string, arch: string): Promise<DeltaRow | undefined> {
    const r = await this.pool.query<DeltaRow>(
      `SELECT sha256, bytes, window_log, tar_sha256, tar_bytes, useful FROM release_deltas
        WHERE from_version = $1 AND to_version = $2 AND arch = $3`,
      [from, to, arch],
    );
    return r.rows[0];
  }

  private async find(from: string, to: string, arch: string): Promise<Delta | null> {
    if (from === to) return null;
    const row = await this.row(from, to, arch);
    if (row && !row.useful) return null;
    if (row && existsSync(this.file(from, to, arch))) return fromRow(from, row);
    const made = this.queue.then(() => this.make(from, to, arch));
    this.queue = made.catch(() => undefined);
    return made;
  }

  private async make(from: string, to: string, arch: string): Promise<Delta | null> {
    const held = await this.pool.query('SELECT version FROM releases WHERE arch = $1 AND version = ANY($2)', [
      arch,
      [from, to],
    ]);
    if (held.rowCount !== 2) return null; // HQ does not hold the store's version: the full bundle
    const oldFile = this.bundles.file(from, arch);
    const newFile = this.bundles.file(to, arch);
    if (!existsSync(oldFile) || !existsSync(newFile)) return null;
    const work = join(this.dir, 'deltas');
    mkdirSync(work, { recursive: true });
    const tmp = join(work, `.${from}_${to}_${arch}.${process.pid}.zst`);
    try {
      let made: Omit<Delta, 'from'>;
      try {
        made = await makeDelta(oldFile, newFile, tmp);
      } catch {
        return null; // no zstd here, or it failed: the stores get the full bundle (tried again next time)
      }
      const useful = made.bytes < DELTA_MAX_SHARE * statSync(newFile).size;
      if (useful) renameSync(tmp, this.file(from, to, arch));
      await this.pool.query(
        `INSERT INTO release_deltas (from_version, to_version, arch, sha256, bytes, window_log, tar_sha256, tar_bytes, useful)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (from_version, to_version, arch) DO UPDATE
           SET sha256 = $4, bytes = $5, window_log = $6, tar_sha256 = $7, tar_bytes = $8, useful = $9, created_at = now()`,
        [from, to, arch, made.sha256, made.bytes, made.windowLog, made.tar.sha256, made.tar.bytes, useful],
      );
      return useful ? { from, ...made } : null;
    } finally {
      rmSync(tmp, { force: true });
    }
  }
}
