// HQ → store pushes as the wire carries them: which datasets there are, the signed
// envelope (well-formed, HQ's signature) and the result a store answers and records.
// Applying them is the store's (edge/sync/pushes/).
import type { KeyObject } from 'node:crypto';
import { type SignedPush, verifyPush } from './signing.js';

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
