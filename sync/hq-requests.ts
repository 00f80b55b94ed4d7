// HQ's answers to what stores ask it on `{prefix}/hq/req/{name}`: `time`, which a store
// uses to measure its clock offset at each connect, and the reply itself. HQ's ingest
// workers (hq/ingest/) answer these and more.
import type { IPublishPacket, MqttClient } from 'mqtt';

export function answerStoreRequest(client: MqttClient | null, name: string, packet: IPublishPacket): void {
  replyTo(client, packet, name === 'time' ? { now: Date.now() } : { error: `unknown request ${name}` });
}

/** Sends `body` to the request's response topic with its correlation data (MQTT 5). */
export function replyTo(client: MqttClient | null, packet: IPublishPacket, body: unknown): void {
  const responseTopic = packet.properties?.responseTopic;
  if (!responseTopic || !client) return;
  void client
    .publishAsync(responseTopic, JSON.stringify(body), {
      qos: 1,
      properties: { correlationData: packet.properties?.correlationData ?? Buffer.alloc(0) },
    })
    .catch(() => undefined);
}
