// Idempotency-Key for every write route: the first successful answer to a (route, key)
// is stored in the same transaction as the work it describes, and a retry gets that
// answer back without doing the work again. The same key with a different request is
// refused, so a client bug cannot pass one write off as another.
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { canonical } from '../../sync/canonical-json.js';
import { contractCheckOn } from '../../sync/kernel/contract-mode.js';
import { ApiError } from '../../sync/kernel/errors.js';
import { IDEMPOTENCY_KEY } from '../../sync/kernel/http/openapi.js';
import type { Db } from '../db/open.js';

export interface WriteResult<T = unknown> {
  status: number;
  body: T;
  /** set when the body is mostly the cart's quote, which the store can rebuild: only
   * `keep` is stored, and a retry gets it with the quote as the cart stands then */
  compact?: Compact;
}

/** Where a rebuilt quote goes: the body itself (`merged`, with `keep` beside its fields)
 * or the body's `quote` field (`nested`). */
export interface Compact {
  cartId: string;
  quote: 'merged' | 'nested';
  keep: Record<string, unknown>;
}

/** How a stored compact answer is made whole again: the cart's quote now. */
export type Rebuild = (cartId: string) => unknown;

/** An answer that is the cart's quote, with `keep` beside its fields. */
export function quoteAnswer<Q extends { cartId: string }, K extends Record<string, unknown>>(
  status: number,
  quote: Q,
  keep?: K,
): WriteResult<Q & K> {
  const k = (keep ?? {}) as K;
  return { status, body: { ...quote, ...k }, compact: { cartId: quote.cartId, quote: 'merged', keep: k } };
}

/** An answer with the cart's quote in its `quote` field, beside `keep`. */
export function nestedQuoteAnswer<Q extends { cartId: string }, K extends Record<string, unknown>>(
  status: number,
  quote: Q,
  keep: K,
): WriteResult<K & { quote: Q }> {
  return { status, body: { ...keep, quote }, compact: { cartId: quote.cartId, quote: 'nested', keep } };
}

const HASH_HEX = 32;

interface Identity {
  key: string;
  scope: string;
  hash: string;
}

function identify(req: FastifyRequest): Identity {
  // the published document says which writes need the header (config.idempotent): held
  // while the suites run, so a route that forgets to say so fails there, not in a store
  if (!req.routeOptions.config.idempotent && contractCheckOn())
    throw new Error(
      `${req.method} ${req.routeOptions.url} writes once per key but does not declare config.idempotent`,
    );
  const key = req.headers['idempotency-key'];
  if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) {
    throw new ApiError(
      400,
      'IDEMPOTENCY_KEY_REQUIRED',
      'write requests need an Idempotency-Key header of 8–128 letters, digits or _.:-',
    );
  }
  const scope = `${req.method} ${req.routeOptions.url ?? req.url}`;
  // 128 bits of SHA-256 tell two requests apart as well as 256 do, in half the bytes
  const hash = createHash('sha256')
    .update(JSON.stringify([req.method, req.url.split('?')[0], canonical(req.body ?? null)]))
    .digest('hex')
    .slice(0, HASH_HEX);
  return { key, scope, hash };
}

function prior<T>(db: Db, id: Identity, rebuild: Rebuild): WriteResult<T> | null {
  const row = db
    .prepare('SELECT request_hash, status, response, rebuild FROM idempotency WHERE scope = ? AND key = ?')
    .get(id.scope, id.key) as
    | { request_hash: string; status: number; response: string; rebuild: string | null }
    | undefined;
  if (!row) return null;
  // a record from before hashes were cut to 128 bits holds all 256: compare what both have
  if (row.request_hash.slice(0, HASH_HEX) !== id.hash) {
    throw new ApiError(
      422,
      'IDEMPOTENCY_KEY_REUSED',
      'this Idempotency-Key was used for a different request',
    );
  }
  const stored = JSON.parse(row.response) as unknown;
  if (!row.rebuild) return { status: row.status, body: stored as T };
  const [form, cartId] = JSON.parse(row.rebuild) as [Compact['quote'], string];
  const keep = stored as Record<string, unknown>;
  const quote = rebuild(cartId);
  const body = form === 'merged' ? { ...(quote as object), ...keep } : { ...keep, quote };
  return { status: row.status, body: body as T };
}

function record(db: Db, id: Identity, r: WriteResult, now: number): void {
  const c = r.compact;
  db.prepare(
    'INSERT INTO idempotency (scope, key, request_hash, status, response, created_at, rebuild) VALUES (?, ?, ?, ?, ?, ?, ?)',
  ).run(
    id.scope,
    id.key,
    id.hash,
    r.status,
    JSON.stringify(c ? c.keep : (r.body ?? null)),
    now,
    c ? JSON.stringify([c.quote, c.cartId]) : null,
  );
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
  rebuild: Rebuild,
): T {
  const id = identify(req);
  const result = db
    .transaction((): WriteResult<T> & { replayed: boolean } => {
      const p = prior<T>(db, id, rebuild);
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
  rebuild: Rebuild,
): Promise<T> {
  const id = identify(req);
  const p = prior<T>(db, id, rebuild);
  if (p) return answer(reply, p, true);
  const r = await work();
  db.transaction(() => {
    const seen = db.prepare('SELECT 1 FROM idempotency WHERE scope = ? AND key = ?').get(id.scope, id.key);
    if (!seen) record(db, id, r, now());
  }).immediate();
  return answer(reply, r, false);
}
