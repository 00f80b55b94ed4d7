// HQ's settings: one schema, validated at start with errors that name the path; every
// value has a default fit for the demo on one machine. Secrets (the database URL's
// password, users' password hashes, the push signing key) come from the file, readable
// by HQ's user only, or from env: HQ_DB, HQ_BROKER, HQ_SIGNING_KEY_FILE, HQ_USERS (JSON).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Type, { type Static } from 'typebox';
import Value from 'typebox/value';
import YAML from 'yaml';
import { formatSchemaErrors } from '../config/errors.js';

const Obj = <P extends Record<string, Parameters<typeof Type.Object>[0][string]>>(properties: P) =>
  Type.Object(properties, { additionalProperties: false, default: {} });

export const HqConfigSchema = Obj({
  /** postgres://… for a chain; a file path for a lab or a single store (ingest only: the API needs PostgreSQL) */
  db: Type.String({ default: 'postgres://hq@127.0.0.1:5432/postgres', minLength: 1 }),
  broker: Obj({
    url: Type.String({ default: 'mqtt://127.0.0.1:1883', pattern: '^mqtts?://' }),
    prefix: Type.String({ default: 'storeedge/v1', pattern: '^[A-Za-z0-9_/-]{1,64}$' }),
  }),
  http: Obj({
    host: Type.String({ default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8090 }),
    bodyLimitBytes: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024, default: 16 * 1024 * 1024 }),
    /** HTTPS: a PEM certificate chain and its key (relative: against the config file's folder); both or neither */
    tls: Obj({
      certFile: Type.String({ default: '' }),
      keyFile: Type.String({ default: '' }),
      /** how often the pair is looked at again: a renewed certificate is served without a restart */
      checkSeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 60 }),
    }),
  }),
  ingest: Obj({
    /** workers in this process (0: this process serves the API and pushes only) */
    workers: Type.Integer({ minimum: 0, maximum: 16, default: 1 }),
    shareGroup: Type.String({ default: 'hq-ingest', pattern: '^[A-Za-z0-9_-]{1,64}$' }),
    gapTimeoutMs: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 3000 }),
  }),
  users: Type.Array(
    Type.Object(
      {
        id: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
        role: Type.Enum(['analyst', 'operator']),
        passwordHash: Type.String({ pattern: '^scrypt\\$' }),
      },
      { additionalProperties: false },
    ),
    { default: [] },
  ),
  releases: Obj({
    /** where uploaded release bundles are kept (relative: against the config file's folder) */
    dir: Type.String({ default: './releases', minLength: 1 }),
    /** how stores reach HQ's API to download a bundle (the URL goes into the signed push); empty: the address the operator used to create the rollout */
    publicUrl: Type.String({ default: '', pattern: '^(https?://.+)?$' }),
    maxBundleMB: Type.Integer({ minimum: 1, maximum: 4096, default: 512 }),
    /** how often running rollouts send their next batch and count failures */
    tickMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 2000 }),
  }),
  /** each store's publicly trusted HTTPS certificate, by ACME DNS-01 in the chain's zone (see SECURITY.md) */
  certificates: Obj({
    enabled: Type.Boolean({ default: false }),
    /** stores are <store id>.<zone> (the stores' tls.domain) */
    zone: Type.String({
      pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$',
      default: 'stores.example.test',
    }),
    directoryUrl: Type.String({
      pattern: '^https://',
      default: 'https://acme-staging-v02.api.letsencrypt.org/directory',
    }),
    contact: Type.String({ pattern: '^mailto:.+@.+', default: 'mailto:ops@example.test' }),
    /** CA file of the ACME server's own HTTPS: only for a private or test CA */
    caFile: Type.Optional(Type.String({ minLength: 1 })),
    /** where the ACME account key is kept (relative: against the config file's folder) */
    dir: Type.String({ default: './acme', minLength: 1 }),
    dns: Type.Union(
      [
        Type.Object(
          { provider: Type.Literal('challtestsrv'), url: Type.String({ pattern: '^https?://' }) },
          { additionalProperties: false },
        ),
        Type.Object(
          {
            provider: Type.Literal('exec'),
            /** called as `<command> set|clear <fqdn> <value>`; exits 0 once the TXT record is visible */
            command: Type.String({ minLength: 1 }),
            timeoutSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 300 }),
          },
          { additionalProperties: false },
        ),
      ],
      { default: { provider: 'exec', command: '/etc/storeedge-hq/dns-hook', timeoutSeconds: 300 } },
    ),
    /** HQ renews a store's certificate once this fraction of its lifetime is left */
    renewWhenLeft: Type.Number({ exclusiveMinimum: 0, maximum: 0.9, default: 0.34 }),
    tickMs: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 10_000 }),
    /** a push no store answer came back for is sent again after this long */
    resendAfterMinutes: Type.Number({ minimum: 0.01, maximum: 10_080, default: 30 }),
    /** the first wait after a failed order; it doubles up to 6 h */
    retryBaseSeconds: Type.Number({ minimum: 0.1, maximum: 86_400, default: 60 }),
  }),
  /** PEM file of HQ's Ed25519 push key (npm run hq -- keygen); absent: pushes refused */
  signingKeyFile: Type.Optional(Type.String({ minLength: 1 })),
  sessionHours: Type.Integer({ minimum: 1, maximum: 72, default: 8 }),
  logLevel: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug'], { default: 'info' }),
});
export type HqConfig = Static<typeof HqConfigSchema>;

export class HqConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid HQ config:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** File (YAML or JSON; relative paths against its folder), then env, then defaults, then validation. */
export function loadHqConfig(file: string | null, env: NodeJS.ProcessEnv = process.env): HqConfig {
  let doc: Record<string, unknown> = {};
  if (file) {
    const parsed = YAML.parse(readFileSync(file, 'utf8')) as unknown;
    if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed)))
      throw new HqConfigError(['/: the file must hold an object']);
    doc = (parsed ?? {}) as Record<string, unknown>;
    if (typeof doc.signingKeyFile === 'string')
      doc.signingKeyFile = resolve(dirname(file), doc.signingKeyFile);
    // the releases folder sits beside the config file unless it says otherwise
    const rel = (doc.releases ?? {}) as { dir?: unknown };
    if (typeof rel === 'object' && (rel.dir === undefined || typeof rel.dir === 'string'))
      doc.releases = { ...rel, dir: resolve(dirname(file), (rel.dir as string | undefined) ?? 'releases') };
    // HTTPS's certificate and key, named relative to the file
    const http = (doc.http ?? {}) as { tls?: { certFile?: unknown; keyFile?: unknown } };
    if (typeof http === 'object' && typeof http.tls === 'object' && http.tls !== null) {
      const t = { ...http.tls };
      for (const k of ['certFile', 'keyFile'] as const)
        if (typeof t[k] === 'string' && t[k] !== '') t[k] = resolve(dirname(file), t[k] as string);
      doc.http = { ...http, tls: t };
    }
    // so does the ACME account key, and a CA file named relative to it
    const cert = (doc.certificates ?? {}) as { dir?: unknown; caFile?: unknown };
    if (typeof cert === 'object' && (cert.dir === undefined || typeof cert.dir === 'string'))
      doc.certificates = {
        ...cert,
        dir: resolve(dirname(file), (cert.dir as string | undefined) ?? 'acme'),
        ...(typeof cert.caFile === 'string' ? { caFile: resolve(dirname(file), cert.caFile) } : {}),
      };
  }
  if (env.HQ_DB) doc.db = env.HQ_DB;
  if (env.HQ_BROKER) doc.broker = { ...(doc.broker as object), url: env.HQ_BROKER };
  if (env.HQ_SIGNING_KEY_FILE) doc.signingKeyFile = env.HQ_SIGNING_KEY_FILE;
  if (env.HQ_USERS) {
    try {
      doc.users = JSON.parse(env.HQ_USERS) as unknown;
    } catch {
      throw new HqConfigError(['HQ_USERS: not JSON']);
    }
  }
  const value = Value.Default(HqConfigSchema, Value.Clone(doc));
  const errors = [...Value.Errors(HqConfigSchema, value)];
  if (errors.length) throw new HqConfigError(formatSchemaErrors(errors, value));
  const c = value as HqConfig;
  if (Boolean(c.http.tls.certFile) !== Boolean(c.http.tls.keyFile))
    throw new HqConfigError(['/http/tls: name both certFile and keyFile, or neither']);
  return c;
}
