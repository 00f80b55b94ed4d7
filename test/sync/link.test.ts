// The MQTT link's reconnect policy against a real mosquitto: refused credentials are a
// distinct state retried slowly, not hammered; a broker that comes back is reconnected.
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttLink } from '../../sync/link.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/ports.js';

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function link(url: string, extra: Partial<ConstructorParameters<typeof MqttLink>[0]> = {}) {
  const l = new MqttLink({
    url,
    clientId: 'link-test',
    keepaliveSeconds: 5,
    will: { topic: 't/state', payload: '{"online":false}' },
    birth: () => ({ topic: 't/state', payload: '{"online":true}' }),
    subscriptions: [],
    log: pino({ level: 'silent' }),
    backoff: { baseMs: 100, capMs: 2000 },
    random: () => 0.5,
    ...extra,
  });
  cleanup.push(() => l.stop());
  return l;
}

describe('MQTT link', () => {
  it('a broker refusing our credentials puts the link in "refused" and retries at the slow cap', async () => {
    const broker = await startMosquitto('allow_anonymous false');
    cleanup.push(() => broker.stop());
    const l = link(broker.url, { username: 'store', password: 'wrong' });
    const states: string[] = [];
    l.on('state', (s: string) => states.push(s));
    l.start();
    await waitFor('refused', () => (l.state === 'refused' ? true : undefined), 5000);
    expect(l.lastError).toMatch(/0x8[67]/);
    // the next try waits capMs × random (1 s here), not baseMs
    await new Promise((r) => setTimeout(r, 600));
    expect(l.reconnects).toBe(0);
  });

  it('reconnects by itself when the broker comes back, and says goodbye with the retained offline state', async () => {
    const broker = await startMosquitto();
    cleanup.push(() => broker.stop());
    const l = link(broker.url);
    l.start();
    await waitFor('up', () => (l.connected ? true : undefined), 5000);
    await broker.stop();
    await waitFor('down', () => (l.state !== 'up' ? true : undefined), 5000);
    await broker.start();
    await waitFor('up again', () => (l.connected ? true : undefined), 10_000);
    expect(l.reconnects).toBeGreaterThan(0);
    await l.stop();
    const mqtt = await import('mqtt');
    const c = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    const retained = new Promise<string>((r) => c.on('message', (_t, p) => r(p.toString())));
    await c.subscribeAsync('t/state');
    expect(JSON.parse(await retained)).toEqual({ online: false });
    await c.endAsync();
  });
});
