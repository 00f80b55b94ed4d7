// HQ's side of request/response with stores: signed pushes and pulls, each awaiting the
// store's answer on a response topic matched by correlation data.
import { type KeyObject, randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { PendingReplies } from '../sync/pending-replies.js';
import { signPush } from '../sync/signing.js';

export class HqClient {
  private readonly pending = new PendingReplies({ error: 'BAD_REPLY' });
  private readonly replyTopic: string;

  private constructor(
    private readonly client: MqttClient,
    private readonly prefix: string,
    id: string,
  ) {
    this.replyTopic = `${prefix}/hq/res/${id}`;
    client.on('message', (topic, payload, packet) => {
      if (topic === this.replyTopic) this.pending.settle(payload, packet);
    });
  }

  /** Asks over a connection HQ already holds (its service's broker client). */
  static async over(client: MqttClient, prefix = 'storeedge/v1'): Promise<HqClient> {
    const c = new HqClient(client, prefix, randomBytes(6).toString('hex'));
    await client.subscribeAsync(c.replyTopic, { qos: 1 });
    return c;
  }

  static async connect(url: string, prefix = 'storeedge/v1'): Promise<HqClient> {
    const id = randomBytes(6).toString('hex');
    const client = await mqtt.connectAsync(url, {
      protocolVersion: 5,
      clientId: `storeedge-hq-client-${id}`,
    });
    const c = new HqClient(client, prefix, id);
    await client.subscribeAsync(c.replyTopic, { qos: 1 });
    return c;
  }

  /** Publishes to a store's topic and waits for its reply (null on timeout). */
  async ask(topic: string, body: unknown, timeoutMs = 10_000): Promise<unknown> {
    const { correlationData, reply } = this.pending.open(timeoutMs);
    await this.client.publishAsync(topic, typeof body === 'string' ? body : JSON.stringify(body), {
      qos: 1,
      properties: { responseTopic: this.replyTopic, correlationData },
    });
    return reply;
  }

  push(storeId: string, dataset: string, version: number, body: unknown, key: KeyObject, timeoutMs?: number) {
    const signed = signPush(key, { dataset, version, issuedAt: Date.now(), body });
    return this.ask(`${this.prefix}/${storeId}/cmd/${dataset}`, signed, timeoutMs);
  }

  /** A chain-wide push: every store applies it; answers arrive as each store's outbox event. */
  async pushAll(dataset: string, version: number, body: unknown, key: KeyObject): Promise<void> {
    const signed = signPush(key, { dataset, version, issuedAt: Date.now(), body });
    await this.client.publishAsync(`${this.prefix}/all/cmd/${dataset}`, JSON.stringify(signed), { qos: 1 });
  }

  request(storeId: string, name: string, body: Record<string, unknown> = {}, timeoutMs?: number) {
    return this.ask(`${this.prefix}/${storeId}/req/${name}`, body, timeoutMs);
  }

  close(): Promise<void> {
    return this.client.endAsync();
  }
}
