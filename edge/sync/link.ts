// The store's MQTT 5 connection to HQ (mqtt.js v5). A persistent session (clean start
// off, a session expiry) keeps HQ's commands queued while the store is offline.
// Reconnecting is ours, not mqtt.js's fixed period: capped exponential backoff with
// full jitter, stretched when the broker says it is busy or rate-limiting, and slowed to
// the cap when it refuses the credentials (a config fix is needed, hammering won't help).
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import mqtt, {
  type IClientOptions,
  type IClientPublishOptions,
  type IPublishPacket,
  type MqttClient,
} from 'mqtt';
import type { Logger } from 'pino';
import { holdToContract } from '../../sync/wire-check.js';

export interface LinkOptions {
  url: string;
  clientId: string;
  username?: string | undefined;
  password?: string | undefined;
  keepaliveSeconds: number;
  tls?: {
    caFile?: string | undefined;
    certFile?: string | undefined;
    keyFile?: string | undefined;
    rejectUnauthorized: boolean;
  };
  /** retained last will, published by the broker if the store vanishes */
  will: { topic: string; payload: string };
  /** retained birth message on each connect */
  birth: () => { topic: string; payload: string };
  subscriptions: string[];
  /** config mqtt.topicPrefix: what the published contract's topics start with */
  topicPrefix?: string;
  sessionExpirySeconds?: number;
  backoff?: { baseMs: number; capMs: number };
  log: Logger;
  random?: () => number;
}

export type LinkState = 'idle' | 'connecting' | 'up' | 'down' | 'refused' | 'stopped';

// CONNACK / DISCONNECT reason codes (MQTT 5.0, 3.2.2.2 and 3.14.2.1)
const REFUSED = new Set([0x84, 0x85, 0x86, 0x87, 0x8a, 0x8c]); // protocol, client id, credentials, not authorised, banned, auth method
const BUSY = new Set([0x88, 0x89, 0x97, 0x9f]); // unavailable, busy, quota exceeded, connection rate exceeded

export class MqttLink extends EventEmitter {
  private client: MqttClient | null = null;
  private _state: LinkState = 'idle';
  private attempt = 0;
  private timer: NodeJS.Timeout | null = null;
  private lastReason: number | null = null;
  reconnects = 0;
  lastError: string | null = null;

  constructor(private readonly o: LinkOptions) {
    super();
  }

  get state(): LinkState {
    return this._state;
  }

  get connected(): boolean {
    return this._state === 'up' && !!this.client?.connected;
  }

  private set(state: LinkState, error?: string): void {
    this._state = state;
    if (error) this.lastError = error;
    this.emit('state', state, error);
  }

  start(): void {
    const o = this.o;
    const tls = o.tls;
    const options: IClientOptions = {
      protocolVersion: 5,
      clientId: o.clientId,
      clean: false,
      properties: { sessionExpiryInterval: o.sessionExpirySeconds ?? 7 * 86_400 },
      keepalive: o.keepaliveSeconds,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      resubscribe: false,
      will: { topic: o.will.topic, payload: Buffer.from(o.will.payload), qos: 1, retain: true },
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
      ...(tls?.caFile ? { ca: readFileSync(tls.caFile) } : {}),
      ...(tls?.certFile ? { cert: readFileSync(tls.certFile) } : {}),
      ...(tls?.keyFile ? { key: readFileSync(tls.keyFile) } : {}),
      ...(tls ? { rejectUnauthorized: tls.rejectUnauthorized } : {}),
    };
    this.set('connecting');
    // in a test run, what it publishes is held to the AsyncAPI document
    const client = holdToContract(mqtt.connect(o.url, options), o.topicPrefix ?? 'storeedge/v1', o.log);
    this.client = client;
    client.on('connect', (connack) => void this.onConnect(client, connack.sessionPresent ?? false));
    client.on('message', (topic: string, payload: Buffer, packet: IPublishPacket) =>
      this.emit('message', topic, payload, packet),
    );
    client.on('error', (err: Error & { code?: number | string }) => {
      if (typeof err.code === 'number') this.lastReason = err.code;
      this.lastError = err.message;
    });
    client.on('disconnect', (packet) => {
      this.lastReason = packet.reasonCode ?? null;
      o.log.warn(
        { reasonCode: packet.reasonCode, reason: packet.properties?.reasonString },
        'broker disconnected us',
      );
    });
    client.on('close', () => this.onClose());
  }

  private async onConnect(client: MqttClient, sessionPresent: boolean): Promise<void> {
    this.attempt = 0;
    this.lastReason = null;
    try {
      // Subscribed at every connect, even when the broker says it kept our session: a session
      // can exist without its subscriptions (a connect cut off between CONNACK and SUBACK, as
      // when the link is stopped or the broker restarts then), and a store that trusted it
      // would never hear HQ's commands again. rh 1: retained messages only for a subscription
      // the session did not have, so a reconnect does not bring every retained push again.
      if (this.o.subscriptions.length) await client.subscribeAsync(this.o.subscriptions, { qos: 1, rh: 1 });
      const birth = this.o.birth();
      await client.publishAsync(birth.topic, birth.payload, { qos: 1, retain: true });
    } catch (e) {
      this.o.log.warn({ err: (e as Error).message }, 'session setup failed; reconnecting');
      client.end(true);
      return;
    }
    // stopped while the session was being set up: take the birth back (stop() ends the client)
    if (this._state === 'stopped') {
      await client
        .publishAsync(this.o.will.topic, this.o.will.payload, { qos: 1, retain: true })
        .catch(() => undefined);
      return;
    }
    this.set('up');
    this.o.log.info({ sessionPresent }, 'connected to HQ broker');
    this.emit('up', sessionPresent);
  }

  private onClose(): void {
    if (this._state === 'stopped') return;
    const reason = this.lastReason;
    const refused = reason !== null && REFUSED.has(reason);
    const wasUp = this._state === 'up';
    this.set(
      refused ? 'refused' : 'down',
      reason !== null ? `reason code 0x${reason.toString(16)}` : undefined,
    );
    if (wasUp) this.emit('down');
    const { baseMs, capMs } = this.o.backoff ?? { baseMs: 1000, capMs: 60_000 };
    // a busy broker gets more room: skip ahead in the backoff sequence
    if (reason !== null && BUSY.has(reason)) this.attempt = Math.max(this.attempt, 4);
    const ceiling = refused ? capMs : Math.min(capMs, baseMs * 2 ** Math.min(this.attempt, 20));
    const delay = Math.floor((this.o.random ?? Math.random)() * ceiling);
    this.attempt++;
    this.o.log.info({ delayMs: delay, reason }, 'HQ broker connection closed; reconnecting');
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this._state === 'stopped' || !this.client) return;
      this.reconnects++;
      this.set('connecting');
      this.client.reconnect();
    }, delay);
  }

  publish(topic: string, payload: string | Buffer, opts: IClientPublishOptions): Promise<void> {
    const client = this.client;
    if (!client || !this.connected) return Promise.reject(new Error('not connected to HQ broker'));
    return client.publishAsync(topic, payload, opts).then(() => undefined);
  }

  /** Stops, saying goodbye with the retained offline state (a clean disconnect sends no will). */
  async stop(): Promise<void> {
    const client = this.client;
    const wasUp = this.connected;
    this.set('stopped');
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!client) return;
    if (wasUp) {
      await Promise.race([
        client
          .publishAsync(this.o.will.topic, this.o.will.payload, { qos: 1, retain: true })
          .catch(() => undefined),
        new Promise((r) => setTimeout(r, 1000)),
      ]);
    }
    // a graceful end waits for PUBACKs in flight; one lost with a dead connection never comes
    const graceful = client.endAsync(false).then(() => true);
    const ended = await Promise.race([
      graceful,
      new Promise<boolean>((r) => setTimeout(() => r(false), 2000)),
    ]);
    if (!ended) await client.endAsync(true);
    this.client = null;
  }
}
