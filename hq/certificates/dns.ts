// Where HQ writes the TXT record of an ACME DNS-01 challenge in the chain's zone. One
// interface, one implementation per kind of DNS: pebble's challenge test server (its
// management API, for the tests and a lab), and a hook command for everything else
// (the chain's DNS provider's CLI, nsupdate for RFC 2136, a provider's API script), the
// way certbot's manual hooks and acme.sh's dns hooks are used.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export interface DnsProvider {
  /** publish `value` as a TXT record at `fqdn` (`_acme-challenge.<host>.`), visible to the CA when it resolves */
  setTxt(fqdn: string, value: string): Promise<void>;
  clearTxt(fqdn: string, value: string): Promise<void>;
}

export type DnsConfig =
  | { provider: 'challtestsrv'; url: string }
  | { provider: 'exec'; command: string; timeoutSeconds: number };

/** pebble-challtestsrv: POST /set-txt {host, value}, POST /clear-txt {host} */
export class ChalltestsrvDns implements DnsProvider {
  constructor(private readonly url: string) {}
  private async post(path: string, body: unknown): Promise<void> {
    const r = await fetch(new URL(path, this.url), {
      method: 'POST',
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    if (!r.ok) throw new Error(`DNS ${path}: HTTP ${r.status}`);
  }
  setTxt(fqdn: string, value: string): Promise<void> {
    return this.post('/set-txt', { host: fqdn, value });
  }
  clearTxt(fqdn: string): Promise<void> {
    return this.post('/clear-txt', { host: fqdn });
  }
}

const run = promisify(execFile);

/** `<command> set|clear <fqdn> <value>`; exit 0 once the record is published (and propagated). */
export class ExecDns implements DnsProvider {
  constructor(
    private readonly command: string,
    private readonly timeoutMs: number,
  ) {}
  private async call(op: 'set' | 'clear', fqdn: string, value: string): Promise<void> {
    try {
      await run(this.command, [op, fqdn, value], { timeout: this.timeoutMs });
    } catch (err) {
      const e = err as Error & { stderr?: string };
      throw new Error(`DNS hook ${op} ${fqdn} failed: ${(e.stderr || e.message).trim().slice(0, 500)}`);
    }
  }
  setTxt(fqdn: string, value: string): Promise<void> {
    return this.call('set', fqdn, value);
  }
  clearTxt(fqdn: string, value: string): Promise<void> {
    return this.call('clear', fqdn, value);
  }
}

export function dnsProvider(c: DnsConfig): DnsProvider {
  return c.provider === 'challtestsrv'
    ? new ChalltestsrvDns(c.url)
    : new ExecDns(c.command, c.timeoutSeconds * 1000);
}
