// The MQTT contract: the AsyncAPI 3.1 document parses with @asyncapi/parser without an
// error or a warning, names every event type, push, pull and request, is served by the
// store and by HQ; and every message of a real session — a demo store daemon synced to
// HQ, trading, pulled, pushed to and asked to resend — validates against the schema the
// document gives its topic, as a wire tap on the broker sees it.
import { readFileSync } from 'node:fs';
import { Parser } from '@asyncapi/parser';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asyncApiDocument } from '../../sync/asyncapi.js';
import { EVENT_SCHEMAS } from '../../sync/event-schemas.js';
import { signPush } from '../../sync/signing.js';
import { HQ_REQUESTS, PULLS, PUSH_BODIES } from '../../sync/wire-schemas.js';
import { testApi } from '../helpers/api.js';
import { startDemoStoreOn, startHq, type TestHq } from '../helpers/chain.js';
import type { RunningDaemon } from '../helpers/daemon.js';
import { waitFor } from '../helpers/ports.js';

// biome-ignore lint/suspicious/noExplicitAny: the document and messages are read loosely
type J = any;
const P = 'storeedge/v1';
const STORE = 'demo-store-001';
const KIOSK = { authorization: 'Bearer demo-kiosk-1-token-change-me' };
const WATER = '6911001001016';
/** what the session must show, each at least once */
const MUST_SEE = [
  'state',
  'heartbeat',
  'event.sale.completed',
  'event.push.applied',
  'event.push.rejected',
  'request.time',
  'answer.time',
  'request.peer-keys',
  'answer.peer-keys',
  'pull.events',
  'pull-answer.events',
  'pull-answer.health',
  'pull-answer.counts',
  'pull-answer.heatmap',
  'push.catalog',
  'push.result',
  'cmd.resend',
];

describe('the AsyncAPI document', () => {
  it('parses with @asyncapi/parser, with no error and no warning', async () => {
    const { document, diagnostics } = await new Parser().parse(asyncApiDocument() as never);
    const serious = diagnostics
      .filter((d) => d.severity <= 1)
      .map((d) => `${d.code}: ${d.message} at ${d.path}`);
    expect(serious).toEqual([]);
    expect(document).toBeDefined();
    expect(document!.channels().length).toBe(9);
    expect(document!.operations().length).toBe(7);
  });

  it('names every event type, push, pull and request, and the MQTT 5 properties', () => {
    const doc = asyncApiDocument() as J;
    const ids = Object.keys(doc.components.messages);
    for (const t of Object.keys(EVENT_SCHEMAS)) expect(ids).toContain(`event.${t}`);
    for (const d of Object.keys(PUSH_BODIES)) expect(ids).toContain(`push.${d}`);
    for (const n of Object.keys(PULLS))
      expect(ids).toEqual(expect.arrayContaining([`pull.${n}`, `pull-answer.${n}`]));
    for (const n of Object.keys(HQ_REQUESTS))
      expect(ids).toEqual(expect.arrayContaining([`request.${n}`, `answer.${n}`]));
    expect(doc.operations.sendEvent.bindings.mqtt).toMatchObject({ qos: 1, retain: false });
    expect(doc.operations.sendState.bindings.mqtt).toMatchObject({ qos: 1, retain: true });
    expect(doc.operations.sendHeartbeat.bindings.mqtt.qos).toBe(0);
    expect(doc.components.messages['pull.events'].bindings.mqtt).toHaveProperty('responseTopic');
    expect(doc.components.messages['pull.events'].bindings.mqtt).toHaveProperty('correlationData');
    expect(doc.operations.receivePull.reply.address.location).toBe('$message.header#/responseTopic');
  });

  it('is served beside the OpenAPI document by the store (and HQ, by the same code)', async () => {
    const t = await testApi();
    const r = await t.app.inject({ method: 'GET', url: '/docs/asyncapi.json' });
    expect(r.statusCode).toBe(200);
    expect(r.json().asyncapi).toBe('3.1.0');
    expect(r.json().channels.storeEvents.address).toBe('{prefix}/{storeId}/evt/{type}');
    await t.app.close();
  });
});

describe('every message of a real session matches the document', () => {
  let hq: TestHq;
  let store: RunningDaemon;
  let tap: mqtt.MqttClient;
  const seen: { topic: string; body: string; correlation: string | null; responseTopic: string | null }[] =
    [];
  beforeAll(async () => {
    hq = await startHq();
    // the tap subscribes first, so it sees the store's birth and its first requests
    tap = await mqtt.connectAsync(hq.broker.url, { protocolVersion: 5 });
    await tap.subscribeAsync(`${P}/#`, { qos: 1 });
    tap.on('message', (topic, payload, packet) => {
      const c = packet.properties?.correlationData;
      seen.push({
        topic,
        body: payload.toString('utf8'),
        correlation: c ? Buffer.from(c).toString('hex') : null,
        responseTopic: packet.properties?.responseTopic ?? null,
      });
    });
    store = await startDemoStoreOn(hq, {
      STOREEDGE_MQTT__HEARTBEAT_SECONDS: '1',
      STOREEDGE_VISION__FLUSH_SECONDS: '1',
    });
  }, 90_000);
  afterAll(async () => {
    await tap?.endAsync();
    await store?.stop();
    await hq?.stop();
  });

  it('events, birth, heartbeats, requests to HQ and their answers, pulls, pushes, resend', async () => {
    // a sale: its events go out
    let writes = 0;
    const call = async (method: string, path: string, body: unknown) => {
      const r = await fetch(`${store.address}/api/v1${path}`, {
        method,
        headers: {
          'content-type': 'application/json',
          'idempotency-key': `tap-${process.pid}-${++writes}`,
          ...KIOSK,
        },
        body: JSON.stringify(body),
      });
      return (await r.json()) as J;
    };
    const cart = await call('POST', '/carts', { channel: 'kiosk', kioskId: 'kiosk-1' });
    await call('POST', `/carts/${cart.cartId}/scans`, { code: WATER, qty: 2 });
    const due = (await call('POST', `/carts/${cart.cartId}/checkout`, {})).dueFen;
    expect(
      (await call('POST', `/carts/${cart.cartId}/tenders`, { kind: 'cash', tenderedFen: due })).sale?.saleId,
    ).toBeTruthy();

    // HQ's side, played by the tap: every pull, a signed push, a forged one, a resend
    const ask = async (topic: string, body: unknown, id: number) =>
      tap.publishAsync(topic, JSON.stringify(body), {
        qos: 1,
        properties: { responseTopic: `${P}/hq/res/tap`, correlationData: Buffer.from([id]) },
      });
    const now = Date.now();
    await ask(`${P}/${STORE}/req/events`, { fromSeq: 1, limit: 50 }, 1);
    await ask(`${P}/${STORE}/req/health`, {}, 2);
    await ask(`${P}/${STORE}/req/counts`, { from: now - 3_600_000, to: now + 60_000, res: '15m' }, 3);
    await ask(`${P}/${STORE}/req/heatmap`, { from: now - 3_600_000, to: now + 60_000, camera: 'walkway' }, 4);
    const seed = JSON.parse(readFileSync('config/demo/catalog.json', 'utf8'));
    const catalog = { ...seed.catalog, version: 2 };
    const key = hq.pushKey.privateKey;
    await ask(
      `${P}/${STORE}/cmd/catalog`,
      signPush(key, { dataset: 'catalog', version: 2, issuedAt: now, body: catalog }),
      5,
    );
    const forged = signPush(key, {
      dataset: 'catalog',
      version: 3,
      issuedAt: now,
      body: { ...catalog, version: 3 },
    });
    await ask(
      `${P}/${STORE}/cmd/catalog`,
      { ...forged, sig: forged.sig.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) },
      6,
    );
    await tap.publishAsync(`${P}/${STORE}/cmd/resend`, JSON.stringify({ fromSeq: 1, toSeq: 2 }), { qos: 1 });

    const kinds = () => new Set(seen.map((m) => classify(m).id));
    await waitFor(
      'the session’s messages',
      () => {
        const k = kinds();
        return MUST_SEE.every((w) => k.has(w)) ? true : undefined;
      },
      30_000,
    ).catch(() => undefined);

    const doc = asyncApiDocument() as J;
    const ajv = new Ajv({ strict: false, allErrors: true });
    (addFormats as unknown as (a: Ajv) => void)(ajv);
    const problems: string[] = [];
    const counted = new Map<string, number>();
    for (const m of seen) {
      const { id } = classify(m);
      counted.set(id, (counted.get(id) ?? 0) + 1);
      const msg = doc.components.messages[id];
      if (!msg) {
        problems.push(`${m.topic}: no message "${id}" in the document`);
        continue;
      }
      const validate = ajv.compile(msg.payload);
      let body: unknown;
      try {
        body = JSON.parse(m.body);
      } catch {
        problems.push(`${m.topic}: not JSON`);
        continue;
      }
      if (!validate(body))
        problems.push(`${m.topic} (${id}): ${ajv.errorsText(validate.errors)} in ${m.body.slice(0, 300)}`);
    }
    expect(problems).toEqual([]);
    // what the session must have shown, each at least once
    for (const k of MUST_SEE) expect(counted.get(k) ?? 0, k).toBeGreaterThan(0);
    expect(seen.length).toBeGreaterThan(20);
  }, 90_000);

  /** the document's message for what the tap saw, by topic (answers by their correlation) */
  function classify(m: (typeof seen)[number]): { id: string } {
    const rest = m.topic.slice(P.length + 1).split('/');
    const asked = (c: string | null) => seen.find((s) => s.correlation === c && s.responseTopic !== null);
    if (rest[0] === 'hq' && rest[1] === 'req') return { id: `request.${rest[2]}` };
    if (rest[0] === 'hq' && rest[1] === 'res') {
      // answers to the tap's own pulls and pushes
      const q = asked(m.correlation);
      const [, kind, name] = q ? q.topic.slice(P.length + 1).split('/') : [];
      return { id: kind === 'req' ? `pull-answer.${name}` : 'push.result' };
    }
    if (rest[1] === 'evt') return { id: `event.${rest[2]}` };
    if (rest[1] === 'state') return { id: 'state' };
    if (rest[1] === 'heartbeat') return { id: 'heartbeat' };
    if (rest[1] === 'cmd') return { id: rest[2] === 'resend' ? 'cmd.resend' : `push.${rest[2]}` };
    if (rest[1] === 'req') return { id: `pull.${rest[2]}` };
    if (rest[1] === 'res') {
      const q = asked(m.correlation);
      return { id: q ? `answer.${q.topic.split('/').at(-1)}` : 'answer.unknown' };
    }
    return { id: `unknown:${m.topic}` };
  }
});
