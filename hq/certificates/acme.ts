// HQ's ACME client (RFC 8555, acme-client): one account for the chain, kept beside HQ's
// config, and a certificate for a store's CSR through a DNS-01 challenge in the chain's
// zone. The store needs no inbound internet and never shows HQ its key: HQ sees the CSR,
// checks that it names exactly the store's hostname, and asks the CA.

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import * as acme from 'acme-client';
import type { DnsProvider } from './dns.js';

export interface AcmeOptions {
  directoryUrl: string;
  /** contact for the CA (mailto:…) */
  contact: string;
  /** where the account key is kept (0600) */
  dir: string;
  /** PEM CA of the ACME server's own HTTPS (a private or test CA); absent: the system's roots */
  caFile?: string | undefined;
  dns: DnsProvider;
}

export class CsrError extends Error {}

/** The names a CSR asks for, refused unless they are exactly the store's hostname. */
export function checkCsr(csrPem: string, hostname: string): void {
  let names: { commonName: string | null; altNames: string[] };
  try {
    names = acme.crypto.readCsrDomains(csrPem);
  } catch (e) {
    throw new CsrError(`CSR unreadable: ${(e as Error).message}`);
  }
  const asked = new Set(
    [...(names.commonName ? [names.commonName] : []), ...names.altNames].map((n) => n.toLowerCase()),
  );
  if (asked.size !== 1 || !asked.has(hostname))
    throw new CsrError(
      `CSR asks for ${[...asked].join(', ') || 'no name'}, this store may have only ${hostname}`,
    );
}

export class AcmeIssuer {
  private client: acme.Client | null = null;

  constructor(private readonly o: AcmeOptions) {
    // the library's one HTTP client: trust a private ACME server's CA where one is named
    if (o.caFile) acme.axios.defaults.httpsAgent = new Agent({ ca: readFileSync(o.caFile) });
  }

  private async account(): Promise<acme.Client> {
    if (this.client) return this.client;
    mkdirSync(this.o.dir, { recursive: true, mode: 0o700 });
    const file = join(this.o.dir, 'acme-account.key');
    if (!existsSync(file)) {
      const key = await acme.crypto.createPrivateEcdsaKey('P-256');
      writeFileSync(`${file}.tmp`, key, { mode: 0o600 });
      renameSync(`${file}.tmp`, file);
    }
    this.client = new acme.Client({ directoryUrl: this.o.directoryUrl, accountKey: readFileSync(file) });
    await this.client.createAccount({ termsOfServiceAgreed: true, contact: [this.o.contact] });
    return this.client;
  }

  /** The PEM chain (leaf first) the CA issues for this CSR, after checking its name. */
  async issue(csrPem: string, hostname: string): Promise<string> {
    checkCsr(csrPem, hostname);
    const client = await this.account();
    return client.auto({
      csr: csrPem,
      challengePriority: ['dns-01'],
      termsOfServiceAgreed: true,
      // the CA resolves the record itself; the provider returns once it is published
      skipChallengeVerification: true,
      challengeCreateFn: async (authz, challenge, keyAuthorization) => {
        if (challenge.type !== 'dns-01') throw new Error(`only dns-01 is answered, not ${challenge.type}`);
        await this.o.dns.setTxt(`_acme-challenge.${authz.identifier.value}.`, keyAuthorization);
      },
      challengeRemoveFn: async (authz, _challenge, keyAuthorization) => {
        await this.o.dns.clearTxt(`_acme-challenge.${authz.identifier.value}.`, keyAuthorization);
      },
    });
  }
}
