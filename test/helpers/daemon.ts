// Runs the real daemon as a child process (through tsx, from source) and reads its
// JSON log to learn when it is ready and where it listens.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

export interface RunningDaemon {
  proc: ChildProcess;
  address: string;
  /** the HTTPS listener by address (null with tls.enabled false) */
  secureAddress: string | null;
  /** https://<store hostname>:<port>, what phones open */
  publicUrl: string | null;
  logLines: () => Record<string, unknown>[];
  stderr: () => string;
  /** send a signal and wait for the exit code */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface DaemonExit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The daemon from source; an installed release passes its own launcher instead. */
const FROM_SOURCE = [process.execPath, '--import', 'tsx', 'edge/main.ts'];

function launch(args: string[], env: NodeJS.ProcessEnv = {}, command = FROM_SOURCE): ChildProcess {
  const [bin, ...pre] = command as [string, ...string[]];
  return spawn(bin, [...pre, ...args], {
    // a 1 MB disk reserve instead of 64: test daemons are many and short-lived
    env: { ...process.env, STOREEDGE_OUTBOX__RESERVEMB: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs the daemon to completion (for commands that exit by themselves). */
export async function runDaemon(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 30_000,
): Promise<DaemonExit> {
  const proc = launch(args, env);
  let stdout = '';
  let stderr = '';
  proc.stdout?.on('data', (d) => (stdout += d));
  proc.stderr?.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(proc, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

export async function startDaemon(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 30_000,
  command = FROM_SOURCE,
): Promise<RunningDaemon> {
  const proc = launch(args, env, command);
  let stdout = '';
  let stderr = '';
  proc.stderr?.on('data', (d) => (stderr += d));
  const logLines = () =>
    stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  let ready: Record<string, unknown> = {};
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // a daemon that never got ready must not outlive the caller
      proc.kill('SIGKILL');
      reject(new Error(`daemon not ready in ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    proc.stdout?.on('data', (d) => {
      stdout += d;
      const line = logLines().find((l) => l.msg === 'storeedge ready');
      if (line) {
        clearTimeout(timer);
        ready = line;
        resolve(String(line.address));
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited with ${code} before ready:\n${stdout}\n${stderr}`));
    });
  });
  return {
    proc,
    address,
    secureAddress: (ready.secureAddress as string | null | undefined) ?? null,
    publicUrl: (ready.publicUrl as string | null | undefined) ?? null,
    logLines,
    stderr: () => stderr,
    async stop(signal = 'SIGINT') {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      const exited = once(proc, 'exit') as Promise<[number | null]>;
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      const [code] = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** JSON calls to a running daemon's API; writes get a fresh idempotency key. */
export function daemonApi(d: () => RunningDaemon) {
  let n = 0;
  return async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    // biome-ignore lint/suspicious/noExplicitAny: end-to-end tests read JSON answers loosely
  ): Promise<any> => {
    const res = await fetch(`${d().address}/api/v1${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(method !== 'GET' ? { 'idempotency-key': `e2e-${process.pid}-${++n}-${Date.now()}` } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return res.status === 204 ? null : res.json();
  };
}
