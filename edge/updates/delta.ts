// Delta updates at the store: HQ offers a zstd --patch-from delta between the uncompressed
// tar of the release the store runs and the new release's tar (hq/releases/deltas.ts).
// The store keeps the bundle each version came in (releases/<version>.tar.gz, pruned with
// the version); gunzipped, it is the delta's reference. The rebuilt tar is checked by the
// SHA-256 and size the push signs for it before anything is unpacked, and then gzipped as
// the next update's reference. Gzip is not part of the reference, so a bundle kept from a
// delta (gzipped here) serves as well as one downloaded whole.
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, renameSync, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { constants, createGunzip, createGzip } from 'node:zlib';
import { checkFile, type Signed } from './digest.js';

/** What a software push offers as a delta (edge/updates/manifest.ts checks its shape). */
export interface DeltaOffer extends Signed {
  /** the version the delta starts from: the store must be running it */
  from: string;
  url: string;
  /** zstd --long on both sides: the window covers the whole reference */
  windowLog: number;
  /** the uncompressed tar the delta rebuilds, as signed */
  tar: Signed;
}

function zstd(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('zstd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.once('error', (e) => reject(new Error(`zstd: ${e.message}`)));
    p.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`zstd: ${err.trim().slice(0, 200) || `exit ${code}`}`)),
    );
  });
}

/**
 * Rebuilds the new release's tar at `out` from the kept bundle and a downloaded delta,
 * and checks it against the signed tar digest. Throws with the reason; leaves nothing then.
 */
export async function rebuildFromDelta(o: {
  kept: string;
  patch: string;
  out: string;
  offer: DeltaOffer;
}): Promise<void> {
  const ref = `${o.out}.ref.partial`;
  try {
    await pipeline(createReadStream(o.kept), createGunzip(), createWriteStream(ref));
    await zstd([
      '-d',
      '-q',
      '-f',
      `--long=${o.offer.windowLog}`,
      `--patch-from=${ref}`,
      o.patch,
      '-o',
      o.out,
    ]);
    await checkFile(o.out, o.offer.tar, 'release rebuilt from the delta');
  } catch (err) {
    rmSync(o.out, { force: true });
    throw err;
  } finally {
    rmSync(ref, { force: true });
  }
}

/** Gzips a rebuilt tar as the kept bundle of its version (fast level: only a reference). */
export async function keepTar(tar: string, kept: string): Promise<void> {
  const tmp = `${kept}.partial`;
  try {
    await pipeline(
      createReadStream(tar),
      createGzip({ level: constants.Z_BEST_SPEED }),
      createWriteStream(tmp),
    );
    renameSync(tmp, kept);
  } finally {
    rmSync(tmp, { force: true });
  }
}
