// The store's TLS keys, made on the box: a P-256 key, the CSR HQ turns into a publicly
// trusted certificate, and the self-signed certificate the box serves until then (TLS
// from the first start, even before HQ was ever reached). @peculiar/x509 writes the
// ASN.1; Node's WebCrypto signs.
// tsyringe inside @peculiar/x509 needs the Reflect metadata API, which this polyfills
import 'reflect-metadata';
import { createPublicKey, generateKeyPairSync, type KeyObject, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
// @peculiar/x509 is typed against the DOM's Crypto; Node's WebCrypto is that object
type X509Crypto = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[1];
const crypto = webcrypto as unknown as NonNullable<X509Crypto>;

export function newKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
}

export const keyPem = (k: KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }).toString();

type Keys = Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]['keys'];

async function cryptoKeys(key: KeyObject): Promise<Keys> {
  const subtle = crypto.subtle;
  const privateKey = await subtle.importKey(
    'pkcs8',
    key.export({ type: 'pkcs8', format: 'der' }),
    ALG,
    true,
    ['sign'],
  );
  const publicKey = await subtle.importKey(
    'spki',
    createPublicKey(key).export({ type: 'spki', format: 'der' }),
    ALG,
    true,
    ['verify'],
  );
  return { privateKey, publicKey } as unknown as Keys;
}

/** A PKCS#10 request for exactly this hostname (CN and the one DNS name). */
export async function csrFor(hostname: string, key: KeyObject): Promise<string> {
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    {
      name: `CN=${hostname}`,
      keys: await cryptoKeys(key),
      signingAlgorithm: ALG,
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: hostname }])],
    },
    crypto,
  );
  return csr.toString('pem');
}

/** A self-signed certificate for the hostname and loopback, valid `days` from now. */
export async function selfSigned(
  hostname: string,
  key: KeyObject,
  now: number,
  days: number,
): Promise<string> {
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
        .toString('hex')
        .replace(/^[89a-f]/, '1'),
      name: `CN=${hostname}, O=storeedge self-signed`,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + days * 86_400_000),
      keys: await cryptoKeys(key),
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([
          { type: 'dns', value: hostname },
          { type: 'ip', value: '127.0.0.1' },
        ]),
      ],
    },
    crypto,
  );
  return cert.toString('pem');
}
