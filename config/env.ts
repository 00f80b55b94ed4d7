// Env overrides: STOREEDGE_<SECTION>__<KEY>[__<KEY>…]=value, e.g. STOREEDGE_HTTP__PORT=9090,
// STOREEDGE_MQTT__TLS__CA_FILE=/etc/storeedge/ca.pem, STOREEDGE_DEVICES__0__PATH=/dev/ttyUSB0.
// Keys match the schema's names without regard to case or underscores. The schema says
// each leaf's type: strings are taken as written, anything else is parsed as JSON.
import type { TSchema } from 'typebox';

export const ENV_PREFIX = 'STOREEDGE_';
/** Env names that are not settings: the config file's own path, and the test suites'
 * contract check (sync/kernel/http/contract-check.ts). */
const RESERVED = new Set(['STOREEDGE_CONFIG', 'STOREEDGE_CONTRACT_CHECK', 'STOREEDGE_CONTRACT_VIOLATIONS']);

type Json = Record<string, unknown> | unknown[];
interface SchemaNode {
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode | SchemaNode[];
  prefixItems?: SchemaNode[];
  additionalProperties?: boolean | SchemaNode;
  patternProperties?: Record<string, SchemaNode>;
  enum?: unknown[];
}

const norm = (s: string) => s.replaceAll('_', '').toLowerCase();

export function applyEnvOverrides(
  raw: unknown,
  env: NodeJS.ProcessEnv,
  schema: TSchema,
): { value: unknown; problems: string[] } {
  const value = structuredClone(raw ?? {}) as Json;
  const problems: string[] = [];
  const names = Object.keys(env)
    .filter((k) => k.startsWith(ENV_PREFIX) && !RESERVED.has(k))
    .sort();
  for (const name of names) {
    const segments = name.slice(ENV_PREFIX.length).split('__');
    const problem = setPath(value, schema as SchemaNode, segments, env[name] ?? '', name);
    if (problem) problems.push(problem);
  }
  return { value, problems };
}

function setPath(
  root: Json,
  schema: SchemaNode,
  segments: string[],
  text: string,
  name: string,
): string | null {
  let node: SchemaNode = schema;
  let target = root as Record<string | number, unknown>;
  const pointer: string[] = [];
  for (const [i, seg] of segments.entries()) {
    const step = childOf(node, target, seg);
    if (!step) return `${name}: no setting "${seg}" under /${pointer.join('/')}`;
    const { key, child } = step;
    pointer.push(String(key));
    if (i === segments.length - 1) {
      const parsed = parseLeaf(child, text);
      if (!parsed.ok) return `${name}: /${pointer.join('/')}: ${parsed.error}`;
      target[key] = parsed.value;
      return null;
    }
    const existing = target[key];
    if (existing === undefined || existing === null) target[key] = child.type === 'array' ? [] : {};
    else if (typeof existing !== 'object') return `${name}: /${pointer.join('/')} is a value, not a section`;
    target = target[key] as Record<string | number, unknown>;
    node = child;
  }
  return null;
}

/** The schema node one env segment names: a property, a record entry, or an array index. */
function childOf(
  node: SchemaNode,
  target: Record<string | number, unknown>,
  seg: string,
): { key: string | number; child: SchemaNode } | null {
  const prop = Object.keys(node.properties ?? {}).find((k) => norm(k) === norm(seg));
  if (prop) return { key: prop, child: node.properties![prop]! };
  const entry =
    Object.values(node.patternProperties ?? {})[0] ??
    (typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined);
  if (entry) {
    // env names lose case: reuse a key the file already has under the same spelling
    const existing = Object.keys(target).find((k) => norm(k) === norm(seg));
    return { key: existing ?? seg, child: entry };
  }
  if (node.type === 'array' && node.items && !Array.isArray(node.items) && /^\d+$/.test(seg)) {
    return { key: Number(seg), child: node.items };
  }
  return null;
}

function parseLeaf(
  schema: SchemaNode,
  text: string,
): { ok: true; value: unknown } | { ok: false; error: string } {
  const isString =
    schema.type === 'string' ||
    (Array.isArray(schema.enum) && schema.enum.every((v) => typeof v === 'string'));
  if (isString) return { ok: true, value: text };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return {
      ok: false,
      error: `expected ${String(schema.type ?? 'a JSON value')}, got ${JSON.stringify(text)}`,
    };
  }
}
