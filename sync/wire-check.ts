// Holds what the store and HQ publish to the AsyncAPI document while the test suites run
// (sync/kernel/contract-mode.ts): every message on a state, heartbeat, command, pull or request
// topic is checked against the schema the document gives that topic, and a breach is
// logged and recorded (the run fails at its end). Events are checked where they are
// written (appendOutbox) and again at HQ's ingest; answers go to response topics that
// name no message: test/sync/asyncapi.test.ts checks both on a wire tap. Also: HQ checks
// a push's body here before it signs and sends it.
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { asyncApiDocument, wireSchema } from './asyncapi.js';
import { contractCheckOn, recordBreach, schemaErrors } from './kernel/contract-mode.js';
import { PUSH_BODIES } from './wire-schemas.js';

/** The document's message for a topic, or null for a topic it names by no message (answers). */
export function wireMessageId(prefix: string, topic: string): string | null {
  if (!topic.startsWith(`${prefix}/`)) return null;
  const [a, b, c, ...more] = topic.slice(prefix.length + 1).split('/');
  if (more.length || !a || !b) return null;
  if (a === 'hq') return b === 'req' && c ? `request.${c}` : null;
  if (b === 'state' || b === 'heartbeat') return c === undefined ? b : null;
  if (!c) return null;
  if (b === 'evt') return `event.${c}`;
  if (b === 'cmd') return c === 'resend' ? 'cmd.resend' : `push.${c}`;
  if (b === 'req') return `pull.${c}`;
  return null;
}

let ajv: Ajv | null = null;
const compiler = (): Ajv => {
  if (!ajv) {
    ajv = new Ajv({ strict: false, allErrors: true });
    (addFormats as unknown as (a: Ajv) => void)(ajv);
  }
  return ajv;
};

const pushValidators = new Map<string, ValidateFunction>();
/** What is wrong with a push's body for its dataset, by the published schema (empty: fine). */
export function pushBodyProblems(dataset: string, body: unknown): string[] {
  const spec = PUSH_BODIES[dataset];
  if (!spec) return [`no dataset "${dataset}" in the contract`];
  let v = pushValidators.get(dataset);
  if (!v) {
    v = compiler().compile(wireSchema(spec.body));
    pushValidators.set(dataset, v);
  }
  return v(body) ? [] : schemaErrors(v.errors, 10).map((e) => `/body${e.startsWith('/ ') ? e.slice(1) : e}`);
}

let validators: Map<string, ValidateFunction> | null = null;
function validator(id: string): ValidateFunction | null | undefined {
  if (!validators) {
    const ajv = compiler();
    const messages = (asyncApiDocument().components as { messages: Record<string, { payload: object }> })
      .messages;
    validators = new Map(Object.entries(messages).map(([k, m]) => [k, ajv.compile(m.payload)]));
  }
  return validators.get(id);
}

/** What is wrong with a message published on a topic by the document (null: nothing to say). */
export function wireProblem(prefix: string, topic: string, payload: string | Buffer): string | null {
  const id = wireMessageId(prefix, topic);
  if (!id) return null;
  const v = validator(id);
  if (!v) return `no message "${id}" in the AsyncAPI document`;
  let body: unknown;
  try {
    body = JSON.parse(payload.toString());
  } catch {
    return 'not JSON';
  }
  return v(body) ? null : schemaErrors(v.errors).join('; ');
}

interface Publisher {
  publishAsync(topic: string, payload: string | Buffer, opts?: object): Promise<unknown>;
}

/** In a test run, checks what `client` publishes; otherwise leaves it as it is. */
export function holdToContract<C extends Publisher>(
  client: C,
  prefix: string,
  log: { error(o: object, msg: string): void },
): C {
  if (!contractCheckOn()) return client;
  const publish = client.publishAsync.bind(client);
  client.publishAsync = ((topic: string, payload: string | Buffer, opts?: object) => {
    // events: checked where they are written (see above)
    const problem = wireMessageId(prefix, topic)?.startsWith('event.')
      ? null
      : wireProblem(prefix, topic, payload);
    if (problem) {
      const record = { topic, problem, payload: payload.toString().slice(0, 500) };
      log.error(record, 'message breaks the published MQTT contract');
      recordBreach(record);
    }
    return publish(topic, payload, opts);
  }) as C['publishAsync'];
  return client;
}
