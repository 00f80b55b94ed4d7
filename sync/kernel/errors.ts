// Errors both sides raise. A DomainError is a refusal of the business: `kind` says what
// went wrong in words the HTTP layer maps to a status; `code` is stable for clients
// (kiosk, phone and HQ pages). An ApiError is a route's own refusal, with its status.

import type { ErrorCode } from './error-codes.js';

export type DomainErrorKind = 'invalid' | 'not_found' | 'conflict' | 'forbidden';

export class DomainError extends Error {
  override name = 'DomainError';
  constructor(
    readonly kind: DomainErrorKind,
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const notFound = (what: string, id: string) =>
  new DomainError(
    'not_found',
    // each such code is in the catalogue: a new `what` fails the catalogue's test
    `${what.toUpperCase().replaceAll(' ', '_')}_NOT_FOUND` as ErrorCode,
    `${what} ${id} not found`,
  );

/** The HTTP status each kind of domain refusal answers with. */
export const DOMAIN_STATUS: Record<DomainErrorKind, number> = {
  invalid: 422,
  not_found: 404,
  conflict: 409,
  forbidden: 403,
};

/** A refusal raised by an HTTP route itself, with its status. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
