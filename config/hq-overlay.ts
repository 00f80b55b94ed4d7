// Config that HQ may push to a store (issue: "HQ pushes … config"). It is stored next
// to the database as hq-config.json and merged over the config file at the next start:
// file → HQ overlay → env → defaults → validation. Only settings HQ owns may be pushed;
// where the store listens, what its devices are and which keys it trusts stay local.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** JSON pointers of what HQ may set (a pointer covers everything below it). */
export const HQ_CONFIGURABLE = [
  '/store/name',
  '/loyalty',
  '/barcodes',
  '/outbox',
  '/logging',
  '/security/staff',
  '/security/kioskTokens',
  '/mqtt/drainPerSecond',
  '/payments/codeGateway/confirmTimeoutMs',
] as const;

export interface Overlay {
  version: number;
  body: Record<string, unknown>;
}

export const overlayPath = (dbPath: string) => join(dirname(dbPath), 'hq-config.json');

const isObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v);

/** Paths in `body` that HQ may not set. */
export function overlayProblems(body: unknown): string[] {
  if (!isObject(body)) return ['/: config push body must be an object'];
  const problems: string[] = [];
  const walk = (v: unknown, at: string) => {
    if ((HQ_CONFIGURABLE as readonly string[]).includes(at)) return;
    if (!isObject(v) || !HQ_CONFIGURABLE.some((p) => p.startsWith(`${at}/`))) {
      problems.push(`${at}: not a setting HQ may push`);
      return;
    }
    for (const [k, child] of Object.entries(v)) walk(child, `${at}/${k}`);
  };
  for (const [k, v] of Object.entries(body)) walk(v, `/${k}`);
  return problems;
}

/** Objects merge key by key; anything else (arrays included) is replaced. */
export function mergeOverlay(base: unknown, overlay: unknown): unknown {
  if (!isObject(base) || !isObject(overlay)) return overlay;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(overlay)) out[k] = k in base ? mergeOverlay(base[k], v) : v;
  return out;
}

export function readOverlay(path: string): Overlay | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const o = JSON.parse(text) as Overlay;
  if (!Number.isSafeInteger(o.version) || !isObject(o.body))
    throw new Error(`${path}: not an HQ config overlay`);
  return o;
}
