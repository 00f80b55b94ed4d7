// The catalogue of error codes (sync/kernel/error-codes.ts) against the code: every code a
// route throws is in it with the status it is thrown with, and both published OpenAPI
// documents carry it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '../../sync/kernel/error-codes.js';
import { DOMAIN_STATUS, type DomainErrorKind } from '../../sync/kernel/errors.js';
import { hqDocument, storeDocument } from '../helpers/contracts/generate.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

const THROW = /new (DomainError|ApiError)\(\s*('[a-z_]+'|\d+),\s*('[A-Z_0-9]+'|[^,]+),/g;
const NOT_FOUND = /notFound\('([a-z ]+)'/g;

/** Every (code, status) a throw site in the product's code names, and where. */
function thrown(): { code: string; status: number; at: string }[] {
  const out: { code: string; status: number; at: string }[] = [];
  for (const file of ['edge', 'hq', 'sync'].flatMap(sources)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(THROW)) {
      const kind = m[2]!;
      const status = kind.startsWith("'")
        ? DOMAIN_STATUS[kind.slice(1, -1) as DomainErrorKind]
        : Number(kind);
      // a code chosen at the site (a ternary) names each of its codes in quotes
      for (const c of m[3]!.matchAll(/'([A-Z_0-9]+)'/g)) out.push({ code: c[1]!, status, at: file });
    }
    for (const m of text.matchAll(NOT_FOUND))
      out.push({ code: `${m[1]!.toUpperCase().replaceAll(' ', '_')}_NOT_FOUND`, status: 404, at: file });
  }
  return out;
}

describe('the error codes', () => {
  it('every code a route throws is in the catalogue, with the status it is thrown with', () => {
    const sites = thrown();
    expect(sites.length).toBeGreaterThan(150);
    const wrong = sites.filter(
      (s) =>
        !((ERROR_CODES as Record<string, { status: readonly number[] }>)[s.code]?.status ?? []).includes(
          s.status,
        ),
    );
    expect(wrong).toEqual([]);
  });

  it('the catalogue names no code nothing throws (beyond the HTTP layer’s own)', () => {
    const used = new Set(thrown().map((s) => s.code));
    const http: ErrorCode[] = [
      'VALIDATION_FAILED',
      'NOT_FOUND',
      'BODY_TOO_LARGE',
      'UNSUPPORTED_MEDIA_TYPE',
      'BAD_CONTENT_LENGTH',
      'EMPTY_BODY',
      'INVALID_JSON',
      'BAD_REQUEST',
      'STORAGE_FULL',
      'INTERNAL',
      'CONTRACT_VIOLATION',
      'BAD_BARCODE',
    ];
    const handler =
      readFileSync('sync/kernel/http/errors.ts', 'utf8') + readFileSync('edge/api/app.ts', 'utf8');
    const contract = readFileSync('sync/kernel/http/contract-check.ts', 'utf8');
    for (const c of http) expect(handler.includes(`'${c}'`) || contract.includes(`'${c}'`), c).toBe(true);
    const unused = Object.keys(ERROR_CODES).filter((c) => !used.has(c) && !http.includes(c as ErrorCode));
    expect(unused).toEqual([]);
  });

  it('is published in the store’s and HQ’s OpenAPI documents', async () => {
    for (const doc of [await storeDocument(), await hqDocument()])
      expect((doc.components as Record<string, unknown>)['x-error-codes']).toEqual(
        JSON.parse(JSON.stringify(ERROR_CODES)),
      );
  });
});
