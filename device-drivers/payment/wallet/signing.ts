// The signatures and encryption of the wallet's in-app (JSAPI) payment API, modelled on
// WeChat Pay API v3: every message is signed with RSA-SHA256 over its parts, each
// followed by a newline; the merchant signs requests with its key, the gateway signs
// answers and notifications with its own ("platform") key; a notification's resource
// is encrypted with AEAD_AES_256_GCM under the merchant's 32-byte API v3 key, the
// ciphertext carrying its 16-byte tag at the end.
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  createSign,
  createVerify,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';

/** The text a signature covers: each part followed by "\n". */
export const signedText = (parts: readonly string[]) => parts.map((p) => `${p}\n`).join('');

export function signParts(key: KeyObject, parts: readonly string[]): string {
  return createSign('RSA-SHA256').update(signedText(parts)).sign(key, 'base64');
}

export function verifyParts(key: KeyObject, parts: readonly string[], signature: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signature) || signature.length > 1024) return false;
  try {
    return createVerify('RSA-SHA256').update(signedText(parts)).verify(key, signature, 'base64');
  } catch {
    return false;
  }
}

/** A random nonce of letters and digits, as the API's nonce_str. */
export const nonce = () => randomBytes(16).toString('hex').toUpperCase();

export interface EncryptedResource {
  algorithm: 'AEAD_AES_256_GCM';
  ciphertext: string;
  associated_data: string;
  nonce: string;
  original_type: string;
}

export function encryptResource(
  apiV3Key: string,
  plaintext: string,
  associatedData: string,
  originalType = 'transaction',
): EncryptedResource {
  const iv = randomBytes(6).toString('hex'); // 12 characters, used as the GCM nonce's bytes
  const cipher = createCipheriv('aes-256-gcm', keyBytes(apiV3Key), Buffer.from(iv));
  cipher.setAAD(Buffer.from(associatedData));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return {
    algorithm: 'AEAD_AES_256_GCM',
    ciphertext: body.toString('base64'),
    associated_data: associatedData,
    nonce: iv,
    original_type: originalType,
  };
}

/** Decrypts a notification's resource; throws when the tag does not match (tampered, wrong key). */
export function decryptResource(apiV3Key: string, r: EncryptedResource): string {
  if (r.algorithm !== 'AEAD_AES_256_GCM') throw new Error(`unknown algorithm ${String(r.algorithm)}`);
  const body = Buffer.from(String(r.ciphertext), 'base64');
  if (body.length < 17 || typeof r.nonce !== 'string' || r.nonce.length !== 12)
    throw new Error('resource too short or nonce malformed');
  const decipher = createDecipheriv('aes-256-gcm', keyBytes(apiV3Key), Buffer.from(r.nonce));
  decipher.setAAD(Buffer.from(String(r.associated_data ?? '')));
  decipher.setAuthTag(body.subarray(body.length - 16));
  return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString(
    'utf8',
  );
}

function keyBytes(apiV3Key: string): Buffer {
  const k = Buffer.from(apiV3Key, 'utf8');
  if (k.length !== 32) throw new Error('the API v3 key must be 32 bytes');
  return k;
}

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function newRsaKeyPair(): KeyPair {
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}

/** A private key from PEM text, refused unless it is RSA. */
export function rsaPrivateKey(pem: string, what: string): KeyObject {
  const k = createPrivateKey(pem);
  if (k.asymmetricKeyType !== 'rsa') throw new Error(`${what} is not an RSA key`);
  return k;
}

/** A public key from PEM text (a public key or a certificate), refused unless it is RSA. */
export function rsaPublicKey(pem: string, what: string): KeyObject {
  const k = createPublicKey(pem);
  if (k.asymmetricKeyType !== 'rsa') throw new Error(`${what} is not an RSA key`);
  return k;
}
