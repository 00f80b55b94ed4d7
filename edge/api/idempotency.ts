// Idempotency-Key for every write route: the first successful answer to a (route, key)
// is stored in the same transaction as the work it describes, and a retry gets that
// answer back without doing the work again. The same key with a different request is
// refused, so a client bug cannot pass one write off as another.
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/open.js';
import { ApiError } from './errors.js';

export interface WriteResult<T = unknown> {
  status: number;
  body: T;
}

const KEY = /^[A-Za-z0-9_.:-]{8,128}$/;

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/** Runs a synchronous write once per Idempotency-Key and answers retries from the record. */
export function idempotent<T>(
  db: Db,
  req: FastifyRequest,
  reply: FastifyReply,
  work: () => WriteResult<T>,
  now: number,
): T {
  const key = req.headers['idempotency-key'];
  if (typeof key !== 'string' || !KEY.test(key)) {
    throw new ApiError(
      400,
      'IDEMPOTENCY_KEY_REQUIRED',
      'write requests need an Idempotency-Key header of 8–128 letters, digits or _.:-',
    );
  }
  const scope = `${req.method} ${req.routeOptions.url ?? req.url}`;
  const hash = createHash('sha256')
    .update(JSON.stringify([req.method, req.url.split('?')[0], canonical(req.body ?? null)]))
    .digest('hex');
  const result = db
    .transaction((): WriteResult<T> & { replayed: boolean } => {
      const prior = db
        .prepare('SELECT request_hash, status, response FROM idempotency WHERE scope = ? AND key = ?')
        .get(scope, key) as { request_hash: string; status: number; response: string } | undefined;
      if (prior) {
        if (prior.request_hash !== hash) {
          throw new ApiError(
            422,
            'IDEMPOTENCY_KEY_REUSED',
            'this Idempotency-Key was used for a different request',
          );
        }
        return { status: prior.status, body: JSON.parse(prior.response) as T, replayed: true };
      }
      const r = work();
      db.prepare(
        'INSERT INTO idempotency (scope, key, request_hash, status, response, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(scope, key, hash, r.status, JSON.stringify(r.body ?? null), now);
      return { ...r, replayed: false };
    })
    .immediate();
  if (result.replayed) reply.header('idempotent-replayed', 'true');
  reply.status(result.status);
  return result.body;
}
