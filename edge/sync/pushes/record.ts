// What every push handler shares: the version check and recording the outcome.
import type { PushResult } from '../../../sync/pushes.js';
import type { Db } from '../../db/open.js';
import { appendOutbox } from '../../db/outbox.js';

/** The same version again is unchanged; an older one is refused; a newer one goes on (null). */
export function notNewer(dataset: string, version: number, applied: number): PushResult | null {
  if (version === applied) return { dataset, version, status: 'unchanged' };
  if (version < applied)
    return {
      dataset,
      version,
      status: 'rejected',
      problems: [`/version: ${version} is not newer than ${applied}`],
    };
  return null;
}

/** Records a push's outcome in the outbox, so HQ learns it even after an outage. */
export function recordPush(db: Db, result: PushResult, now: number): void {
  db.transaction(() =>
    appendOutbox(
      db,
      { type: `push.${result.status}`, class: 'state', payload: { ...result } as Record<string, unknown> },
      now,
    ),
  )();
}
