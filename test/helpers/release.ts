// The store box's release, built once per suite from this checkout and installed the way
// a store box installs it: `dpkg --install` of the Debian package, here into a throwaway
// root (dpkg --root with --force-script-chrootless, so the maintainer scripts run with
// $DPKG_ROOT set and touch nothing outside it).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './ports.js';

export function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** A fresh root with an empty dpkg database, this machine's users and groups, and systemd's units. */
export function throwawayRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'storeedge-root-'));
  for (const d of [
    'var/lib/dpkg/info',
    'var/lib/dpkg/updates',
    'var/lib/dpkg/triggers',
    'var/log',
    'etc',
    'tmp',
  ])
    mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, 'var/lib/dpkg/status'), '');
  for (const f of ['passwd', 'group', 'shadow', 'gshadow', 'login.defs'])
    if (existsSync(`/etc/${f}`)) copyFileSync(`/etc/${f}`, join(root, 'etc', f));
  // systemd-analyze verify --root resolves the unit's dependencies (sysinit.target, …) there
  cpSync('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true });
  return root;
}

export function dpkgInstall(root: string, deb: string): string {
  return sh('dpkg', [
    `--root=${root}`,
    '--force-script-chrootless',
    // ffmpeg and passwd are this machine's, not the throwaway root's database's
    '--force-depends',
    `--log=${join(root, 'var/log/dpkg.log')}`,
    '--install',
    deb,
  ]);
}

/** A stand-in for systemd's notify socket: socat receives the datagrams (a real, separate peer). */
export async function notifySocket(dir: string): Promise<{
  path: string;
  messages(): string[];
  stop(): Promise<void>;
}> {
  const path = join(dir, `notify-${process.pid}-${Date.now()}.sock`);
  const out = `${path}.log`;
  writeFileSync(out, '');
  const proc: ChildProcess = spawn('socat', ['-u', `UNIX-RECV:${path},unlink-early`, `OPEN:${out},append`], {
    stdio: 'ignore',
  });
  await waitFor('notify socket', () => (existsSync(path) ? true : undefined), 5000);
  return {
    path,
    messages: () =>
      readFileSync(out, 'utf8')
        .split('\n')
        .filter((l) => l.length > 0),
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const gone = once(proc, 'exit');
        proc.kill('SIGTERM');
        await gone;
      }
    },
  };
}
