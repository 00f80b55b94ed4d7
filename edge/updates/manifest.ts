// The release manifest HQ signs in a software push: what the store downloads and
// checks a bundle against, and when it may switch to it.
import type { MaintenanceWindow } from '../../sync/maintenance-window.js';
import { windowProblems } from '../../sync/maintenance-window.js';
import type { DeltaOffer } from './delta.js';
import type { Signed } from './digest.js';
import { validVersion } from './slots.js';

export interface ReleaseManifest {
  version: string;
  arch: string;
  sha256: string;
  bytes: number;
  url: string;
  /** the database schema the release migrates to, and the oldest one that can still open it */
  schema?: { version: number; lastCompatible: number };
  /** switch only inside these local hours (HQ's window for this store) */
  window?: MaintenanceWindow;
  /** switch as soon as no payment is open, whatever the window */
  urgent?: boolean;
  /** a binary delta from the version the store runs (zstd --patch-from against its kept bundle) */
  delta?: DeltaOffer;
}

/** What is wrong with a manifest (none: fine). */
export function manifestProblems(m: unknown): string[] {
  const b = m as Partial<ReleaseManifest> | null;
  if (!b || typeof b !== 'object') return ['/body: a release manifest {version, arch, sha256, bytes, url}'];
  const p: string[] = [];
  if (!validVersion(b.version)) p.push('/body/version: a version like 1.2.3');
  if (typeof b.arch !== 'string') p.push('/body/arch: required');
  if (typeof b.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(b.sha256)) p.push('/body/sha256: 64 hex digits');
  if (!Number.isSafeInteger(b.bytes) || (b.bytes as number) < 1) p.push('/body/bytes: a positive integer');
  if (typeof b.url !== 'string' || !/^https?:\/\//.test(b.url)) p.push('/body/url: an http(s) URL');
  if (b.window !== undefined) p.push(...windowProblems(b.window));
  if (b.urgent !== undefined && typeof b.urgent !== 'boolean') p.push('/body/urgent: true or false');
  if (b.delta !== undefined) {
    const d = b.delta as Partial<DeltaOffer> | null;
    const signed = (x: unknown) => {
      const v = x as Partial<Signed> | null;
      return (
        !!v &&
        typeof v.sha256 === 'string' &&
        /^[0-9a-f]{64}$/.test(v.sha256) &&
        Number.isSafeInteger(v.bytes) &&
        (v.bytes as number) >= 1
      );
    };
    if (
      !d ||
      !validVersion(d.from) ||
      !signed(d) ||
      !signed(d.tar) ||
      typeof d.url !== 'string' ||
      !/^https?:\/\//.test(d.url) ||
      !Number.isInteger(d.windowLog) ||
      (d.windowLog as number) < 10 ||
      (d.windowLog as number) > 31
    )
      p.push('/body/delta: {from, sha256, bytes, url, windowLog 10–31, tar: {sha256, bytes}}');
  }
  return p;
}
