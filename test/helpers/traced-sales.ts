// Runs test/helpers/sales-child.ts: whole sales in a process of their own, plain (for
// their rate) or under strace (for what they ask of the disk).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const child = (dir: string, sales: number) => [
  process.execPath,
  '--import',
  'tsx',
  'test/helpers/sales-child.ts',
  dir,
  String(sales),
];

/** Whole sales per second, as the child measured them. */
export function salesPerSecond(dir: string, sales: number): number {
  const [cmd, ...args] = child(dir, sales);
  const out = execFileSync(cmd!, args, { encoding: 'utf8', timeout: 120_000 });
  return Number(/done ([0-9.]+) sales\/s/.exec(out)![1]);
}

/** The trace of `syscalls` (strace -f), one line each, every line prefixed by its pid. */
export function traceSales(dir: string, sales: number, syscalls: string): string[] {
  mkdirSync(dir, { recursive: true });
  const trace = join(dir, 'trace');
  execFileSync('strace', ['-f', '-qq', '-e', `trace=${syscalls}`, '-o', trace, ...child(dir, sales)], {
    stdio: 'ignore',
    timeout: 120_000,
  });
  return readFileSync(trace, 'utf8').split('\n');
}
