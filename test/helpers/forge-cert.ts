// Certificates a test makes by hand to attack the store's certificate push: signed by a
// CA the test owns (and the store trusts, or not), for any name, key and dates.
import 'reflect-metadata';
import { createPrivateKey, createPublicKey, type KeyObject, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as x509 from '@peculiar/x509';

type X509Crypto = Parameters<typeof x509.X509CertificateGenerator.create>[1];
const crypto = webcrypto as unknown as NonNullable<X509Crypto>;
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

async function importKey(key: KeyObject, usage: 'sign' | 'verify') {
  const subtle = webcrypto.subtle;
  return usage === 'sign'
    ? subtle.importKey('pkcs8', key.export({ type: 'pkcs8', format: 'der' }), ALG, true, ['sign'])
    : subtle.importKey(
        'spki',
        (key.type === 'public' ? key : createPublicKey(key)).export({ type: 'spki', format: 'der' }),
        ALG,
        true,
        ['verify'],
      );
}

export interface ForgeSpec {
  /** the CA's certificate and key files (test/helpers/certs.ts makes them) */
  caCertFile: string;
  caKeyFile: string;
  hostname: string;
  /** whose key the certificate is for */
  subjectKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
}

/** A PEM chain: the leaf and the CA certificate above it. */
export async function forgeCertificate(s: ForgeSpec): Promise<string> {
  const caPem = readFileSync(s.caCertFile, 'utf8');
  const ca = new x509.X509Certificate(caPem);
  const leaf = await x509.X509CertificateGenerator.create(
    {
      serialNumber: `01${Date.now().toString(16)}`,
      subject: `CN=${s.hostname}`,
      issuer: ca.subject,
      notBefore: s.notBefore,
      notAfter: s.notAfter,
      signingAlgorithm: ALG,
      publicKey: (await importKey(s.subjectKey, 'verify')) as never,
      signingKey: (await importKey(createPrivateKey(readFileSync(s.caKeyFile)), 'sign')) as never,
      extensions: [
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: s.hostname }]),
      ],
    },
    crypto,
  );
  return `${leaf.toString('pem')}\n${caPem}`;
}

/** The public key a CSR is for. */
export function csrPublicKey(csrPem: string): KeyObject {
  const spki = new x509.Pkcs10CertificateRequest(csrPem).publicKey.rawData;
  return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
}
