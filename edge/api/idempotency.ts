// Idempotency-Key for every write route: the first successful answer to a (route, key)
// is stored in the same transaction as the work it describes, and a retry gets that
// answer back without doing the work again. The same key with a different request is
// refused, so a client bug cannot pass one write off as another.
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { canonical } from '../canonical-json.js';
import type { Db } from '../db/open.js';
import { ApiError } from './errors.js';

export interface WriteResult<T = unknown> {
  status: number;
  body: T;
}

const KEY = /^[A-Za-z0-9_.:-]{8,128}$/;

interface Identity {
  key: string;
  scope: string;
  hash: string;
}

function identify(req: FastifyRequest): Identity {
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
  return { key, scope, hash };
}

function prior<T>(db: Db, id: Identity): WriteResult<T> | null {
  const row = db
    .prepare('SELECT request_hash, status, response FROM idempotency WHERE scope = ? AND key = ?')
    .get(id.scope, id.key) as { request_hash: string; status: number; response: string } | undefined;
  if (!row) return null;
  if (row.request_hash !== id.hash) {
    throw new ApiError(
      422,
      'IDEMPOTENCY_KEY_REUSED',
      'this Idempotency-Key was used for a different request',
    );
  }
  return { status: row.status, body: JSON.parse(row.response) as T };
}

function record(db: Db, id: Identity, r: WriteResult, now: number): void {
  db.prepare(
    'INSERT INTO idempotency (scope, key, request_hash, status, response, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  ).run(id.scope, id.key, id.hash, r.status, JSON.stringify(r.body ?? null), now);
}

function answer<T>(reply: FastifyReply, r: WriteResult<T>, replayed: boolean): T {
  if (replayed) reply.header('idempotent-replayed', 'true');
  reply.status(r.status);
  return r.body;
}

/** Runs a synchronous write once per Idempotency-Key and answers retries from the record. */
export function idempotent<T>(
  db: Db,
  req: FastifyRequest,
  reply: FastifyReply,
  work: () => WriteResult<T>,
  now: number,
): T {
  const id = identify(req);
  const result = db
    .transaction((): WriteResult<T> & { replayed: boolean } => {
      const p = prior<T>(db, id);
      if (p) return { ...p, replayed: true };
      const r = work();
      record(db, id, r, now);
      return { ...r, replayed: false };
    })
    .immediate();
  return answer(reply, result, result.replayed);
}

/** The same for work that waits on a device or provider (a card payment): it cannot
 * run inside one transaction, so the answer is recorded when the work ends. A retry
 * while it runs is stopped by the work's own guard (one payment in flight per cart). */
export async function idempotentAsync<T>(
  db: Db,
  req: FastifyRequest,
  reply: FastifyReply,
  work: () => Promise<WriteResult<T>>,
  now: () => number,
): Promise<T> {
  const id = identify(req);
  const p = prior<T>(db, id);
  if (p) return answer(reply, p, true);
  const r = await work();
  db.transaction(() => {
    if (!prior(db, id)) record(db, id, r, now());
  }).immediate();
  return answer(reply, r, false);
}
