// HQ signs every push with Ed25519 over the canonical JSON of what it says (keys sorted,
// no whitespace), so a store can tell HQ's pushes from anyone else's on the broker.

import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

/** A public key from PEM or from base64 SPKI DER (config security.hqSigningPublicKey). */
export function hqPublicKey(text: string): KeyObject {
  const key = text.includes('BEGIN')
    ? createPublicKey(text)
    : createPublicKey({ key: Buffer.from(text, 'base64'), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('HQ signing key must be Ed25519');
  return key;
}

export function hqPrivateKey(pem: string): KeyObject {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('HQ signing key must be Ed25519');
  return key;
}

export interface SignedPush {
  dataset: string;
  version: number;
  issuedAt: number;
  body: unknown;
  /** base64 Ed25519 signature over canonicalJson({dataset, version, issuedAt, body}) */
  sig: string;
}

export function signPush(key: KeyObject, p: Omit<SignedPush, 'sig'>): SignedPush {
  const msg = Buffer.from(
    canonicalJson({ dataset: p.dataset, version: p.version, issuedAt: p.issuedAt, body: p.body }),
  );
  return { ...p, sig: sign(null, msg, key).toString('base64') };
}

export function verifyPush(key: KeyObject, p: SignedPush): boolean {
  const msg = Buffer.from(
    canonicalJson({ dataset: p.dataset, version: p.version, issuedAt: p.issuedAt, body: p.body }),
  );
  try {
    return verify(null, msg, key, Buffer.from(p.sig, 'base64'));
  } catch {
    return false;
  }
}
