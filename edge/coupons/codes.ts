// Signed codes a shopper carries as QR: coupons ("SEC1.") and member cards ("SEM1.").
// Ed25519 signatures let any kiosk check a code offline: the store's own key signs
// what the store issues; HQ's public keys verify what HQ issued.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { DomainError } from '../../sync/kernel/errors.js';
import type { Db } from '../db/open.js';

/** coupon and member codes; offer: a ticket to claim a sale's post-purchase offer later */
export type CodeKind = 'coupon' | 'member' | 'offer';
const PREFIX: Record<CodeKind, string> = { coupon: 'SEC1', member: 'SEM1', offer: 'SEO1' };
const MAX_CODE = 600;

const b64u = (b: Buffer) => b.toString('base64url');

export function looksLikeCode(raw: string, kind: CodeKind): boolean {
  return raw.startsWith(`${PREFIX[kind]}.`);
}

interface KeyRow {
  kid: string;
  owner: 'store' | 'hq';
  public_key: string;
  private_key: string | null;
}

function kidOf(spki: Buffer): string {
  return createHash('sha256').update(spki).digest('hex').slice(0, 16);
}

/** The store's signing key, made on first use and kept in the database. */
export function storeKey(db: Db, now: number): { kid: string; key: KeyObject } {
  const row = db
    .prepare("SELECT * FROM signing_keys WHERE owner = 'store' ORDER BY created_at DESC LIMIT 1")
    .get() as KeyRow | undefined;
  if (row?.private_key) {
    return {
      kid: row.kid,
      key: createPrivateKey({ key: Buffer.from(row.private_key, 'base64'), format: 'der', type: 'pkcs8' }),
    };
  }
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const kid = kidOf(spki);
  db.prepare(
    "INSERT INTO signing_keys (kid, owner, public_key, private_key, created_at) VALUES (?, 'store', ?, ?, ?)",
  ).run(
    kid,
    spki.toString('base64'),
    privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    now,
  );
  return { kid, key: privateKey };
}

/** The store's code key as other stores need it to read its member cards. */
export function publicCodeKey(db: Db, now: number): { kid: string; publicKeyBase64: string } {
  const { kid } = storeKey(db, now);
  const row = db.prepare('SELECT public_key FROM signing_keys WHERE kid = ?').get(kid) as {
    public_key: string;
  };
  return { kid, publicKeyBase64: row.public_key };
}

/** Other stores' code keys HQ vouched for (added to, never replaced: cards stay readable). */
export function addPeerKeys(
  db: Db,
  keys: { storeId: string; kid: string; publicKeyBase64: string }[],
  now: number,
): number {
  return db.transaction(() => {
    let added = 0;
    for (const k of keys) {
      const key = createPublicKey({
        key: Buffer.from(k.publicKeyBase64, 'base64'),
        format: 'der',
        type: 'spki',
      });
      if (key.asymmetricKeyType !== 'ed25519')
        throw new DomainError('invalid', 'KEY_INVALID', `key ${k.kid} is not Ed25519`);
      // never shadow one of this store's or HQ's own keys
      if (db.prepare('SELECT 1 FROM signing_keys WHERE kid = ?').get(k.kid)) continue;
      added += db
        .prepare(
          'INSERT OR IGNORE INTO peer_keys (kid, store_id, public_key, created_at) VALUES (?, ?, ?, ?)',
        )
        .run(k.kid, k.storeId, k.publicKeyBase64, now).changes;
    }
    return added;
  })();
}

/** HQ's verification keys (replaced whole by an HQ push). */
export function setHqKeys(db: Db, keys: { kid: string; publicKeyBase64: string }[], now: number): void {
  db.transaction(() => {
    for (const k of keys) {
      const spki = Buffer.from(k.publicKeyBase64, 'base64');
      const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
      if (key.asymmetricKeyType !== 'ed25519')
        throw new DomainError('invalid', 'KEY_INVALID', `key ${k.kid} is not Ed25519`);
    }
    db.prepare("DELETE FROM signing_keys WHERE owner = 'hq'").run();
    const ins = db.prepare(
      "INSERT INTO signing_keys (kid, owner, public_key, created_at) VALUES (?, 'hq', ?, ?)",
    );
    for (const k of keys) ins.run(k.kid, k.publicKeyBase64, now);
  })();
}

export function signCode(db: Db, kind: CodeKind, payload: Record<string, unknown>, now: number): string {
  const { kid, key } = storeKey(db, now);
  const body = `${PREFIX[kind]}.${b64u(Buffer.from(JSON.stringify({ ...payload, k: kid })))}`;
  return `${body}.${b64u(sign(null, Buffer.from(body), key))}`;
}

const bad = (why: string) => new DomainError('invalid', 'CODE_INVALID', why);

/** A code's payload part as JSON, or undefined when it does not read. */
function payloadOf(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Whether a (verified) code names one of HQ's keys: a chain coupon rather than this store's own. */
export function signedByHq(db: Db, code: string): boolean {
  const kid = (payloadOf(code.split('.')[1] ?? '') as { k?: unknown } | null | undefined)?.k;
  return (
    typeof kid === 'string' &&
    db.prepare("SELECT 1 FROM signing_keys WHERE kid = ? AND owner = 'hq'").get(kid) !== undefined
  );
}

/** Verifies a code's signature against the store's and HQ's keys and returns its payload. */
export function verifyCode(db: Db, raw: string, kind: CodeKind): Record<string, unknown> & { k: string } {
  const code = raw.trim();
  if (code.length > MAX_CODE) throw bad('code too long');
  const parts = code.split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX[kind]) throw bad(`not a ${kind} code`);
  const payload = payloadOf(parts[1]!) as Record<string, unknown> | null | undefined;
  if (payload === undefined) throw bad(`${kind} code payload is not readable`);
  if (!payload || typeof payload !== 'object' || typeof payload.k !== 'string')
    throw bad(`${kind} code names no key`);
  // a member card another store of the chain issued reads with that store's key (HQ vouched for it)
  const row = (db.prepare('SELECT * FROM signing_keys WHERE kid = ?').get(payload.k) ??
    (kind === 'member'
      ? db.prepare('SELECT public_key FROM peer_keys WHERE kid = ?').get(payload.k)
      : undefined)) as Pick<KeyRow, 'public_key'> | undefined;
  if (!row) throw bad(`${kind} code signed by an unknown key`);
  const key = createPublicKey({ key: Buffer.from(row.public_key, 'base64'), format: 'der', type: 'spki' });
  const ok = verify(null, Buffer.from(`${parts[0]}.${parts[1]}`), key, Buffer.from(parts[2]!, 'base64url'));
  if (!ok) throw bad(`${kind} code signature does not verify`);
  return payload as Record<string, unknown> & { k: string };
}
