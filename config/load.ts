// Loads the daemon's config: file (YAML or JSON) → env overrides → defaults →
// validation. Every error names the exact path and the reason.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { TSchema } from 'typebox';
import Value from 'typebox/value';
import { parseDocument } from 'yaml';
import { deviceProblems } from './devices.js';
import { applyEnvOverrides } from './env.js';
import { formatSchemaErrors } from './errors.js';
import { mergeOverlay, overlayPath, overlayProblems, readOverlay } from './hq-overlay.js';
import { type Config, ConfigSchema } from './schema.js';

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid config (${source}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig {
  config: Config;
  /** absolute path of the file, or "(defaults)" */
  source: string;
  /** SHA-256 of the file's bytes, so /readyz and HQ can tell which config runs */
  sha256: string | null;
  /** the HQ-pushed config merged in, or why it was not */
  overlay: { version: number; applied: boolean; error?: string } | null;
  /** checks an HQ config push against this config: the problems, or none */
  checkOverlay(body: unknown): string[];
}

export interface LoadOptions {
  /** a file path; when absent only defaults and env apply */
  file?: string;
  env?: NodeJS.ProcessEnv;
}

export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const env = opts.env ?? {};
  let raw: unknown = {};
  let source = '(defaults)';
  let sha256: string | null = null;
  if (opts.file) {
    source = resolve(opts.file);
    let text: string;
    try {
      text = readFileSync(source, 'utf8');
    } catch (err) {
      throw new ConfigError(source, [`cannot read file: ${(err as NodeJS.ErrnoException).code ?? err}`]);
    }
    sha256 = createHash('sha256').update(text).digest('hex');
    raw = parseText(source, text);
  }
  const withEnv = (value: unknown) => {
    const overridden = applyEnvOverrides(value, env, ConfigSchema as TSchema);
    if (overridden.problems.length) throw new ConfigError(source, overridden.problems);
    return validateConfig(overridden.value, source);
  };
  const local = withEnv(raw);
  /** The config with an HQ overlay merged in, or why that cannot be. */
  const withOverlay = (body: unknown): { config: Config } | { problems: string[] } => {
    const denied = overlayProblems(body);
    if (denied.length) return { problems: denied };
    try {
      return { config: withEnv(mergeOverlay(raw, body)) };
    } catch (e) {
      return { problems: e instanceof ConfigError ? e.problems : [(e as Error).message] };
    }
  };
  const checkOverlay = (body: unknown): string[] => {
    const r = withOverlay(body);
    return 'problems' in r ? r.problems : [];
  };
  // HQ's pushed settings sit between the file and env; a bad overlay never stops the store
  let overlay: LoadedConfig['overlay'] = null;
  if (local.db.path !== ':memory:') {
    try {
      const o = readOverlay(overlayPath(local.db.path));
      if (o) {
        const r = withOverlay(o.body);
        if ('config' in r)
          return {
            config: r.config,
            source,
            sha256,
            overlay: { version: o.version, applied: true },
            checkOverlay,
          };
        overlay = { version: o.version, applied: false, error: r.problems.join('; ') };
      }
    } catch (e) {
      overlay = { version: 0, applied: false, error: (e as Error).message };
    }
  }
  return { config: local, source, sha256, overlay, checkOverlay };
}

/** Applies defaults and validates a plain value; relative paths resolve against the source's folder. */
export function validateConfig(raw: unknown, source = '(inline)'): Config {
  const withDefaults = Value.Default(ConfigSchema, Value.Clone(raw ?? {}));
  const errors = [...Value.Errors(ConfigSchema, withDefaults)];
  if (errors.length) throw new ConfigError(source, formatSchemaErrors(errors, withDefaults));
  const config = withDefaults as Config;
  const problems = crossChecks(config);
  if (problems.length) throw new ConfigError(source, problems);
  const base = source.startsWith('(') ? process.cwd() : dirname(source);
  return resolvePaths(config, base);
}

function parseText(source: string, text: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => `syntax: ${e.message.split('\n')[0]}`),
    );
  }
  const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(source, ['/: must be a mapping of settings']);
  }
  return value;
}

/** Rules JSON Schema cannot say: unique ids and layouts that must add up. */
function crossChecks(c: Config): string[] {
  const problems: string[] = [];
  const dup = (what: string, ids: string[]) => {
    const seen = new Set<string>();
    ids.forEach((id, i) => {
      if (seen.has(id)) problems.push(`/${what}/${i}/id: duplicate id "${id}"`);
      seen.add(id);
    });
  };
  dup(
    'devices',
    c.devices.map((d) => d.id),
  );
  dup(
    'cameras',
    c.cameras.map((d) => d.id),
  );
  dup(
    'security/staff',
    c.security.staff.map((s) => s.id),
  );
  c.devices.forEach((d, i) => {
    if (!d.simulate && !d.path) problems.push(`/devices/${i}/path: required unless "simulate" is true`);
    problems.push(...deviceProblems(d, `/devices/${i}`));
  });
  const w = c.payments.wallet;
  if (w.enabled && !w.simulate)
    for (const k of ['merchantKeyFile', 'platformKeyFile'] as const)
      if (!w[k]) problems.push(`/payments/wallet/${k}: required unless "simulate" is true`);
  if (c.mqtt.reconnect.baseMs > c.mqtt.reconnect.capMs)
    problems.push('/mqtt/reconnect/baseMs: must not exceed capMs');
  if (c.outbox.lowWaterMB >= c.outbox.highWaterMB)
    problems.push('/outbox/lowWaterMB: must be below highWaterMB');
  // a retried write's answer is rebuilt from its cart, so the cart must outlive the answer
  if (c.housekeeping.cancelledCartDays * 24 < c.housekeeping.idempotencyHours)
    problems.push('/housekeeping/cancelledCartDays: must cover idempotencyHours');
  if (c.outbox.diskCriticalMB >= c.outbox.diskLowMB)
    problems.push('/outbox/diskCriticalMB: must be below diskLowMB');
  const tokens = new Set<string>();
  c.security.kioskTokens.forEach((t, i) => {
    if (tokens.has(t.token)) problems.push(`/security/kioskTokens/${i}/token: same token as another kiosk`);
    tokens.add(t.token);
  });
  const prefixes = new Set<string>();
  c.barcodes.variableMeasure.forEach((l, i) => {
    // EAN-13 = 2-digit prefix + item + [price check digit] + value + check digit
    const total = 2 + l.itemDigits + (l.priceCheckDigit ? 1 : 0) + l.valueDigits + 1;
    if (total !== 13) {
      problems.push(
        `/barcodes/variableMeasure/${i}: prefix(2) + itemDigits + priceCheckDigit + valueDigits + check(1) must be 13 digits, is ${total}`,
      );
    }
    if (prefixes.has(l.prefix))
      problems.push(`/barcodes/variableMeasure/${i}/prefix: duplicate prefix ${l.prefix}`);
    prefixes.add(l.prefix);
  });
  c.cameras.forEach((cam, i) => {
    const ids = [...cam.lines.map((l) => l.id), ...cam.zones.map((z) => z.id)];
    if (new Set(ids).size !== ids.length) problems.push(`/cameras/${i}: line and zone ids must be unique`);
    cam.lines.forEach((l, j) => {
      if (l.a[0] === l.b[0] && l.a[1] === l.b[1])
        problems.push(`/cameras/${i}/lines/${j}: a and b are the same point`);
    });
    const h = cam.floorPlan?.homography;
    if (
      h &&
      Math.abs(
        h[0]! * (h[4]! * h[8]! - h[5]! * h[7]!) -
          h[1]! * (h[3]! * h[8]! - h[5]! * h[6]!) +
          h[2]! * (h[3]! * h[7]! - h[4]! * h[6]!),
      ) < 1e-12
    )
      problems.push(`/cameras/${i}/floorPlan/homography: singular (maps the image onto a line)`);
  });
  const { certFile, keyFile } = c.mqtt.tls;
  if (Boolean(certFile) !== Boolean(keyFile)) {
    problems.push('/mqtt/tls: certFile and keyFile go together (client certificate)');
  }
  return problems;
}

function resolvePaths(c: Config, base: string): Config {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  if (c.db.path !== ':memory:') c.db.path = abs(c.db.path);
  if (c.seed.catalog) c.seed.catalog = abs(c.seed.catalog);
  if (c.vision.model) c.vision.model = abs(c.vision.model);
  if (c.updates.dir) c.updates.dir = abs(c.updates.dir);
  for (const key of ['trustedRootsFile', 'certFile', 'keyFile'] as const) {
    const p = c.tls[key];
    if (p) c.tls[key] = abs(p);
  }
  for (const key of ['merchantKeyFile', 'platformKeyFile'] as const) {
    const p = c.payments.wallet[key];
    if (p) c.payments.wallet[key] = abs(p);
  }
  for (const cam of c.cameras)
    if (cam.source.type === 'file' || cam.source.type === 'images') cam.source.url = abs(cam.source.url);
  for (const key of ['caFile', 'certFile', 'keyFile'] as const) {
    const p = c.mqtt.tls[key];
    if (p) c.mqtt.tls[key] = abs(p);
  }
  return c;
}
