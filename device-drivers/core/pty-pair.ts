// A pseudo-terminal pair from socat: what one end writes, the other reads, with the
// line discipline of a real serial port. Simulators sit on one end and drivers open
// the other, exactly as they would open /dev/ttyUSB0.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PtyPair {
  /** stable symlinks to the two ends (what a config's "path" would name) */
  a: string;
  b: string;
  close(): Promise<void>;
}

/** Opens a pty pair; given the paths of an earlier pair, re-creates it there (a device
 * plugged back in at the same port). */
export async function openPtyPair(at?: { a: string; b: string }, timeoutMs = 5000): Promise<PtyPair> {
  if (spawnSync('socat', ['-V']).error)
    throw new Error('socat is not installed (apt-get install socat; npm test and npm start install it)');
  const dir = at ? '' : mkdtempSync(join(tmpdir(), 'storeedge-pty-'));
  const a = at?.a ?? join(dir, 'a');
  const b = at?.b ?? join(dir, 'b');
  const proc: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr?.on('data', (d) => (err += d));
  const until = Date.now() + timeoutMs;
  while (!(existsSync(a) && existsSync(b) && realpathSync(b))) {
    if (proc.exitCode !== null || Date.now() > until) {
      proc.kill('SIGTERM');
      throw new Error(`socat pty pair did not come up: ${err.trim() || 'timeout'}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
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
