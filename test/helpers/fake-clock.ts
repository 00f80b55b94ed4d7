// A wall clock the test moves for a real process: Debian's libfaketime, preloaded into
// the process (and its children), reads an offset from a file the test writes. Only the
// wall clock moves (FAKETIME_DONT_FAKE_MONOTONIC): timers and timeouts run as they would.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function library(): string {
  let files: string[] = [];
  try {
    files = execFileSync('dpkg', ['-L', 'libfaketime'], { encoding: 'utf8' }).split('\n');
  } catch {}
  const lib = files.find((f) => f.endsWith('/libfaketime.so.1') && existsSync(f));
  if (!lib) throw new Error('libfaketime is not installed (test/setup/system-deps.sh installs faketime)');
  return lib;
}

export interface FakeClock {
  /** env for the process whose clock this is */
  env: NodeJS.ProcessEnv;
  /** moves that process's wall clock to real time + `offsetMs` (read within a second) */
  set(offsetMs: number): void;
}

export function fakeClock(): FakeClock {
  const file = join(mkdtempSync(join(tmpdir(), 'storeedge-clock-')), 'offset');
  const set = (offsetMs: number) =>
    writeFileSync(file, `${offsetMs >= 0 ? '+' : '-'}${Math.abs(Math.round(offsetMs / 1000))}\n`);
  set(0);
  return {
    env: {
      LD_PRELOAD: library(),
      FAKETIME_TIMESTAMP_FILE: file,
      FAKETIME_CACHE_DURATION: '1',
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
    },
    set,
  };
}
