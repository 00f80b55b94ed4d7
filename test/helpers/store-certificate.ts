// A publicly-trusted-style certificate for a test store, the way the chain gets one:
// HQ's ACME client (acme-client) orders it from pebble through a DNS-01 challenge in
// pebble's test DNS. The files are what a store's tls.certFile / keyFile / trustedRootsFile
// name; the SPKI hash is what Chromium is told to trust, as a phone trusts a public CA.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { csrFor, keyPem, newKey } from '../../edge/tls/keys.js';
import { AcmeIssuer } from '../../hq/certificates/acme.js';
import { ChalltestsrvDns, type DnsProvider } from '../../hq/certificates/dns.js';
import type { Pebble } from './pebble.js';

/** HQ's ACME client against this pebble, with a fresh account; DNS-01 through pebble's test DNS unless told otherwise. */
export function pebbleIssuer(
  pebble: Pebble,
  dns: DnsProvider = new ChalltestsrvDns(pebble.dnsManagementUrl),
): AcmeIssuer {
  return new AcmeIssuer({
    directoryUrl: pebble.directoryUrl,
    contact: 'mailto:ops@example.test',
    dir: mkdtempSync(join(tmpdir(), 'storeedge-acme-')),
    caFile: pebble.apiCaFile,
    dns,
  });
}

export interface StoreCertificateFiles {
  certFile: string;
  keyFile: string;
  rootsFile: string;
  spki: string;
  /** the YAML a store config takes */
  yaml: string;
}

export async function issueStoreCertificate(
  pebble: Pebble,
  hostname: string,
): Promise<StoreCertificateFiles> {
  const dir = mkdtempSync(join(tmpdir(), 'storeedge-cert-'));
  const key = newKey();
  const chain = await pebbleIssuer(pebble).issue(await csrFor(hostname, key), hostname);
  const files = {
    certFile: join(dir, 'cert.pem'),
    keyFile: join(dir, 'key.pem'),
    rootsFile: join(dir, 'roots.pem'),
  };
  writeFileSync(files.certFile, chain);
  writeFileSync(files.keyFile, keyPem(key), { mode: 0o600 });
  writeFileSync(files.rootsFile, await pebble.rootPem());
  return {
    ...files,
    spki: await pebble.caSpki(),
    yaml: `tls: { hostname: ${hostname}, certFile: ${files.certFile}, keyFile: ${files.keyFile}, trustedRootsFile: ${files.rootsFile} }\n`,
  };
}
