// The MQTT contract check that runs under every suite: topics map to the document's
// messages, a well-formed message passes, a broken one is named, and what a held client
// publishes is checked before it goes.
import { expect, it, onTestFinished } from 'vitest';
import { holdToContract, wireMessageId, wireProblem } from '../../sync/wire-check.js';

const P = 'storeedge/v1';

it('names the message of each topic the document fixes, and none for answers', () => {
  expect(wireMessageId(P, `${P}/s1/evt/sale.completed`)).toBe('event.sale.completed');
  expect(wireMessageId(P, `${P}/s1/state`)).toBe('state');
  expect(wireMessageId(P, `${P}/s1/heartbeat`)).toBe('heartbeat');
  expect(wireMessageId(P, `${P}/s1/cmd/catalog`)).toBe('push.catalog');
  expect(wireMessageId(P, `${P}/all/cmd/member`)).toBe('push.member');
  expect(wireMessageId(P, `${P}/s1/cmd/resend`)).toBe('cmd.resend');
  expect(wireMessageId(P, `${P}/s1/req/events`)).toBe('pull.events');
  expect(wireMessageId(P, `${P}/hq/req/time`)).toBe('request.time');
  expect(wireMessageId(P, `${P}/s1/res`)).toBeNull();
  expect(wireMessageId(P, 'elsewhere/s1/state')).toBeNull();
});

it('passes a message that keeps the contract and names what is wrong with one that does not', () => {
  expect(wireProblem(P, `${P}/s1/cmd/resend`, JSON.stringify({ fromSeq: 3, toSeq: 9 }))).toBeNull();
  expect(wireProblem(P, `${P}/s1/cmd/resend`, JSON.stringify({ fromSeq: 0 }))).toMatch(/fromSeq|toSeq/);
  expect(wireProblem(P, `${P}/s1/state`, '{"online":"yes"}')).not.toBeNull();
  expect(wireProblem(P, `${P}/s1/heartbeat`, 'not json')).toBe('not JSON');
  expect(wireProblem(P, `${P}/s1/evt/no.such_type`, '{}')).toContain('no message "event.no.such_type"');
});

it('a held client records a breach and still publishes (the run fails at its end)', async () => {
  const record = process.env.STOREEDGE_CONTRACT_VIOLATIONS;
  delete process.env.STOREEDGE_CONTRACT_VIOLATIONS; // this breach is on purpose
  onTestFinished(() => {
    process.env.STOREEDGE_CONTRACT_VIOLATIONS = record;
  });
  const sent: string[] = [];
  const errors: object[] = [];
  const client = holdToContract(
    { publishAsync: async (topic: string, _payload: string | Buffer) => void sent.push(topic) },
    P,
    {
      error: (o) => void errors.push(o),
    },
  );
  await client.publishAsync(`${P}/s1/cmd/resend`, JSON.stringify({ fromSeq: 1, toSeq: 2 }));
  await client.publishAsync(`${P}/s1/cmd/resend`, JSON.stringify({ fromSeq: 'one' }));
  expect(sent).toHaveLength(2);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatchObject({ topic: `${P}/s1/cmd/resend` });
});
