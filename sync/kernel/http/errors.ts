// One error shape for every route: { error: { code, message, details? } }, with the
// HTTP status saying the class. 5xx never carries internals.
import type { FastifyError, FastifyInstance } from 'fastify';
import { ApiError, DOMAIN_STATUS, DomainError } from '../errors.js';

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown; requestId?: string };
}

/** An error class a side of the system answers in its own way (the store: a bad barcode). */
export type ErrorAnswer = (
  err: Error,
) => { status: number; code: string; message: string; details?: unknown } | null;

const FASTIFY_CODES: Record<string, [number, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'BODY_TOO_LARGE'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'BAD_CONTENT_LENGTH'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'EMPTY_BODY'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'INVALID_JSON'],
};

export const ErrorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: {
          type: 'string',
          description:
            'stable for clients: each code, its status and meaning are in components.x-error-codes',
        },
        message: { type: 'string' },
        details: {},
        requestId: { type: 'string' },
      },
    },
  },
} as const;

/** A domain refusal as an answer rather than a throw: for a write whose refusal still
 * records something (a refused label is an event even though the scan fails), so the
 * request's transaction commits that record along with the 4xx. */
export function refusal(err: DomainError, requestId: string): { status: number; body: ErrorBody } {
  return {
    status: DOMAIN_STATUS[err.kind],
    body: {
      error: {
        code: err.code,
        message: err.message,
        ...(err.details === undefined ? {} : { details: err.details }),
        requestId,
      },
    },
  };
}

export function installErrorHandling(app: FastifyInstance, answer: ErrorAnswer = () => null): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const body = (code: string, message: string, details?: unknown): ErrorBody => ({
      error: { code, message, ...(details === undefined ? {} : { details }), requestId: String(req.id) },
    });
    if (err instanceof ApiError) {
      return reply.status(err.statusCode).send(body(err.code, err.message, err.details));
    }
    if (err instanceof DomainError) {
      return reply.status(DOMAIN_STATUS[err.kind]).send(body(err.code, err.message, err.details));
    }
    const own = answer(err);
    if (own) return reply.status(own.status).send(body(own.code, own.message, own.details));
    if (err.validation) {
      const details = err.validation.map((v) => ({
        path: `${err.validationContext ?? 'body'}${v.instancePath || ''}`,
        message: v.message ?? 'invalid',
      }));
      return reply.status(400).send(body('VALIDATION_FAILED', err.message, details));
    }
    const known = err.code ? FASTIFY_CODES[err.code] : undefined;
    if (known) return reply.status(known[0]).send(body(known[1], err.message));
    if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      return reply.status(400).send(body('INVALID_JSON', `body is not valid JSON: ${err.message}`));
    }
    // a full disk is a designed state: the write did not happen, the caller is told plainly
    if ((err as { code?: string }).code === 'SQLITE_FULL') {
      req.log.error({ route: req.routeOptions.url }, 'storage full: write refused');
      return reply
        .status(507)
        .send(
          body('STORAGE_FULL', 'the store’s storage is full: nothing was written; staff have been alerted'),
        );
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.status(status).send(body(err.code ?? 'BAD_REQUEST', err.message));
    }
    req.log.error({ err }, 'unhandled error');
    return reply.status(500).send(body('INTERNAL', 'internal error; see the daemon log for this request id'));
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({
      error: {
        code: 'NOT_FOUND',
        message: `no route ${req.method} ${req.url.split('?')[0]}`,
        requestId: String(req.id),
      },
    } satisfies ErrorBody);
  });
}
