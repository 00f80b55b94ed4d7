// The MQTT interface as an AsyncAPI 3.1 document, built from the schemas the two sides
// use (event-schemas.ts, wire-schemas.ts) and the topic namespace (topics.ts), so that
// it cannot say other than the code. Served by the store and by HQ at /docs/asyncapi.json.
import type { TSchema } from 'typebox';
import { EVENT_SCHEMAS } from './event-schemas.js';
import { VERSION } from './kernel/version.js';
import { PUSHABLE } from './pushes.js';
import {
  EventEnvelope,
  Health,
  HQ_REQUESTS,
  PULLS,
  PUSH_BODIES,
  PushResult,
  Resend,
  StoreState,
  signedPush,
} from './wire-schemas.js';

type Json = Record<string, unknown>;
/** A field with a default may be left out: the reader fills it in (Value.Default) before
 * it checks, so on the wire it is not required. */
function optionalDefaults(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(optionalDefaults);
  if (!node || typeof node !== 'object') return node;
  const n = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, optionalDefaults(v)])) as Json;
  const props = n.properties as Record<string, Json> | undefined;
  if (props && Array.isArray(n.required)) {
    const required = (n.required as string[]).filter((k) => props[k]?.default === undefined);
    if (required.length) n.required = required;
    else delete n.required;
  }
  return n;
}

/** A schema as it holds on the wire: plain JSON Schema (TypeBox keeps its own marks in
 * symbols, which JSON leaves out), fields with defaults optional. */
export const wireSchema = (s: TSchema): Json => optionalDefaults(JSON.parse(JSON.stringify(s))) as Json;
const ref = (path: string) => ({ $ref: path });

const PREFIX = { description: 'config mqtt.topicPrefix', default: 'storeedge/v1' };
const STORE = { description: "the store's id (config store.id)" };

const mqtt = (qos: 0 | 1, retain = false) => ({ mqtt: { qos, retain, bindingVersion: '0.2.0' } });
/** MQTT 5 request/response: the answer goes to the request's response topic, with its correlation data */
const asked = {
  mqtt: {
    responseTopic: { type: 'string' },
    correlationData: { type: 'string', description: 'opaque bytes, echoed in the answer' },
    bindingVersion: '0.2.0',
  },
};
const answering = { mqtt: { correlationData: { type: 'string' }, bindingVersion: '0.2.0' } };

export function asyncApiDocument(): Json {
  const messages: Json = {};
  const message = (id: string, m: Json) => {
    messages[id] = { name: id, contentType: 'application/json', ...m };
    return ref(`#/components/messages/${id}`);
  };

  // events: the envelope with the type's payload
  const envelope = wireSchema(EventEnvelope) as { properties: Json };
  const eventMessages = Object.fromEntries(
    Object.entries(EVENT_SCHEMAS).map(([type, payload]) => [
      type,
      message(`event.${type}`, {
        title: type,
        payload: {
          ...envelope,
          properties: { ...envelope.properties, type: { const: type }, payload: wireSchema(payload) },
        },
      }),
    ]),
  );
  // pushes the store answers, and the two it takes without an answer
  const pushes = [...PUSHABLE, 'model', 'software', 'certificate', 'support_bundle'];
  const unanswered = ['member', 'peer_keys'];
  const pushMessages = Object.fromEntries(
    [...pushes, ...unanswered].map((d) => {
      const answered = pushes.includes(d);
      return [
        d,
        message(`push.${d}`, {
          title: `push ${d}`,
          summary: `${PUSH_BODIES[d]!.description}${answered ? '' : ' (no answer)'}`,
          payload: wireSchema(signedPush(d)),
          ...(answered ? { bindings: asked } : {}),
        }),
      ];
    }),
  );
  const pushResult = message('push.result', {
    title: 'push result',
    summary: 'also recorded as push.applied, push.unchanged or push.rejected in the outbox',
    payload: wireSchema(PushResult),
    bindings: answering,
  });

  const channels: Json = {
    storeEvents: {
      address: '{prefix}/{storeId}/evt/{type}',
      title: 'events',
      description:
        'One outbox row per message, in sequence, at QoS 1; a row may arrive twice (after a reconnect or a resend): HQ keys events by (storeId, seq). HQ ingest workers read them through a shared subscription ($share/ingest/{prefix}/+/evt/+).',
      parameters: {
        prefix: PREFIX,
        storeId: STORE,
        type: { description: 'the event type', enum: Object.keys(EVENT_SCHEMAS) },
      },
      messages: eventMessages,
    },
    storeState: {
      address: '{prefix}/{storeId}/state',
      description:
        'Retained: the birth at each connect, the last will (or a clean stop) when the store goes.',
      parameters: { prefix: PREFIX, storeId: STORE },
      messages: { state: message('state', { payload: wireSchema(StoreState) }) },
    },
    storeHeartbeat: {
      address: '{prefix}/{storeId}/heartbeat',
      description:
        "The store's health and backlog every heartbeat interval (30 s); sentThrough lets HQ notice a lost tail.",
      parameters: { prefix: PREFIX, storeId: STORE },
      messages: { heartbeat: message('heartbeat', { payload: wireSchema(Health) }) },
    },
    storeCommands: {
      address: '{prefix}/{storeId}/cmd/{name}',
      description:
        "HQ's signed pushes to one store, and its resend command. A store offline gets them from its persistent session.",
      parameters: {
        prefix: PREFIX,
        storeId: STORE,
        name: { enum: [...pushes, ...unanswered, 'resend'] },
      },
      messages: {
        ...pushMessages,
        resend: message('cmd.resend', {
          summary: 'mark these outbox rows unsent and publish them again (HQ found a gap)',
          payload: wireSchema(Resend),
        }),
      },
    },
    chainCommands: {
      address: '{prefix}/all/cmd/{name}',
      description:
        'The same pushes, to every store; `peer_keys` is sent this way. `member` never is: it goes to the stores following the member, on their own topic.',
      parameters: {
        prefix: PREFIX,
        name: { enum: [...pushes.filter((d) => d !== 'support_bundle'), 'peer_keys'] },
      },
      messages: Object.fromEntries(
        Object.entries(pushMessages).filter(([d]) => d !== 'member' && d !== 'support_bundle'),
      ),
    },
    storePulls: {
      address: '{prefix}/{storeId}/req/{name}',
      description:
        "HQ's pulls: MQTT 5 request/response; the answer goes to the response topic with the correlation data.",
      parameters: { prefix: PREFIX, storeId: STORE, name: { enum: Object.keys(PULLS) } },
      messages: Object.fromEntries(
        Object.entries(PULLS).map(([n, p]) => [
          n,
          message(`pull.${n}`, { summary: p.description, payload: wireSchema(p.request), bindings: asked }),
        ]),
      ),
    },
    hqRequests: {
      address: '{prefix}/hq/req/{name}',
      description:
        "The store's requests to HQ (shared by HQ's workers); answers come to the store's {prefix}/{storeId}/res with the correlation data.",
      parameters: { prefix: PREFIX, name: { enum: Object.keys(HQ_REQUESTS) } },
      messages: Object.fromEntries(
        Object.entries(HQ_REQUESTS).map(([n, r]) => [
          n,
          message(`request.${n}`, {
            summary: r.description,
            payload: wireSchema(r.request),
            bindings: asked,
          }),
        ]),
      ),
    },
    storeReplies: {
      address: '{prefix}/{storeId}/res',
      description: "Where HQ answers the store's requests.",
      parameters: { prefix: PREFIX, storeId: STORE },
      messages: Object.fromEntries(
        Object.entries(HQ_REQUESTS).map(([n, r]) => [
          n,
          message(`answer.${n}`, { payload: wireSchema(r.answer), bindings: answering }),
        ]),
      ),
    },
    hqReplies: {
      address: null,
      description: "Where a store answers HQ's pushes and pulls: the response topic HQ gave.",
      messages: {
        pushResult,
        ...Object.fromEntries(
          Object.entries(PULLS).map(([n, p]) => [
            n,
            message(`pull-answer.${n}`, { payload: wireSchema(p.answer), bindings: answering }),
          ]),
        ),
      },
    },
  };

  const op = (
    action: 'send' | 'receive',
    channel: string,
    summary: string,
    bindings: Json,
    extra: Json = {},
  ) => ({
    action,
    channel: ref(`#/channels/${channel}`),
    summary,
    bindings,
    ...extra,
  });
  // actions are the store's: it sends events and answers, it receives HQ's commands
  const operations = {
    sendEvent: op('send', 'storeEvents', 'publish an outbox row; marked sent on its PUBACK', mqtt(1)),
    sendState: op('send', 'storeState', 'birth at connect; the will says offline', mqtt(1, true)),
    sendHeartbeat: op('send', 'storeHeartbeat', 'health every heartbeat interval', mqtt(0)),
    receiveCommand: op(
      'receive',
      'storeCommands',
      'apply a push (verified, versioned, all or nothing)',
      mqtt(1),
      {
        reply: {
          address: { location: '$message.header#/responseTopic' },
          channel: ref('#/channels/hqReplies'),
          messages: [ref('#/channels/hqReplies/messages/pushResult')],
        },
      },
    ),
    receiveChainCommand: op('receive', 'chainCommands', 'a push to every store', mqtt(1)),
    receivePull: op('receive', 'storePulls', 'answer a pull from the store’s database', mqtt(1), {
      reply: {
        address: { location: '$message.header#/responseTopic' },
        channel: ref('#/channels/hqReplies'),
        messages: Object.keys(PULLS).map((n) => ref(`#/channels/hqReplies/messages/${n}`)),
      },
    }),
    sendRequest: op('send', 'hqRequests', 'ask HQ (waits at most mqtt.hqRequestTimeoutMs)', mqtt(1), {
      reply: {
        channel: ref('#/channels/storeReplies'),
        messages: Object.keys(HQ_REQUESTS).map((n) => ref(`#/channels/storeReplies/messages/${n}`)),
      },
    }),
  };

  return {
    asyncapi: '3.1.0',
    info: {
      title: 'storeedge store ↔ HQ over MQTT',
      version: VERSION,
      description:
        'Every store box talks to HQ through an MQTT 5 broker. Operations are written from the store’s side. Versioning: sync/README.md, "Versioning".',
    },
    defaultContentType: 'application/json',
    servers: {
      broker: {
        host: 'broker.chain.example:8883',
        protocol: 'mqtts',
        protocolVersion: '5',
        description:
          'The chain’s broker cluster (mosquitto in tests, EMQX or HiveMQ in production); stores connect with persistent sessions, an ACL per store.',
      },
    },
    channels,
    operations,
    components: { messages },
  };
}
