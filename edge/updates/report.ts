// What a store says of a software push, step by step: a software.status event in the
// outbox, so HQ learns each step whatever outages lie between (its rollouts count them).
import type { Db } from '../db/open.js';
import { appendOutbox } from '../db/outbox.js';
import { validVersion } from './slots.js';

/** The version a software push names, as reported back ('?' when it names none that is valid). */
export function versionOf(body: unknown): string {
  const v = (body as { version?: unknown } | null)?.version;
  return validVersion(v) ? v : '?';
}

export type SoftwareState =
  | 'downloading'
  | 'installed'
  | 'switching'
  | 'healthy'
  | 'rolled_back'
  | 'rejected';

/**
 * A step of a software update, as a software.status event in the outbox; a final step
 * also as the push's result (push.applied / push.rejected for dataset software), in the
 * same transaction.
 */
export interface SoftwareReport {
  rollout: number;
  version: string;
  state: SoftwareState;
  reason?: string | undefined;
  from?: string | undefined;
  /** staged and held for a maintenance window: when it next opens (ms) */
  switchAt?: number | undefined;
  window?: { from: string; to: string; timeZone: string } | undefined;
}

export function reportSoftware(db: Db, r: SoftwareReport, now: number): void {
  const { rollout, version, state, reason, from, switchAt, window } = r;
  db.transaction(() => {
    appendOutbox(
      db,
      {
        type: 'software.status',
        class: 'state',
        payload: {
          rollout,
          version,
          state,
          ...(reason ? { reason } : {}),
          ...(from ? { from } : {}),
          ...(switchAt !== undefined ? { switchAt } : {}),
          ...(window ? { window } : {}),
        },
      },
      now,
    );
    if (state === 'healthy' || state === 'rolled_back' || state === 'rejected')
      appendOutbox(
        db,
        {
          type: state === 'healthy' ? 'push.applied' : 'push.rejected',
          class: 'state',
          payload:
            state === 'healthy'
              ? { dataset: 'software', version: rollout, status: 'applied' }
              : { dataset: 'software', version: rollout, status: 'rejected', problems: [reason ?? state] },
        },
        now,
      );
  })();
}
