// Debian's pebble (an RFC 8555 ACME test server) with its challenge test server as the
// DNS it asks for DNS-01 TXT records, both on free loopback ports. Pebble makes a fresh
// root and intermediate at each start; `rootPem()` reads the root from its management
// port so a test can trust exactly that root (Node, Chromium's SPKI flag). Throws (the
// suite fails) when pebble is missing: tests never skip a real part.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePki } from './certs.js';
import { freePort, waitFor } from './ports.js';

export interface Pebble {
  /** the ACME directory URL */
  directoryUrl: string;
  /** the CA file that signs pebble's own HTTPS listener (not the certificates it issues) */
  apiCaFile: string;
  /** pebble-challtestsrv's management API (set-txt / clear-txt) */
  dnsManagementUrl: string;
  /** the root that signs what pebble issues (PEM), fetched from its management port */
  rootPem(): Promise<string>;
  /** base64 SHA-256 of the SubjectPublicKeyInfo of pebble's root and intermediate, comma-separated,
   * for --ignore-certificate-errors-spki-list (Chromium matches it against the chain the server
   * sends, which stops at the intermediate: a CA's root is never sent) */
  caSpki(): Promise<string>;
  stop(): Promise<void>;
  log(): string;
}

const BIN = '/usr/bin/pebble';
const DNS_BIN = '/usr/bin/pebble-challtestsrv';

function spawnLogged(bin: string, args: string[], env: NodeJS.ProcessEnv, out: { text: string }) {
  const p = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  p.stdout?.on('data', (d) => (out.text = (out.text + d).slice(-20_000)));
  p.stderr?.on('data', (d) => (out.text = (out.text + d).slice(-20_000)));
  return p;
}

function get(url: string, agent: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/** validitySeconds: the lifetime of what pebble issues (its default is five years). */
export async function startPebble(opts: { validitySeconds?: number } = {}): Promise<Pebble> {
  if (!existsSync(BIN) || !existsSync(DNS_BIN))
    throw new Error('pebble is not installed: run test/setup/system-deps.sh');
  const dir = mkdtempSync(join(tmpdir(), 'storeedge-pebble-'));
  const pki = makePki();
  const [acmePort, mgmtPort, dnsPort, dnsMgmtPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const config = join(dir, 'pebble.json');
  writeFileSync(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${mgmtPort}`,
        certificate: pki.serverCert,
        privateKey: pki.serverKey,
        // no HTTP-01 or TLS-ALPN-01 here: only DNS-01 is used, and these ports stay unbound
        httpPort: 1,
        tlsPort: 1,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
        ...(opts.validitySeconds ? { certificateValidityPeriod: opts.validitySeconds } : {}),
      },
    }),
  );
  const out = { text: '' };
  const procs: ChildProcess[] = [];
  const dns = spawnLogged(
    DNS_BIN,
    [
      '-dns01',
      `127.0.0.1:${dnsPort}`,
      '-management',
      `127.0.0.1:${dnsMgmtPort}`,
      '-http01',
      '',
      '-https01',
      '',
      '-tlsalpn01',
      '',
      '-defaultIPv6',
      '',
    ],
    {},
    out,
  );
  procs.push(dns);
  // no random waits before validation; a real CA's occasional badNonce stays on (the client retries)
  const acme = spawnLogged(
    BIN,
    ['-config', config, '-dnsserver', `127.0.0.1:${dnsPort}`],
    { PEBBLE_VA_NOSLEEP: '1', PEBBLE_AUTHZREUSE: '0' },
    out,
  );
  procs.push(acme);
  const agent = new Agent({ ca: readFileSync(pki.ca) });
  const stop = async () => {
    agent.destroy();
    await Promise.all(
      procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve();
            p.once('exit', () => resolve());
            p.kill('SIGTERM');
          }),
      ),
    );
  };
  try {
    await waitFor(
      'pebble and its DNS',
      async () => {
        for (const p of procs) if (p.exitCode !== null) throw new Error(`exited: ${out.text}`);
        const d = await get(`https://127.0.0.1:${acmePort}/dir`, agent);
        const r = await fetch(`http://127.0.0.1:${dnsMgmtPort}/clear-txt`, {
          method: 'POST',
          body: JSON.stringify({ host: 'probe.invalid.' }),
        });
        return d.status === 200 && r.ok ? true : undefined;
      },
      15_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  const rootPem = async () => {
    const r = await get(`https://127.0.0.1:${mgmtPort}/roots/0`, agent);
    if (r.status !== 200) throw new Error(`pebble root: ${r.status}`);
    return r.body;
  };
  return {
    directoryUrl: `https://127.0.0.1:${acmePort}/dir`,
    apiCaFile: pki.ca,
    dnsManagementUrl: `http://127.0.0.1:${dnsMgmtPort}`,
    rootPem,
    caSpki: async () => {
      const mid = await get(`https://127.0.0.1:${mgmtPort}/intermediates/0`, agent);
      if (mid.status !== 200) throw new Error(`pebble intermediate: ${mid.status}`);
      return `${spkiHash(await rootPem())},${spkiHash(mid.body)}`;
    },
    stop,
    log: () => out.text,
  };
}

/** base64 SHA-256 of a certificate's SubjectPublicKeyInfo (what Chromium's SPKI list holds). */
export function spkiHash(pem: string): string {
  const der = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

/** HQ's `certificates:` settings (YAML) for ordering from this pebble; `extra` are more lines of it. */
export function hqCertificatesYaml(p: Pebble, extra: Record<string, number> = {}): string {
  return [
    'certificates:',
    '  enabled: true',
    '  zone: stores.example.test',
    `  directoryUrl: ${p.directoryUrl}`,
    `  caFile: ${p.apiCaFile}`,
    `  dns: { provider: challtestsrv, url: "${p.dnsManagementUrl}" }`,
    ...Object.entries(extra).map(([k, v]) => `  ${k}: ${v}`),
    '',
  ].join('\n');
}
