// A pseudo-terminal pair from socat: what one end writes, the other reads, with the
// line discipline of a real serial port. Fails (never skips) when socat is missing.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './ports.js';

export interface PtyPair {
  /** stable symlinks to the two ends (what a config's "path" would name) */
  a: string;
  b: string;
  close(): Promise<void>;
}

/** Opens a pty pair; given the paths of an earlier pair, re-creates it there (a device
 * plugged back in at the same port). */
export async function openPtyPair(at?: { a: string; b: string }): Promise<PtyPair> {
  if (spawnSync('socat', ['-V']).error)
    throw new Error('socat is not installed: run test/setup/system-deps.sh');
  const dir = at ? '' : mkdtempSync(join(tmpdir(), 'storeedge-pty-'));
  const a = at?.a ?? join(dir, 'a');
  const b = at?.b ?? join(dir, 'b');
  const proc: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr?.on('data', (d) => (err += d));
  await waitFor(
    `socat ptys (${err})`,
    () => (existsSync(a) && existsSync(b) ? realpathSync(b) : undefined),
    5000,
  );
  return {
    a,
    b,
    close: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}
