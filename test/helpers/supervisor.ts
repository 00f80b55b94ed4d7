// What systemd does for storeedge.service, for the update drills in a sandbox where
// systemd is not PID 1: runs ExecStart (storeedge-start), and starts it again after
// RestartSec when it exits non-zero (Restart=on-failure), up to StartLimitBurst starts
// in StartLimitIntervalSec, each value read from the installed unit. The unit itself is
// checked by systemd-analyze verify.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';

export interface RestartPolicy {
  restartMs: number;
  burst: number;
  intervalMs: number;
}

/** Restart=on-failure's timing from a unit file (RestartSec, StartLimitBurst, StartLimitIntervalSec). */
export function unitRestartPolicy(unitFile: string): RestartPolicy {
  const unit = readFileSync(unitFile, 'utf8');
  const value = (key: string) => {
    const m = new RegExp(`^${key}=(\\d+)$`, 'm').exec(unit);
    if (!m) throw new Error(`${unitFile}: no ${key}=`);
    return Number(m[1]);
  };
  if (!/^Restart=on-failure$/m.test(unit)) throw new Error(`${unitFile}: not Restart=on-failure`);
  return {
    restartMs: value('RestartSec') * 1000,
    burst: value('StartLimitBurst'),
    intervalMs: value('StartLimitIntervalSec') * 1000,
  };
}

export interface Run {
  proc: ChildProcess;
  startedAt: number;
  stdout: string;
  stderr: string;
  exit: number | null;
}

export class Supervisor {
  readonly runs: Run[] = [];
  private stopping = false;
  private restartTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly command: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly o: RestartPolicy,
  ) {}

  start(): void {
    const recent = this.runs.filter((r) => Date.now() - r.startedAt < this.o.intervalMs);
    if (recent.length >= this.o.burst) return; // start limit hit: systemd gives up too
    const proc = spawn(this.command, this.args, {
      env: { ...process.env, STOREEDGE_OUTBOX__RESERVEMB: '1', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run: Run = { proc, startedAt: Date.now(), stdout: '', stderr: '', exit: null };
    proc.stdout?.on('data', (d) => (run.stdout += d));
    proc.stderr?.on('data', (d) => (run.stderr += d));
    proc.once('exit', (code, signal) => {
      run.exit = code ?? (signal ? 128 : null);
      if (!this.stopping && run.exit !== 0)
        this.restartTimer = setTimeout(() => this.start(), this.o.restartMs);
    });
    this.runs.push(run);
  }

  current(): Run | undefined {
    return this.runs.at(-1);
  }

  /** The log lines of the current run (pino JSON). */
  lines(run = this.current()): Record<string, unknown>[] {
    return (run?.stdout ?? '')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** Where the current run listens, once it says it is ready. */
  address(): string | undefined {
    const run = this.current();
    if (!run || run.exit !== null) return undefined;
    const ready = this.lines(run).find((l) => l.msg === 'storeedge ready');
    return ready ? String(ready.address) : undefined;
  }

  kill(signal: NodeJS.Signals): void {
    this.current()?.proc.kill(signal);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const run = this.current();
    if (run && run.exit === null && run.proc.exitCode === null && run.proc.signalCode === null) {
      const gone = once(run.proc, 'exit');
      run.proc.kill('SIGTERM');
      const t = setTimeout(() => run.proc.kill('SIGKILL'), 15_000);
      await gone;
      clearTimeout(t);
    }
  }
}
