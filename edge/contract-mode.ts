// While the test suites run (STOREEDGE_CONTRACT_CHECK=1, set by test/setup/contract-check.ts
// for every test process and the daemons they start), the store and HQ hold what they
// answer and publish to the published contracts (edge/api/contract-check.ts for HTTP,
// sync/wire-check.ts for MQTT). A breach is logged by the caller and recorded here; the
// run fails at its end when any was. Off in production.
import { appendFileSync } from 'node:fs';

export const contractCheckOn = (): boolean => process.env.STOREEDGE_CONTRACT_CHECK === '1';

/** Appends a breach to $STOREEDGE_CONTRACT_VIOLATIONS, when the run keeps one. */
export function recordBreach(record: Record<string, unknown>): void {
  const file = process.env.STOREEDGE_CONTRACT_VIOLATIONS;
  if (file) appendFileSync(file, `${JSON.stringify(record)}\n`);
}
