// Software updates pushed by HQ, as a part of the daemon (the last one to start, so its
// start means every other part is ready). A push (signed, checked by sync/) carries a
// release manifest: version, arch, SHA-256 and size of the bundle, and where HQ serves it.
// The updater downloads it, checks it against the signed figures, unpacks it beside the
// running version, has the new version check this store's config, waits for a moment
// with no payment open, switches `current` with the new version on trial and asks the
// daemon to restart (systemd starts it again). The new version is kept once it has been
// ready for updates.healthyAfterS; storeedge-start switches back to the previous one after
// MAX_STARTS failed starts. Each step is an outbox event (software.status), so HQ sees
// pending → downloading → installed → switching → healthy / rolled_back / rejected, with
// the reason, whatever outages lie between.
import { spawnSync } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import {
  accessSync,
  constants,
  copyFileSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import type { Part } from '../../sync/kernel/lifecycle.js';
import type { Logger } from '../../sync/kernel/logger.js';
import {
  describeWindow,
  inWindow,
  type MaintenanceWindow,
  nextOpening,
} from '../../sync/maintenance-window.js';
import { paymentsInFlight } from '../checkout/in-flight.js';
import type { Db } from '../db/open.js';
import { type DeltaOffer, keepTar, rebuildFromDelta } from './delta.js';
import { DigestMismatch, digestCheck, type Signed } from './digest.js';
import { manifestProblems, type ReleaseManifest } from './manifest.js';
import {
  checkBundleFile,
  type InboxEntry,
  inboxDir,
  inboxEntries,
  OfflineRefused,
  openOfflinePush,
  removeEntry,
} from './offline.js';
import { reportSoftware, type SoftwareReport, type SoftwareState, versionOf } from './report.js';
import { ReleaseSlots, type Trial } from './slots.js';

export type { ReleaseManifest } from './manifest.js';
export type { SoftwareState } from './report.js';

export interface SoftwareReply {
  dataset: 'software';
  version: number;
  status: 'accepted' | 'unchanged' | 'rejected';
  state?: SoftwareState;
  problems?: string[];
}

export interface UpdaterOptions {
  dir: string;
  /** the running version */
  version: string;
  arch?: string;
  /** the schema this build knows (its migrations) */
  schemaVersion: number;
  configFile: string | null;
  db: () => Db;
  log: Logger;
  healthyAfterS: number;
  readyTimeoutS: number;
  maxBundleBytes: number;
  downloadTimeoutMs: number;
  idleCheckMs: number;
  /** HQ's push key: offline bundles in the inbox are checked with it */
  hqKey?: KeyObject | null;
  /** the store's time zone, which maintenance windows are read in */
  timeZone: string;
  /** stop the daemon so the service manager starts the version now current */
  restart(reason: string): void;
  now?: () => number;
}

interface UpdaterState {
  /** the newest rollout seen, so an old push replayed by the broker is not acted on */
  lastRollout: number;
  /** versions that did not stay up here: never tried again */
  refused: string[];
  /** a push being downloaded, unpacked or waiting to switch: taken up again after a restart */
  pending?: { rollout: number; body: unknown; local?: string } | undefined;
}

class Refused extends Error {}

export class UpdaterPart implements Part {
  readonly name = 'updates';
  readonly slots: ReleaseSlots;
  private readonly now: () => number;
  private readonly arch: string;
  private busy: Promise<unknown> = Promise.resolve();
  private timers = new Set<NodeJS.Timeout>();
  private abort = new AbortController();
  private phase: string = 'idle';
  /** the window a staged update waits for, while it waits */
  private window: MaintenanceWindow | null = null;
  private stopped = false;
  /** why this box cannot take updates (its state folder is not writable), if it cannot */
  private unavailable: string | null = null;

  constructor(private readonly o: UpdaterOptions) {
    this.slots = new ReleaseSlots(o.dir);
    this.now = o.now ?? Date.now;
    this.arch = o.arch ?? process.arch;
  }

  /** The trial this very version is on, if any (it is then not yet kept). */
  ownTrial(): Trial | null {
    const t = this.slots.trial();
    return t && t.version === this.o.version ? t : null;
  }

  /**
   * Called before the daemon starts its parts: a version on trial that is not ready in
   * time exits, so the start counts as failed (systemd's TimeoutStartSec does the same
   * under systemd; this holds without it too).
   */
  guardStart(exit: (reason: string) => void): () => void {
    if (!this.ownTrial()) return () => undefined;
    const t = setTimeout(() => {
      const reason = `not ready within ${this.o.readyTimeoutS} s`;
      this.slots.recordStartError(reason);
      exit(reason);
    }, this.o.readyTimeoutS * 1000);
    return () => clearTimeout(t);
  }

  /** The start failed: say why, for the report after storeedge-start switches back. */
  startFailed(reason: string): void {
    if (this.ownTrial()) this.slots.recordStartError(reason);
  }

  start(): void {
    try {
      mkdirSync(this.o.dir, { recursive: true });
      accessSync(this.o.dir, constants.W_OK);
      // made by the service's user, so it may delete what an operator queues there
      mkdirSync(inboxDir(this.o.dir), { recursive: true });
    } catch (err) {
      // a box that cannot update still sells: updates are refused, with the reason
      this.unavailable = `state folder ${this.o.dir} is not writable: ${(err as Error).message}`;
      this.phase = 'unavailable';
      this.o.log.error({ err: this.unavailable }, 'software updates unavailable');
      return;
    }
    this.slots.sweep();
    const rolledBack = this.slots.takeRolledBack();
    if (rolledBack) {
      this.remember((s) => ({ ...s, refused: [...new Set([...s.refused, rolledBack.version])] }));
      this.report(rolledBack.rollout, rolledBack.version, 'rolled_back', rolledBack.reason, rolledBack.from);
      this.o.log.error({ ...rolledBack }, `software update to ${rolledBack.version} rolled back`);
      this.slots.prune();
    }
    const trial = this.slots.trial();
    const pending = this.state().pending;
    if (trial && trial.version === this.o.version) {
      // the push that led here is done; one that came in during the trial still waits
      if (pending?.rollout === trial.rollout) this.remember((s) => ({ ...s, pending: undefined }));
      this.phase = 'trial';
      this.later(this.o.healthyAfterS * 1000, () => this.keep(trial));
    } else if (trial) {
      // the switch was interrupted before `current` moved: this version still runs
      this.slots.abandonTrial();
      const staged = this.slots.versionAt(this.slots.releaseDir(trial.version)) === trial.version;
      this.o.log.warn({ trial, staged }, 'software switch was interrupted; the running version stays');
      if (staged) this.track(this.switchWhenIdle(trial.rollout, trial.version));
      else
        this.report(
          trial.rollout,
          trial.version,
          'rejected',
          'switch interrupted and the staged bundle is gone',
        );
    } else if (pending) {
      // a restart (or a crash) cut a download or a wait for no payment short: start it again
      this.o.log.info({ rollout: pending.rollout }, 'software update taken up again after a restart');
      void this.install(pending.rollout, pending.body, pending.local);
    }
    void this.checkInbox();
  }

  /**
   * Offline bundles queued by `storeedge update --from FILE`: each checked again (HQ's
   * signature, the manifest) and installed like a push, from its file. An entry stays
   * while its update is staged and waiting (a restart takes it up from the file again).
   */
  private async checkInbox(): Promise<void> {
    if (this.stopped) return;
    try {
      for (const e of inboxEntries(this.o.dir)) {
        if (this.stopped) return;
        if (this.state().pending?.local === e.bundle) continue;
        await this.installEntry(e);
      }
    } catch (err) {
      this.o.log.error({ err: (err as Error).message }, 'offline update inbox unreadable');
    }
    this.later(this.o.idleCheckMs, () => void this.checkInbox());
  }

  private async installEntry(e: InboxEntry): Promise<void> {
    let opened: ReturnType<typeof openOfflinePush>;
    try {
      opened = openOfflinePush(JSON.parse(readFileSync(e.push, 'utf8')), this.o.hqKey ?? null);
    } catch (err) {
      // not HQ's (or not a push): refused, and its rollout number is not to be trusted
      this.o.log.error(
        { file: e.push, err: err instanceof OfflineRefused ? err.message : String(err) },
        'offline update refused',
      );
      removeEntry(e);
      return;
    }
    this.o.log.info({ rollout: opened.rollout, version: opened.body.version }, 'offline update found');
    const reply = await this.install(opened.rollout, opened.body, e.bundle);
    if (reply.status !== 'accepted' && !this.stopped) removeEntry(e);
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  details(): Record<string, unknown> {
    return {
      version: this.o.version,
      phase: this.phase,
      ...(this.window
        ? {
            window: { ...this.window, timeZone: this.o.timeZone },
            switchAt: new Date(nextOpening(this.window, this.now(), this.o.timeZone)).toISOString(),
          }
        : {}),
      trial: this.slots.trial(),
      ...this.slots.describe(),
    };
  }

  /** A signed software push, opened by sync/: one at a time. */
  install(rollout: number, body: unknown, local?: string): Promise<SoftwareReply> {
    const run = this.busy.then(async () => {
      try {
        return await this.installOne(rollout, body, local);
      } catch (err) {
        // whatever went wrong is the push's answer, never an unhandled rejection
        const why = `update failed: ${(err as Error).message}`;
        this.phase = 'idle';
        this.o.log.error({ rollout, err: why }, 'software update failed');
        try {
          this.report(rollout, versionOf(body), 'rejected', why);
        } catch {}
        return {
          dataset: 'software' as const,
          version: rollout,
          status: 'rejected' as const,
          problems: [why],
        };
      }
    });
    this.busy = run.catch(() => undefined);
    return run;
  }

  /** `local`: the bundle is this file (an offline bundle), not HQ's download */
  private async installOne(rollout: number, body: unknown, local?: string): Promise<SoftwareReply> {
    const reply = (status: SoftwareReply['status'], extra: Partial<SoftwareReply> = {}): SoftwareReply => ({
      dataset: 'software',
      version: rollout,
      status,
      ...extra,
    });
    if (this.unavailable) return reply('rejected', { problems: [this.unavailable] });
    const problems = manifestProblems(body);
    const m = body as ReleaseManifest;
    const version = versionOf(body);
    const refuse = (why: string) => {
      this.remember((s) => ({ ...s, pending: undefined }));
      this.report(rollout, version, 'rejected', why);
      this.o.log.warn({ rollout, version, why }, 'software update refused');
      return reply('rejected', { problems: [why] });
    };
    if (problems.length) return refuse(problems.join('; '));
    const state = this.state();
    if (rollout < state.lastRollout) return refuse(`rollout ${rollout} is older than ${state.lastRollout}`);
    if (m.version === this.o.version) {
      // already on it: a rollout counts this store as done (a version on trial says so when kept)
      if (!this.ownTrial() && rollout > state.lastRollout) {
        this.remember((s) => ({ ...s, lastRollout: rollout }));
        this.report(rollout, m.version, 'healthy', `already running ${m.version}`);
      }
      return reply('unchanged');
    }
    if (rollout === state.lastRollout && this.phase !== 'idle') return reply('unchanged');
    if (this.ownTrial()) {
      // the running version is not proven yet: the next one waits for it, and goes on when it is kept
      this.remember((s) => ({ ...s, pending: { rollout, body, ...(local ? { local } : {}) } }));
      return reply('accepted', { problems: [`waiting until ${this.o.version} is kept`] });
    }
    if (m.arch !== this.arch) return refuse(`bundle is for ${m.arch}, this box is ${this.arch}`);
    if (state.refused.includes(m.version)) return refuse(`${m.version} did not stay up here before`);
    if (m.schema && m.schema.lastCompatible > this.o.schemaVersion)
      return refuse(
        `one-way update: ${m.version}'s database (v${m.schema.version}) cannot be opened by ${this.o.version} (v${this.o.schemaVersion}) after a rollback`,
      );
    if (m.bytes > this.o.maxBundleBytes)
      return refuse(`bundle of ${m.bytes} bytes is over updates.maxBundleMB`);
    this.remember((s) => ({
      ...s,
      lastRollout: rollout,
      pending: { rollout, body, ...(local ? { local } : {}) },
    }));

    this.phase = 'downloading';
    // a delta needs the bundle the running version came in (none after a .deb install)
    const delta =
      !local && m.delta?.from === this.o.version && existsSync(this.slots.keptBundle(this.o.version))
        ? m.delta
        : undefined;
    this.report(
      rollout,
      m.version,
      'downloading',
      local ? 'from an offline bundle' : delta ? `delta from ${delta.from}, ${delta.bytes} bytes` : undefined,
    );
    try {
      if (local) await checkBundleFile(local, m);
      const got = local ? { file: local, tar: false } : await this.fetchRelease(rollout, m, delta);
      try {
        this.slots.unpack(got.file, m.version, this.arch);
        await this.keepReference(got, m.version, !!local);
      } finally {
        if (!local) rmSync(got.file, { force: true });
      }
      this.checkConfig(m.version);
    } catch (err) {
      this.phase = 'idle';
      rmSync(this.slots.releaseDir(m.version), { recursive: true, force: true });
      // the daemon is stopping: the push stays pending and is taken up again at the next start
      if (this.stopped) return reply('rejected', { problems: ['stopped before the bundle was staged'] });
      return refuse((err as Error).message);
    }
    const window = m.window && !m.urgent ? m.window : undefined;
    // HQ shows when the switch is due: the window's next opening (a payment open then delays it)
    const hold = window
      ? {
          switchAt: nextOpening(window, this.now(), this.o.timeZone),
          window: { ...window, timeZone: this.o.timeZone },
        }
      : {};
    this.report(rollout, m.version, 'installed', undefined, undefined, hold);
    this.o.log.info(
      { rollout, version: m.version, ...hold, urgent: m.urgent === true },
      window
        ? `software update staged; switching in the maintenance window ${describeWindow(window, this.o.timeZone)} when no payment is open`
        : 'software update staged; switching when no payment is open',
    );
    this.track(this.switchWhenIdle(rollout, m.version, window));
    return reply('accepted', { state: 'installed' });
  }

  /**
   * The new release: its tar rebuilt from the delta the push offers (checked by the tar's
   * signed SHA-256 and size), else the full bundle, also when anything about the delta
   * goes wrong.
   */
  private async fetchRelease(
    rollout: number,
    m: ReleaseManifest,
    delta: DeltaOffer | undefined,
  ): Promise<{ file: string; tar: boolean }> {
    if (delta) {
      const patch = join(this.slots.releases, `${m.version}.delta.download`);
      const out = join(this.slots.releases, `${m.version}.tar.download`);
      try {
        await this.download(delta, patch, 'delta');
        await rebuildFromDelta({ kept: this.slots.keptBundle(this.o.version), patch, out, offer: delta });
        return { file: out, tar: true };
      } catch (err) {
        if (this.stopped) throw err;
        const why = `delta from ${delta.from} not used (${(err as Error).message}): downloading the full bundle`;
        this.o.log.warn({ rollout, version: m.version }, why);
        this.report(rollout, m.version, 'downloading', why);
      } finally {
        rmSync(patch, { force: true });
      }
    }
    return {
      file: await this.download(m, join(this.slots.releases, `${m.version}.tar.gz.download`), 'bundle'),
      tar: false,
    };
  }

  /** Keeps what a version came in, as the next update's delta reference (pruned with the version). */
  private async keepReference(
    got: { file: string; tar: boolean },
    version: string,
    offline: boolean,
  ): Promise<void> {
    const kept = this.slots.keptBundle(version);
    try {
      if (got.tar) await keepTar(got.file, kept);
      else if (offline) copyFileSync(got.file, kept);
      else renameSync(got.file, kept);
    } catch (err) {
      // not a reason to refuse the update: the next one comes whole
      rmSync(kept, { force: true });
      this.o.log.warn({ version, err: (err as Error).message }, 'bundle not kept for a delta update');
    }
  }

  /** Streams a bundle or a delta to disk, counting and hashing it against the signed push. */
  private async download(
    signed: Signed & { url: string },
    file: string,
    what: 'bundle' | 'delta',
  ): Promise<string> {
    this.slots.sweep();
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.o.downloadTimeoutMs)]);
    let res: Response;
    try {
      res = await fetch(signed.url, { signal });
    } catch (err) {
      throw new Refused(`download failed: ${(err as Error).message}`);
    }
    if (!res.ok || !res.body) throw new Refused(`download failed: HTTP ${res.status}`);
    const digest = digestCheck(signed, what);
    mkdirSync(this.slots.releases, { recursive: true });
    try {
      await pipeline(Readable.fromWeb(res.body as ReadableStream), digest.stream, createWriteStream(file));
      digest.check();
    } catch (err) {
      rmSync(file, { force: true });
      throw err instanceof DigestMismatch ? err : new Refused(`download failed: ${(err as Error).message}`);
    }
    return file;
  }

  /** The new version reads this store's config (same file, same env) before it may run. */
  private checkConfig(version: string): void {
    if (!this.o.configFile) return;
    const r = spawnSync(
      join(this.slots.releaseDir(version), 'bin/storeedge'),
      ['--check-config', '--config', this.o.configFile],
      { encoding: 'utf8', timeout: 60_000 },
    );
    if (r.status !== 0)
      throw new Refused(
        `${version} refuses this store's config: ${(r.stderr || r.stdout).trim().slice(0, 300)}`,
      );
  }

  /** Switches at the first check inside the window (if any) with no payment open. */
  private async switchWhenIdle(rollout: number, version: string, window?: MaintenanceWindow): Promise<void> {
    this.window = window ?? null;
    const due = () => {
      const now = this.now();
      if (window && !inWindow(window, now, this.o.timeZone)) {
        this.phase = 'waiting for the maintenance window';
        return false;
      }
      this.phase = 'waiting for no payment open';
      return paymentsInFlight(this.o.db(), now) === 0;
    };
    while (!this.stopped && !due()) {
      await new Promise<void>((r) => this.later(this.o.idleCheckMs, r));
    }
    this.window = null;
    if (this.stopped) return;
    this.report(rollout, version, 'switching', undefined, this.o.version);
    this.slots.switchTo(version, rollout, this.now());
    this.remember((s) => ({ ...s, pending: undefined }));
    this.phase = 'switched';
    this.o.log.info(
      { rollout, from: this.o.version, to: version },
      'software update: restarting on the new version',
    );
    this.o.restart(`software update to ${version}`);
  }

  private keep(trial: Trial): void {
    this.slots.commit();
    this.phase = 'idle';
    this.report(trial.rollout, trial.version, 'healthy', undefined, trial.from);
    const removed = this.slots.prune();
    this.o.log.info({ ...trial, removed }, `software ${trial.version} stayed up: kept`);
    const next = this.state().pending;
    if (next) void this.install(next.rollout, next.body, next.local);
  }

  private report(
    rollout: number,
    version: string,
    state: SoftwareState,
    reason?: string,
    from?: string,
    hold: Pick<SoftwareReport, 'switchAt' | 'window'> = {},
  ): void {
    reportSoftware(this.o.db(), { rollout, version, state, reason, from, ...hold }, this.now());
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private track(p: Promise<void>): void {
    p.catch((err) => this.o.log.error({ err: (err as Error).message }, 'software switch failed'));
  }

  private statePath(): string {
    return join(this.o.dir, 'update-state.json');
  }

  private state(): UpdaterState {
    try {
      const s = JSON.parse(readFileSync(this.statePath(), 'utf8')) as Partial<UpdaterState>;
      return { lastRollout: s.lastRollout ?? 0, refused: s.refused ?? [], pending: s.pending };
    } catch {
      return { lastRollout: 0, refused: [] };
    }
  }

  private remember(change: (s: UpdaterState) => UpdaterState): void {
    const path = this.statePath();
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(change(this.state())));
    renameSync(tmp, path);
  }
}
