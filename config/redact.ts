// The settings that are secrets: what a support bundle, a config digest sent to HQ or
// anything else leaving the box must never carry as they are. Named by JSON pointer
// (`*` for any array item), plus any key whose name says it is one.
export const SECRET_SETTINGS = [
  '/mqtt/password',
  '/payments/codeGateway/key',
  '/payments/wallet/apiV3Key',
  '/security/kioskTokens/*/token',
  '/security/staff/*/pinHash',
] as const;

const SECRET_NAME = /(password|secret|token|pinhash|apikey|privatekey)$/i;
export const REDACTED = '[redacted]';

function isSecret(path: string[]): boolean {
  if (path.length && SECRET_NAME.test(path.at(-1)!)) return true;
  return SECRET_SETTINGS.some((p) => {
    const parts = p.slice(1).split('/');
    return parts.length === path.length && parts.every((x, i) => x === '*' || x === path[i]);
  });
}

function walk(v: unknown, path: string[], visit: (path: string[], value: unknown) => unknown): unknown {
  if (isSecret(path) && v !== undefined && v !== null && v !== '') return visit(path, v);
  if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, String(i)], visit));
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...path, k], visit)]));
  return v;
}

/** A copy with every secret replaced by REDACTED (an empty one stays empty: "not set" is no secret). */
export function redactConfig(config: unknown): unknown {
  return walk(config, [], () => REDACTED);
}

/** Every secret value in the config, as text (to check that none leaks). */
export function secretValues(config: unknown): string[] {
  const out: string[] = [];
  walk(config, [], (_p, v) => {
    out.push(typeof v === 'string' ? v : JSON.stringify(v));
    return v;
  });
  return out;
}
