// Every answer the suites get is held to the published OpenAPI documents (see
// sync/kernel/http/contract-check.ts): on for every test process and every daemon the tests
// start. A breach fails the test that met it; the run also fails at its end when any
// breach was recorded (by a request whose test did not look at the answer), and the
// breaches are kept in test-results/contract-violations.jsonl.
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTRACT_ENV } from '../../sync/kernel/contract-mode.js';

export default function setup(): () => void {
  const file = join(tmpdir(), 'contract-violations.jsonl');
  process.env[CONTRACT_ENV.check] = '1';
  process.env[CONTRACT_ENV.violations] = file;
  return () => {
    if (!existsSync(file)) return;
    const lines = readFileSync(file, 'utf8').trim().split('\n').filter(Boolean);
    if (lines.length === 0) return;
    mkdirSync('test-results', { recursive: true });
    copyFileSync(file, 'test-results/contract-violations.jsonl');
    throw new Error(
      `${lines.length} answers broke the published contract:\n${lines.slice(0, 20).join('\n')}`,
    );
  };
}
