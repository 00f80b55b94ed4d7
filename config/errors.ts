// Turns JSON-Schema validation errors into one readable line per problem:
// "<json pointer>: <reason> (got <value>)". Noise that a union or a `false` schema adds
// is folded so a person sees the cause once.
import type { TLocalizedValidationError } from 'typebox/error';

function valueAt(root: unknown, pointer: string): unknown {
  if (pointer === '') return root;
  let cur: unknown = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  if (s === undefined) return String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

export function formatSchemaErrors(errors: readonly TLocalizedValidationError[], root: unknown): string[] {
  const lines = new Set<string>();
  const paths = new Set(errors.map((e) => e.instancePath));
  for (const e of errors) {
    const path = e.instancePath || '/';
    const params = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case 'boolean':
        // `additionalProperties: false` reports each unknown key this way
        lines.add(`${path}: unknown setting (check its spelling and section)`);
        break;
      case 'additionalProperties':
        break; // already reported per key above
      case 'required':
        for (const key of params.requiredProperties as string[])
          lines.add(`${e.instancePath}/${key}: required`);
        break;
      case 'enum':
        lines.add(
          `${path}: must be one of ${(params.allowedValues as unknown[]).map(show).join(', ')} (got ${show(valueAt(root, e.instancePath))})`,
        );
        break;
      case 'anyOf':
      case 'oneOf':
        // the branches' own errors at the same path say more; keep this only if alone
        if (errors.filter((x) => x.instancePath === e.instancePath).length === 1) {
          lines.add(`${path}: does not match any allowed form (got ${show(valueAt(root, e.instancePath))})`);
        }
        break;
      default:
        if (
          e.keyword === 'type' &&
          [...paths].some((p) => p !== e.instancePath && p.startsWith(`${e.instancePath}/`))
        ) {
          break;
        }
        lines.add(`${path}: ${e.message} (got ${show(valueAt(root, e.instancePath))})`);
    }
  }
  return [...lines];
}
