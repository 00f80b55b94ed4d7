// The versions on a store box, A/B style, in the state folder (updates.dir):
//   releases/<version>/   bundles HQ pushed, each unpacked whole under a temporary name
//                         and renamed, so a crash never leaves a half-written version
//   current -> …          the version the service runs (storeedge-start follows it)
//   previous -> …         the version to come back to when a new one does not stay up
//   update-trial          JSON {version, rollout, from}: the current version is on trial
//   update-attempts       starts of the version on trial, counted by storeedge-start,
//                         which switches back to previous after MAX_STARTS failed ones
//   update-rolled-back    the trial file, moved there by storeedge-start when it switched back
//   update-last-error     why the version on trial last failed to start, when it could say
// A link is switched by renaming a new link over it: at any instant `current` names
// exactly one complete version.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, join, relative } from 'node:path';

/** storeedge-start switches back after this many failed starts of a version on trial. */
export const MAX_STARTS = 3;

export interface Trial {
  version: string;
  /** HQ's rollout (the push's version) */
  rollout: number;
  /** the version it replaced */
  from: string;
  at: number;
}

export interface RolledBack extends Trial {
  reason: string;
}

const VERSION_RE = /^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/;
export const validVersion = (v: unknown): v is string => typeof v === 'string' && VERSION_RE.test(v);

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export class ReleaseSlots {
  constructor(readonly dir: string) {}

  get releases(): string {
    return join(this.dir, 'releases');
  }

  private path(name: string): string {
    return join(this.dir, name);
  }

  /** The folder a link names, or null when the link is missing or dangles. */
  target(link: 'current' | 'previous'): string | null {
    try {
      return realpathSync(this.path(link));
    } catch {
      return null;
    }
  }

  /** The version in a bundle folder (its RELEASE.json), or null when it is not a complete bundle. */
  versionAt(dir: string | null): string | null {
    if (!dir) return null;
    try {
      const meta = JSON.parse(readFileSync(join(dir, 'RELEASE.json'), 'utf8')) as { version?: unknown };
      return validVersion(meta.version) && existsSync(join(dir, 'bin/storeedge')) ? meta.version : null;
    } catch {
      return null;
    }
  }

  releaseDir(version: string): string {
    return join(this.releases, version);
  }

  /**
   * Unpacks a verified tarball into releases/<version>, whole or not at all, and checks
   * what it unpacked: one top folder, RELEASE.json naming this version and arch, a
   * launcher and a Node that runs. Throws with the reason; nothing is left behind then.
   */
  unpack(tarball: string, version: string, arch: string): string {
    mkdirSync(this.releases, { recursive: true });
    const final = this.releaseDir(version);
    const tmp = join(this.releases, `.${version}.${process.pid}.partial`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp);
    try {
      // a bundle (gzipped, GNU tar tells by its magic) or a tar rebuilt from a delta;
      // --no-same-owner: files belong to the service's user; absolute names and .. are refused by tar itself
      const r = spawnSync('tar', ['-xf', tarball, '-C', tmp, '--no-same-owner', '--no-same-permissions'], {
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`bundle does not unpack: ${(r.stderr || '').trim().slice(0, 200)}`);
      const top = readdirSync(tmp);
      if (top.length !== 1) throw new Error(`bundle must hold one folder, holds ${top.length}`);
      const root = join(tmp, top[0]!);
      const meta = JSON.parse(readFileSync(join(root, 'RELEASE.json'), 'utf8')) as {
        version?: unknown;
        arch?: unknown;
      };
      if (meta.version !== version)
        throw new Error(`bundle is version ${String(meta.version)}, not ${version}`);
      if (meta.arch !== arch) throw new Error(`bundle is for ${String(meta.arch)}, this box is ${arch}`);
      const node = spawnSync(join(root, 'node/bin/node'), ['--version'], {
        encoding: 'utf8',
        timeout: 10_000,
      });
      if (node.status !== 0) throw new Error("bundle's Node does not run on this box");
      if (!existsSync(join(root, 'bin/storeedge'))) throw new Error('bundle has no bin/storeedge');
      rmSync(final, { recursive: true, force: true });
      renameSync(root, final);
      return final;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  /** The bundle a version came in (gzipped tar), kept as the next update's delta reference. */
  keptBundle(version: string): string {
    return join(this.releases, `${version}.tar.gz`);
  }

  /** Leftovers of an unpack or a download that a crash interrupted. */
  sweep(): void {
    if (!existsSync(this.releases)) return;
    for (const f of readdirSync(this.releases))
      if (f.endsWith('.partial') || f.endsWith('.download'))
        rmSync(join(this.releases, f), { recursive: true, force: true });
  }

  /** Removes staged versions that are neither current nor previous (keeps the disk bounded). */
  prune(): string[] {
    if (!existsSync(this.releases)) return [];
    const keep = new Set([this.target('current'), this.target('previous')]);
    const keptVersions = new Set([...keep].map((t) => this.versionAt(t)));
    const removed: string[] = [];
    for (const f of readdirSync(this.releases)) {
      const p = join(this.releases, f);
      if (f.startsWith('.')) continue;
      // a kept bundle lives as long as its version does
      if (f.endsWith('.tar.gz')) {
        if (!keptVersions.has(f.slice(0, -'.tar.gz'.length))) {
          rmSync(p, { force: true });
          removed.push(f);
        }
        continue;
      }
      if (keep.has(realpathSync(p))) continue;
      rmSync(p, { recursive: true, force: true });
      removed.push(f);
    }
    return removed;
  }

  private link(name: 'current' | 'previous', to: string): void {
    const tmp = this.path(`${name}.${process.pid}.new`);
    rmSync(tmp, { force: true });
    // relative, so the link reads the same from inside a chroot or a throwaway root
    symlinkSync(relative(realpathSync(this.dir), to), tmp);
    renameSync(tmp, this.path(name));
  }

  /**
   * Puts a staged version in service on trial: the trial file first, then previous and
   * current. A crash between any two steps leaves either the old version current (the
   * trial file then names a version that is not running: see interruptedSwitch) or the
   * new one current on trial.
   */
  switchTo(version: string, rollout: number, now: number): void {
    const from = this.target('current');
    if (!from) throw new Error('no current version to come back to');
    const trial: Trial = { version, rollout, from: this.versionAt(from) ?? basename(from), at: now };
    writeAtomic(this.path('update-trial'), `${JSON.stringify(trial)}\n`);
    rmSync(this.path('update-attempts'), { force: true });
    rmSync(this.path('update-last-error'), { force: true });
    this.link('previous', from);
    this.link('current', this.releaseDir(version));
  }

  trial(): Trial | null {
    return readJson<Trial>(this.path('update-trial'));
  }

  /** The version on trial stayed up: it is kept, and previous stays as the way back. */
  commit(): void {
    rmSync(this.path('update-trial'), { force: true });
    rmSync(this.path('update-attempts'), { force: true });
    rmSync(this.path('update-last-error'), { force: true });
  }

  /** A trial whose switch never happened (current is still the old version): forgotten. */
  abandonTrial(): void {
    this.commit();
  }

  /** Why the version on trial failed, for storeedge-start's report after it switches back. */
  recordStartError(reason: string): void {
    writeAtomic(this.path('update-last-error'), `${reason.slice(0, 500)}\n`);
  }

  /** What storeedge-start left when it switched back, once: read, then removed. */
  takeRolledBack(): RolledBack | null {
    const t = readJson<Trial>(this.path('update-rolled-back'));
    if (!t) return null;
    let last = '';
    try {
      last = readFileSync(this.path('update-last-error'), 'utf8').trim();
    } catch {}
    const reason = `did not stay up: ${MAX_STARTS} starts of ${t.version} failed${last ? ` (last: ${last})` : ''}; back on ${t.from}`;
    rmSync(this.path('update-rolled-back'), { force: true });
    rmSync(this.path('update-last-error'), { force: true });
    return { ...t, reason };
  }

  /** For tests and the README: where each link points, relative to the state folder. */
  describe(): { current: string | null; previous: string | null } {
    const rl = (n: string) => {
      try {
        return readlinkSync(this.path(n));
      } catch {
        return null;
      }
    };
    return { current: rl('current'), previous: rl('previous') };
  }
}

function readJson<T>(path: string): T | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return null;
  }
}
