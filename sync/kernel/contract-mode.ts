// While the test suites run (STOREEDGE_CONTRACT_CHECK=1, set by test/setup/contract-check.ts
// for every test process and the daemons they start), the store and HQ hold what they
// answer and publish to the published contracts (sync/kernel/http/contract-check.ts for HTTP,
// sync/wire-check.ts for MQTT). A breach is logged by the caller and recorded here; the
// run fails at its end when any was. Off in production.
import { appendFileSync } from 'node:fs';
import type { ErrorObject } from 'ajv';

/** the env names the test setup sets (config/env.ts keeps them from being read as settings) */
export const CONTRACT_ENV = {
  check: 'STOREEDGE_CONTRACT_CHECK',
  violations: 'STOREEDGE_CONTRACT_VIOLATIONS',
} as const;

export const contractCheckOn = (): boolean => process.env[CONTRACT_ENV.check] === '1';

/** Appends a breach to the run's record of breaches, when it keeps one. */
export function recordBreach(record: Record<string, unknown>): void {
  const file = process.env[CONTRACT_ENV.violations];
  if (file) appendFileSync(file, `${JSON.stringify(record)}\n`);
}

/** A validator's first errors, each as "path message" (the root as "/"). */
export const schemaErrors = (errors: ErrorObject[] | null | undefined, max = 3): string[] =>
  (errors ?? []).slice(0, max).map((e) => `${e.instancePath || '/'} ${e.message ?? 'invalid'}`);
