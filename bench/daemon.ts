// The demo store's daemon as a child process, for the benches that load it from outside:
// started from source on a free port with its database in `dbPath`, `env` on top
// (STOREEDGE_CAMERAS='[]' for none, say). Resolves once it serves.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export const KIOSK_TOKEN = 'demo-kiosk-1-token-change-me';

export function startDaemon(
  dbPath: string,
  env: Record<string, string> = {},
): Promise<{ proc: ChildProcess; address: string }> {
  const proc = spawn(
    process.execPath,
    // the young generation and malloc setting the launcher gives it (edge/release/files/storeedge)
    ['--max-semi-space-size=4', '--import', 'tsx', 'edge/main.ts', '--config', 'config/demo-store.yaml'],
    {
      env: {
        ...process.env,
        STOREEDGE_DB__PATH: dbPath,
        STOREEDGE_HTTP__PORT: '0',
        MALLOC_MMAP_THRESHOLD_: '131072',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`daemon not ready in 60 s: ${out}`));
    }, 60_000);
    const onData = (d: Buffer) => {
      out += d;
      const m = /listening on (http:\/\/[0-9.:]+)/.exec(out) ?? /"address":"(http:[^"]+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        out = '';
        // from here on the log is only drained
        proc.stdout?.off('data', onData);
        proc.stderr?.off('data', onData);
        proc.stdout?.resume();
        proc.stderr?.on('data', (e: Buffer) => process.stderr.write(e));
        resolve({ proc, address: m[1]! });
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited (${code}): ${out}`));
    });
  });
}

export async function stopDaemon(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  proc.kill('SIGTERM');
  await new Promise((r) => proc.once('exit', r));
}

export const rssMB = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
};

/** Products a kiosk sells without an attendant: by the piece, no age check, no label. */
export function kioskCodes(): string[] {
  const seed = JSON.parse(readFileSync('config/demo/catalog.json', 'utf8')) as {
    catalog: { products: { gtin: string; soldBy?: string; minAge?: number; label?: unknown }[] };
  };
  return seed.catalog.products
    .filter((p) => (p.soldBy ?? 'each') === 'each' && !p.minAge && !p.label)
    .map((p) => p.gtin);
}
