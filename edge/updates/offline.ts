// Offline updates: a store with no WAN installs a release from a file HQ made for a
// rollout (GET /rollouts/:id/offline-bundle: a tar of HQ's signed software push and the
// bundle it names), carried on a USB stick. `storeedge update --from FILE` checks it the
// way a push is checked (HQ's signature, the manifest, the bundle's SHA-256 and size) and
// queues it in the updater's inbox; the running daemon takes it from there with the same
// checks again and the same steps (staged, switched when no payment is open, kept or rolled
// back). Its software.status events wait in the outbox, so HQ hears of it once the store is
// back online, under the rollout it was made for.
import { spawnSync } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { openPush } from '../../sync/pushes.js';
import { hqPublicKey } from '../../sync/signing.js';
import { checkFile, DigestMismatch } from './digest.js';
import { manifestProblems, type ReleaseManifest } from './manifest.js';

export const OFFLINE_PUSH = 'push.json';
export const OFFLINE_BUNDLE = 'bundle.tar.gz';

export interface InboxEntry {
  rollout: number;
  push: string;
  bundle: string;
}

export class OfflineRefused extends Error {}

export const inboxDir = (updatesDir: string) => join(updatesDir, 'inbox');

/** HQ's signed push checked: signature, then the manifest; throws with the reason. */
export function openOfflinePush(
  doc: unknown,
  hqKey: KeyObject | null,
): { rollout: number; body: ReleaseManifest } {
  const p = openPush('software', doc, hqKey);
  if ('status' in p) throw new OfflineRefused(p.problems?.join('; ') ?? 'not a software push');
  const problems = manifestProblems(p.body);
  if (problems.length) throw new OfflineRefused(problems.join('; '));
  return { rollout: p.version, body: p.body as ReleaseManifest };
}

/** Counts and hashes a bundle file against the signed manifest; throws when it differs. */
export async function checkBundleFile(file: string, m: ReleaseManifest): Promise<void> {
  const size = statSync(file).size;
  if (size !== m.bytes)
    throw new OfflineRefused(
      `bundle is ${size} bytes, the signed manifest says ${m.bytes}: corrupted or forged`,
    );
  try {
    await checkFile(file, m, 'bundle');
  } catch (err) {
    throw err instanceof DigestMismatch ? new OfflineRefused(err.message) : err;
  }
}

/**
 * Checks an offline bundle file and queues it in the inbox (the push written last, by a
 * rename, so the daemon never sees a push without its bundle). Returns what was queued.
 */
export async function queueOfflineBundle(
  file: string,
  updatesDir: string,
  hqKey: KeyObject | null,
  arch: string,
): Promise<{ rollout: number; version: string }> {
  const inbox = inboxDir(updatesDir);
  mkdirSync(inbox, { recursive: true });
  // run as root by an operator: what it writes belongs to the service's user, who deletes it
  const owner = statSync(updatesDir);
  const own = (path: string) => {
    if (process.getuid?.() === 0) chownSync(path, owner.uid, owner.gid);
  };
  own(inbox);
  const tmp = mkdtempSync(join(inbox, '.unpack-'));
  try {
    // only the two members by name: nothing else in the file is ever written
    const r = spawnSync('tar', ['-xf', file, '-C', tmp, '--no-same-owner', OFFLINE_PUSH, OFFLINE_BUNDLE], {
      encoding: 'utf8',
    });
    if (r.status !== 0)
      throw new OfflineRefused(
        `not an offline bundle (a tar of ${OFFLINE_PUSH} and ${OFFLINE_BUNDLE}): ${(r.stderr || '').trim().slice(0, 200)}`,
      );
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(join(tmp, OFFLINE_PUSH), 'utf8'));
    } catch (err) {
      throw new OfflineRefused(`${OFFLINE_PUSH} is not JSON: ${(err as Error).message}`);
    }
    const { rollout, body } = openOfflinePush(doc, hqKey);
    if (body.arch !== arch) throw new OfflineRefused(`bundle is for ${body.arch}, this box is ${arch}`);
    await checkBundleFile(join(tmp, OFFLINE_BUNDLE), body);
    for (const f of [OFFLINE_BUNDLE, OFFLINE_PUSH]) own(join(tmp, f));
    renameSync(join(tmp, OFFLINE_BUNDLE), join(inbox, `${rollout}.tar.gz`));
    renameSync(join(tmp, OFFLINE_PUSH), join(inbox, `${rollout}.json`));
    return { rollout, version: body.version };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** What waits in the inbox, oldest rollout first (a push whose bundle is missing is skipped). */
export function inboxEntries(updatesDir: string): InboxEntry[] {
  const inbox = inboxDir(updatesDir);
  if (!existsSync(inbox)) return [];
  return readdirSync(inbox)
    .map((f) => /^(\d{1,15})\.json$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({
      rollout: Number(m[1]),
      push: join(inbox, m[0]),
      bundle: join(inbox, `${m[1]}.tar.gz`),
    }))
    .filter((e) => existsSync(e.bundle))
    .sort((a, b) => a.rollout - b.rollout);
}

export function removeEntry(e: InboxEntry): void {
  rmSync(e.push, { force: true });
  rmSync(e.bundle, { force: true });
}

/** `storeedge update --from FILE`: the exit code, having said what happened. */
export async function updateFromFile(
  o: { updatesDir: string; hqSigningPublicKey?: string | undefined; file: string },
  say: (line: string, ok: boolean) => void,
): Promise<number> {
  if (!o.updatesDir) {
    say('storeedge: this box takes no software updates (updates.dir is not set)', false);
    return 1;
  }
  try {
    const key = o.hqSigningPublicKey ? hqPublicKey(o.hqSigningPublicKey) : null;
    const q = await queueOfflineBundle(o.file, o.updatesDir, key, process.arch);
    say(
      `storeedge: rollout ${q.rollout} (${q.version}) checked and queued: the running daemon installs it and switches when no payment is open (and in its maintenance window, if the push names one); HQ hears of it once the store is online`,
      true,
    );
    return 0;
  } catch (err) {
    say(`storeedge: offline update refused: ${(err as Error).message}`, false);
    return 1;
  }
}
