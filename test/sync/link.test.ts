// The MQTT link's reconnect policy against a real mosquitto: refused credentials are a
// distinct state retried slowly, not hammered; a broker that comes back is reconnected.
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttLink } from '../../edge/sync/link.js';
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

  it('hears its commands after a connect that left the broker a session without subscriptions', async () => {
    const broker = await startMosquitto();
    cleanup.push(() => broker.stop());
    const mqtt = await import('mqtt');
    // what a link stopped between CONNACK and SUBACK leaves behind: a session, no subscriptions
    const half = await mqtt.connectAsync(broker.url, {
      protocolVersion: 5,
      clientId: 'link-test-subs',
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
    });
    await half.endAsync();
    const hq = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    cleanup.push(() => hq.endAsync());
    await hq.publishAsync('t/cmd/config', 'retained push', { qos: 1, retain: true });

    const l = link(broker.url, { clientId: 'link-test-subs', subscriptions: ['t/cmd/+'] });
    const heard: string[] = [];
    l.on('message', (topic: string, payload: Buffer) => heard.push(`${topic} ${payload}`));
    const up: boolean[] = [];
    l.on('up', (sessionPresent: boolean) => up.push(sessionPresent));
    l.start();
    await waitFor('up', () => (l.connected ? true : undefined), 5000);
    expect(up).toEqual([true]); // the broker says it kept the session
    await hq.publishAsync('t/cmd/resend', '{"fromSeq":8,"toSeq":8}', { qos: 1 });
    await waitFor('the command heard', () => (heard.length === 2 ? true : undefined), 5000);
    expect(heard).toEqual(['t/cmd/config retained push', 't/cmd/resend {"fromSeq":8,"toSeq":8}']);

    // the next connect finds the subscription in place: the retained push does not come again
    await l.stop();
    const again = link(broker.url, { clientId: 'link-test-subs', subscriptions: ['t/cmd/+'] });
    again.on('message', (topic: string, payload: Buffer) => heard.push(`${topic} ${payload}`));
    again.start();
    await waitFor('up again', () => (again.connected ? true : undefined), 5000);
    await hq.publishAsync('t/cmd/resend', '{"fromSeq":9,"toSeq":9}', { qos: 1 });
    await waitFor('the second command heard', () => (heard.length === 3 ? true : undefined), 5000);
    expect(heard.at(-1)).toBe('t/cmd/resend {"fromSeq":9,"toSeq":9}');
  });
});
