// HQ's answers to what stores ask it on `{prefix}/hq/req/{name}`: today only `time`, which
// a store uses to measure its clock offset at each connect. Shared by the lab HQ
// (sync/hq/) and HQ's ingest workers (hq/ingest/).
import type { IPublishPacket, MqttClient } from 'mqtt';

export function answerStoreRequest(client: MqttClient | null, name: string, packet: IPublishPacket): void {
  const responseTopic = packet.properties?.responseTopic;
  if (!responseTopic || !client) return;
  const body = name === 'time' ? { now: Date.now() } : { error: `unknown request ${name}` };
  void client
    .publishAsync(responseTopic, JSON.stringify(body), {
      qos: 1,
      properties: { correlationData: packet.properties?.correlationData ?? Buffer.alloc(0) },
    })
    .catch(() => undefined);
}
