// MQTT over TLS to a real mosquitto that requires client certificates: the store
// verifies the broker against its CA and presents its own certificate; without the
// certificate, or facing a broker its CA did not sign, it does not connect.
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttLink } from '../../edge/sync/link.js';
import { makePki } from '../helpers/certs.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/ports.js';

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const pki = makePki();
const other = makePki();

async function tlsBroker() {
  const broker = await startMosquitto(
    [
      `cafile ${pki.ca}`,
      `certfile ${pki.serverCert}`,
      `keyfile ${pki.serverKey}`,
      'require_certificate true',
    ].join('\n'),
  );
  cleanup.push(() => broker.stop());
  return `mqtts://127.0.0.1:${broker.port}`;
}

function link(url: string, tls: { caFile?: string; certFile?: string; keyFile?: string }) {
  const l = new MqttLink({
    url,
    clientId: `tls-${Math.random().toString(36).slice(2)}`,
    keepaliveSeconds: 5,
    tls: { ...tls, rejectUnauthorized: true },
    will: { topic: 't/state', payload: '{"online":false}' },
    birth: () => ({ topic: 't/state', payload: '{"online":true}' }),
    subscriptions: [],
    log: pino({ level: 'silent' }),
    backoff: { baseMs: 200, capMs: 1000 },
  });
  l.start();
  cleanup.push(() => l.stop());
  return l;
}

describe('MQTT over TLS', () => {
  it('connects with the store CA and its client certificate', async () => {
    const url = await tlsBroker();
    const l = link(url, { caFile: pki.ca, certFile: pki.clientCert, keyFile: pki.clientKey });
    await waitFor('up over TLS', () => (l.connected ? true : undefined), 8000);
  });

  it('does not connect without a client certificate, nor to a broker its CA did not sign', async () => {
    const url = await tlsBroker();
    const noCert = link(url, { caFile: pki.ca });
    const wrongCa = link(url, { caFile: other.ca, certFile: pki.clientCert, keyFile: pki.clientKey });
    await new Promise((r) => setTimeout(r, 2500));
    expect(noCert.connected).toBe(false);
    expect(wrongCa.connected).toBe(false);
    expect(wrongCa.lastError ?? '').toMatch(/certificate|self.signed|verify/i);
  });
});
