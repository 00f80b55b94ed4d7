// What the store tells HQ of its config (in its birth message, once per connection: the
// effective config changes only at a start): a digest of the effective config with its
// secrets redacted, and for HQ's overlay its version, whether it applied, and a digest
// of the values in effect at exactly the settings the overlay sets. That digest equals
// the SHA-256 HQ recorded for its push (of the same canonical JSON) when every pushed
// value is in effect; a local setting that wins over one (the environment does) makes
// it differ, and HQ shows the store as drifted. No value leaves the box, only digests.
import { createHash } from 'node:crypto';
import { readOverlay } from '../../config/hq-overlay.js';
import { redactConfig } from '../../config/redact.js';
import type { Config } from '../../config/schema.js';
import { canonicalJson } from '../../sync/canonical-json.js';

export interface ConfigReport {
  /** SHA-256 of the effective config's canonical JSON, secrets redacted */
  digest: string;
  /** HQ's overlay kept here, if any */
  hq: { version: number; applied: boolean; digest: string | null } | null;
}

const sha256 = (v: unknown) => createHash('sha256').update(canonicalJson(v)).digest('hex');

/** The effective values at the places `shape` names (objects key by key, arrays item by item). */
export function valuesAt(effective: unknown, shape: unknown): unknown {
  if (shape && typeof shape === 'object' && !Array.isArray(shape)) {
    const e = (effective && typeof effective === 'object' ? effective : {}) as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(shape).map((k) => [k, valuesAt(e[k], (shape as Record<string, unknown>)[k])]),
    );
  }
  if (Array.isArray(shape) && Array.isArray(effective) && shape.length === effective.length)
    return effective.map((x, i) => valuesAt(x, shape[i]));
  return effective ?? null;
}

export function configReport(
  config: Config,
  overlay: { version: number; applied: boolean } | null,
  overlayFile: string | null,
): ConfigReport {
  let body: unknown;
  try {
    body = overlayFile ? readOverlay(overlayFile)?.body : undefined;
  } catch {} // unreadable: reported without its digest
  return {
    digest: sha256(redactConfig(config)),
    hq: overlay
      ? {
          version: overlay.version,
          applied: overlay.applied,
          digest: overlay.applied && body ? sha256(valuesAt(config, body)) : null,
        }
      : null,
  };
}
