// HQ's dataset pushes: catalog, promotions, coupon campaigns, coupon keys and config.
// Each push is checked in order: well-formed envelope, HQ's signature, a version newer
// than the one applied, the dataset's own schema; then applied in one transaction by the
// domain's dataset functions. Anything wrong rejects the push whole and the last good
// version stays. The result is recorded in the outbox (so HQ learns it even after an
// outage) and returned for the reply.
import type { KeyObject } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { openPush, PUSHABLE, type PushResult } from '../../../sync/pushes.js';
import { applyCatalog, applyCouponCampaigns, applyPromotions, DatasetError } from '../../catalog/dataset.js';
import { setHqKeys } from '../../coupons/codes.js';
import type { Db } from '../../db/open.js';
import type { CommandContext, SyncExtension } from '../commands.js';
import { appliedVersion, writeSyncState } from '../state.js';
import { notNewer, recordPush } from './record.js';

/** What a config push needs from the composition root. */
export interface ConfigTarget {
  /** problems of the config with this overlay, none when it is valid */
  check(body: unknown): string[];
  /** where the overlay is kept (next to the database) */
  path: string;
}

function configPush(
  db: Db,
  version: number,
  body: unknown,
  target: ConfigTarget | undefined,
  now: number,
): PushResult {
  if (!target)
    return {
      dataset: 'config',
      version,
      status: 'rejected',
      problems: ['this store takes no config pushes'],
    };
  const stale = notNewer('config', version, appliedVersion(db, 'config'));
  if (stale) return stale.status === 'unchanged' ? { ...stale, restartRequired: false } : stale;
  const problems = target.check(body);
  if (problems.length) return { dataset: 'config', version, status: 'rejected', problems };
  // written whole or not at all: a crash mid-write leaves the previous overlay
  const tmp = `${target.path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ version, body }, null, 2), { mode: 0o600 });
  renameSync(tmp, target.path);
  writeSyncState(db, 'config', { version }, now);
  return { dataset: 'config', version, status: 'applied', restartRequired: true };
}

function couponKeys(db: Db, version: number, body: unknown, now: number): PushResult {
  const keys = (body as { keys?: unknown })?.keys;
  if (
    !Array.isArray(keys) ||
    keys.length === 0 ||
    keys.some((k) => typeof k?.kid !== 'string' || typeof k?.publicKeyBase64 !== 'string')
  )
    return {
      dataset: 'coupon_keys',
      version,
      status: 'rejected',
      problems: ['/body/keys: a list of {kid, publicKeyBase64}'],
    };
  return db
    .transaction((): PushResult => {
      const stale = notNewer('coupon_keys', version, appliedVersion(db, 'coupon_keys'));
      if (stale) return stale;
      setHqKeys(db, keys as { kid: string; publicKeyBase64: string }[], now);
      writeSyncState(db, 'coupon_keys', { version }, now);
      return { dataset: 'coupon_keys', version, status: 'applied', counts: { keys: keys.length } };
    })
    .immediate();
}

export function applyPush(
  db: Db,
  name: string,
  doc: unknown,
  hqKey: KeyObject | null,
  now: number,
  config?: ConfigTarget,
): PushResult {
  const result = ((): PushResult => {
    if (!(PUSHABLE as readonly string[]).includes(name))
      return { dataset: name, version: null, status: 'rejected', problems: [`unknown dataset "${name}"`] };
    const p = openPush(name, doc, hqKey);
    if ('status' in p) return p;
    if (name === 'config') return configPush(db, p.version, p.body, config, now);
    if (name === 'coupon_keys') {
      try {
        return couponKeys(db, p.version, p.body, now);
      } catch (e) {
        return { dataset: name, version: p.version, status: 'rejected', problems: [(e as Error).message] };
      }
    }
    if ((p.body as { version?: unknown })?.version !== p.version)
      return {
        dataset: name,
        version: p.version,
        status: 'rejected',
        problems: ['/body/version: must equal the push version'],
      };
    const apply =
      name === 'catalog' ? applyCatalog : name === 'promotions' ? applyPromotions : applyCouponCampaigns;
    try {
      const r = apply(db, p.body, { source: 'hq', now });
      return {
        dataset: name,
        version: p.version,
        status: r.changed ? 'applied' : 'unchanged',
        counts: r.counts,
      };
    } catch (e) {
      if (e instanceof DatasetError)
        return { dataset: name, version: p.version, status: 'rejected', problems: e.problems };
      throw e;
    }
  })();
  recordPush(db, result, now);
  return result;
}

/** The dataset and config pushes, one handler per dataset name. */
export function datasetPushes(c: CommandContext, config?: ConfigTarget): SyncExtension {
  return {
    start(commands) {
      for (const name of PUSHABLE)
        commands.onCommand(name, (body) => {
          const result = applyPush(c.db(), name, body, c.hqKey, Date.now(), config);
          c.log[result.status === 'rejected' ? 'warn' : 'info']({ ...result }, `HQ push ${result.status}`);
          return result;
        });
    },
  };
}
