// HQ ingest workers as real processes (hq/cli.ts through tsx), so a test can SIGKILL one
// mid-batch the way a crashed machine would.
import { type ChildProcess, spawn } from 'node:child_process';

export interface WorkerProcess {
  id: string;
  proc: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startWorker(
  id: string,
  o: { db: string; broker: string; gapMs?: number },
  timeoutMs = 30_000,
): Promise<WorkerProcess> {
  const proc = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'hq/cli.ts',
      'ingest',
      '--db',
      o.db,
      '--broker',
      o.broker,
      '--id',
      id,
      '--gap-ms',
      String(o.gapMs ?? 1500),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HQ_LOG_LEVEL: 'info' } },
  );
  let out = '';
  proc.stdout?.on('data', (d) => (out += d));
  proc.stderr?.on('data', (d) => (out += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker ${id} not ready:\n${out}`)), timeoutMs);
    const check = () => {
      if (out.includes('"hq ingest ready"')) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout?.on('data', check);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker ${id} exited with ${code}:\n${out}`));
    });
  });
  return {
    id,
    proc,
    output: () => out,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve(proc.exitCode);
        proc.once('exit', (code) => resolve(code));
        proc.kill(signal);
      }),
  };
}
