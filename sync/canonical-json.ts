// One canonical form for JSON values: object keys sorted at every level, so the same
// content always hashes and signs the same (idempotency request hashes, dataset content
// hashes, HQ push signatures).
export function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  return v;
}

export const canonicalJson = (v: unknown): string => JSON.stringify(canonical(v));
