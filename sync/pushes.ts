// HQ → store pushes: catalog, promotions, coupon campaigns and coupon keys. Each push is
// checked in order: well-formed envelope, HQ's signature, a version newer than the one
// applied, the dataset's own schema; then applied in one transaction by the domain's
// dataset functions. Anything wrong rejects the push whole and the last good version
// stays. The result is recorded in the outbox (so HQ learns it even after an outage)
// and returned for the reply.
import type { KeyObject } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import {
  applyCatalog,
  applyCouponCampaigns,
  applyPromotions,
  DatasetError,
} from '../edge/catalog/dataset.js';
import { setHqKeys } from '../edge/coupons/codes.js';
import type { Db } from '../edge/db/open.js';
import { appendOutbox } from '../edge/db/outbox.js';
import { type SignedPush, verifyPush } from './signing.js';
import { appliedVersion, writeSyncState } from './state.js';

export const PUSHABLE = ['catalog', 'promotions', 'coupon_campaigns', 'coupon_keys', 'config'] as const;
export type Pushable = (typeof PUSHABLE)[number];

export interface PushResult {
  dataset: string;
  version: number | null;
  status: 'applied' | 'unchanged' | 'rejected';
  problems?: string[];
  counts?: Record<string, number>;
  /** config pushes take effect when the daemon next starts */
  restartRequired?: boolean;
  /** certificate pushes: the certificate now served */
  certificate?: Record<string, unknown>;
  /** model pushes: the model now in service */
  model?: Record<string, unknown>;
}

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

function envelope(name: string, doc: unknown): SignedPush | string {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return 'push must be a JSON object';
  const p = doc as Partial<SignedPush>;
  if (p.dataset !== name) return `push for "${String(p.dataset)}" arrived on the "${name}" topic`;
  if (!Number.isSafeInteger(p.version) || (p.version as number) < 1)
    return '/version: must be a positive integer';
  if (!Number.isSafeInteger(p.issuedAt)) return '/issuedAt: must be a timestamp in ms';
  if (typeof p.sig !== 'string') return '/sig: signature missing';
  if (p.body === undefined) return '/body: missing';
  return p as SignedPush;
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

/** A push's envelope and HQ's signature, checked; the rejection to record otherwise. */
export function openPush(name: string, doc: unknown, hqKey: KeyObject | null): SignedPush | PushResult {
  const p = envelope(name, doc);
  if (typeof p === 'string') return { dataset: name, version: null, status: 'rejected', problems: [p] };
  if (!hqKey)
    return {
      dataset: name,
      version: p.version,
      status: 'rejected',
      problems: ['no HQ signing key configured (security.hqSigningPublicKey)'],
    };
  if (!verifyPush(hqKey, p))
    return {
      dataset: name,
      version: p.version,
      status: 'rejected',
      problems: ['signature does not verify: not from HQ, or altered'],
    };
  return p;
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
