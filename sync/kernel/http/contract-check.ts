// Holds every answer to the published OpenAPI document while the test suites run (see
// sync/kernel/contract-mode.ts): an answer whose status the route does not document, or whose
// body breaks the documented schema, is turned into a 500 CONTRACT_VIOLATION that fails
// the test making it, and is recorded as a breach of the run.
// Off in production: there the routes' own schemas serialize the answers.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { recordBreach, schemaErrors } from '../contract-mode.js';

interface MediaType {
  schema?: unknown;
}
interface Operation {
  responses: Record<string, { content?: Record<string, MediaType> }>;
}
type Document = { paths: Record<string, Record<string, Operation>> };

/** `/carts/:cartId` as the document writes it, `/carts/{cartId}`. */
export const openApiPath = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** What is wrong with an answer by the document (null: nothing). */
export function answerProblem(
  doc: Document,
  compile: (s: unknown) => ValidateFunction,
  a: { method: string; url: string; status: number; contentType: string | undefined; body: string | null },
): string | null {
  const op = doc.paths[openApiPath(a.url)]?.[a.method.toLowerCase()];
  if (!op) return `${a.method} ${a.url} is not in the document`;
  const status = String(a.status);
  // a success must be documented by its own code; errors may fall to `default` (the error shape)
  const res = op.responses[status] ?? (a.status >= 400 ? op.responses.default : undefined);
  if (!res) return `status ${status} is not documented (documented: ${Object.keys(op.responses).join(', ')})`;
  const media = (a.contentType ?? '').split(';')[0]!.trim();
  if (!res.content) return a.body ? `status ${status} documents no body, but one came (${media})` : null;
  const entry = res.content[media];
  if (!entry) return `content type ${media || 'none'} is not documented for ${status}`;
  if (media !== 'application/json' || entry.schema === undefined || a.body === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(a.body);
  } catch {
    return 'body is not JSON';
  }
  const validate = compile(entry.schema);
  return validate(value) ? null : schemaErrors(validate.errors).join('; ');
}

export function schemaCompiler(): (s: unknown) => ValidateFunction {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  const cache = new Map<unknown, ValidateFunction>();
  return (s) => {
    let v = cache.get(s);
    if (!v) {
      v = ajv.compile(s as object);
      cache.set(s, v);
    }
    return v;
  };
}

/** Installs the check; `document` gives the app's own OpenAPI document once it is ready. */
export function installContractCheck(app: FastifyInstance, document: () => unknown): void {
  let compile: ((s: unknown) => ValidateFunction) | null = null;
  app.addHook('onSend', async (req, reply, payload) => {
    const url = req.routeOptions.url;
    // unmatched paths (404), redirects and the document's own pages are not API answers
    if (!url || url.startsWith('/docs') || url.startsWith('/ui/') || url === '/') return payload;
    if (reply.statusCode >= 300 && reply.statusCode < 400) return payload;
    if (payload !== null && typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload; // a stream
    compile ??= schemaCompiler();
    const contentType = reply.getHeader('content-type');
    const problem = answerProblem(document() as Document, compile, {
      method: req.method,
      url,
      status: reply.statusCode,
      contentType: typeof contentType === 'string' ? contentType : undefined,
      body: payload === null ? null : String(payload),
    });
    if (!problem) return payload;
    const record = { method: req.method, url, status: reply.statusCode, problem };
    req.log.error(record, 'answer breaks the published contract');
    recordBreach(record);
    reply.code(500).header('content-type', 'application/json; charset=utf-8');
    return JSON.stringify({
      error: { code: 'CONTRACT_VIOLATION', message: `${req.method} ${url} → ${record.status}: ${problem}` },
    });
  });
}
