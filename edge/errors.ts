// Errors the store's business raises. `kind` says what went wrong in words the HTTP
// layer maps to a status; `code` is stable for clients (kiosk and phone pages).

export type DomainErrorKind = 'invalid' | 'not_found' | 'conflict' | 'forbidden';

export class DomainError extends Error {
  override name = 'DomainError';
  constructor(
    readonly kind: DomainErrorKind,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const notFound = (what: string, id: string) =>
  new DomainError(
    'not_found',
    `${what.toUpperCase().replaceAll(' ', '_')}_NOT_FOUND`,
    `${what} ${id} not found`,
  );
