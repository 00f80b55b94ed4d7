// What the store checks before it serves a certificate HQ pushed: that the chain parses
// and links up to a root it trusts, that it names the store's hostname, that it is in
// its validity period, and that its key is one the store made (the private key never
// leaves the box: HQ only ever sees the store's CSR). Uses Node's own X.509 parser.
import { createHash, createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';

const PEM_CERT = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----/g;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
/** a chain longer than this is not one a CA sends */
const MAX_CHAIN = 5;
/** a certificate valid from a little in the future is a clock difference, not a forgery */
const CLOCK_SKEW_MS = 5 * 60_000;

export interface CertificateFacts {
  hostname: string;
  subject: string;
  issuer: string;
  serial: string;
  notBefore: number;
  notAfter: number;
  /** SHA-256 of the leaf, as browsers show it */
  fingerprint256: string;
  /** SHA-256 (hex) of the leaf's SubjectPublicKeyInfo: which of the store's keys it is for */
  keySha256: string;
  selfSigned: boolean;
}

export function splitPem(text: string): string[] {
  return text.match(PEM_CERT) ?? [];
}

/** Certificates as one PEM text, leaf first: what a TLS server is given. */
export const joinPem = (blocks: readonly string[]) => `${blocks.join('\n')}\n`;

/** SHA-256 (hex) of a key's public half in SPKI DER form. */
export function keySha256(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256')
    .update(pub.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

export function factsOf(leaf: X509Certificate, hostname: string): CertificateFacts {
  return {
    hostname,
    subject: leaf.subject,
    issuer: leaf.issuer,
    serial: leaf.serialNumber,
    notBefore: Date.parse(leaf.validFrom),
    notAfter: Date.parse(leaf.validTo),
    fingerprint256: leaf.fingerprint256,
    keySha256: keySha256(leaf.publicKey),
    selfSigned: leaf.checkIssued(leaf) && leaf.verify(leaf.publicKey),
  };
}

export interface ChainCheck {
  hostname: string;
  /** the private keys the store holds (current and pending), in that order */
  keys: KeyObject[];
  /** the roots the store trusts (the system's, and any configured for a private CA), parsed once */
  roots: readonly X509Certificate[];
  now: number;
}

export type ChainVerdict =
  | { ok: true; facts: CertificateFacts; key: KeyObject; chain: string[] }
  | { ok: false; problems: string[] };

/** Every reason this chain must not be served; none: the facts and the key it goes with. */
export function checkChain(chainPem: unknown, c: ChainCheck): ChainVerdict {
  if (typeof chainPem !== 'string' || chainPem.length > 64 * 1024)
    return { ok: false, problems: ['/body/chainPem: PEM text of at most 64 KiB'] };
  const blocks = splitPem(chainPem);
  if (!blocks.length) return { ok: false, problems: ['/body/chainPem: no certificate in it'] };
  if (blocks.length > MAX_CHAIN)
    return { ok: false, problems: [`/body/chainPem: ${blocks.length} certificates, at most ${MAX_CHAIN}`] };
  let certs: X509Certificate[];
  try {
    certs = blocks.map((b) => new X509Certificate(b));
  } catch (e) {
    return { ok: false, problems: [`/body/chainPem: not a certificate: ${(e as Error).message}`] };
  }
  const leaf = certs[0]!;
  const problems: string[] = [];
  if (leaf.checkHost(c.hostname, { wildcards: true, subject: 'never' }) === undefined)
    problems.push(`certificate is for ${leaf.subjectAltName ?? leaf.subject}, not ${c.hostname}`);
  const notBefore = Date.parse(leaf.validFrom);
  const notAfter = Date.parse(leaf.validTo);
  if (notAfter <= c.now) problems.push(`certificate expired at ${new Date(notAfter).toISOString()}`);
  if (notBefore > c.now + CLOCK_SKEW_MS)
    problems.push(`certificate is not valid before ${new Date(notBefore).toISOString()}`);
  if (leaf.keyUsage && !leaf.keyUsage.includes(SERVER_AUTH))
    problems.push('certificate is not for TLS servers (no serverAuth usage)');
  const leafKey = keySha256(leaf.publicKey);
  const key = c.keys.find((k) => keySha256(k) === leafKey);
  if (!key) problems.push("certificate's public key matches no key this store made");
  for (let i = 0; i + 1 < certs.length; i++) {
    const [child, parent] = [certs[i]!, certs[i + 1]!];
    if (!parent.ca || !child.checkIssued(parent) || !child.verify(parent.publicKey))
      problems.push(`chain broken: certificate ${i + 1} is not signed by certificate ${i + 2}`);
    if (Date.parse(parent.validTo) <= c.now) problems.push(`chain certificate ${i + 2} expired`);
  }
  const top = certs[certs.length - 1]!;
  const anchored = c.roots.some(
    (root) =>
      root.fingerprint256 === top.fingerprint256 ||
      (root.ca && top.checkIssued(root) && top.verify(root.publicKey)),
  );
  if (!anchored) problems.push('chain does not lead to a root this store trusts');
  if (problems.length || !key) return { ok: false, problems };
  return { ok: true, facts: factsOf(leaf, c.hostname), key, chain: blocks };
}
