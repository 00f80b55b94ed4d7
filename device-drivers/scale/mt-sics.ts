// Mettler-Toledo Standard Interface Command Set (MT-SICS), level 0 commands, over a
// serial line. Reference: "MT-SICS Interface Command Set for Excellence/Standard
// balances", Reference Manual (Mettler-Toledo). Commands and answers are ASCII lines
// ending CR LF; one command is answered before the next is sent.
//   S   → "S S <weight> <unit>" stable | "S I" not now (no stable weight in time) |
//         "S +" overload | "S -" underload
//   SI  → "S S …" or "S D …" (dynamic: the load is moving)
//   Z   → "Z A" zeroed | "Z I" not now | "Z +" / "Z -" outside the zero range
//   I4  → 'I4 A "<serial number>"'
//   @   → 'I4 A "<serial number>"' after cancelling whatever was in progress
//   any → "ES" syntax error, "ET" transmission error, "EL" logical error
// After a command times out its answer may still come; the next command is preceded by
// "@" and every line before the reset's answer is discarded, so a late weight is never
// taken for a fresh one.
import { ReadlineParser, type SerialPort } from 'serialport';
import { SerialDevice } from '../core/serial-link.js';
import { GRAMS_PER_UNIT, type Scale, ScaleError, type WeightReading } from './scale.js';

export interface MtSicsOptions {
  id: string;
  path: string;
  baudRate?: number;
  /** how long one command may wait for its answer (S waits for stability) */
  timeoutMs?: number;
  watchMs?: number;
  clock?: () => number;
}

interface Pending {
  command: string;
  /** lines not matching are stale and dropped (used while resynchronising) */
  accept: RegExp | null;
  resolve: (line: string) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

const WEIGHT = /^S ([SD]) +(-?\d+(?:\.\d+)?) ([a-z]+)$/;

export class MtSicsScale extends SerialDevice implements Scale {
  readonly kind = 'scale' as const;
  serialNumber: string | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private pending: Pending | null = null;
  private resync = false;
  private readonly clock: () => number;

  constructor(private readonly opts: MtSicsOptions) {
    super(opts.id, opts);
    this.clock = opts.clock ?? Date.now;
  }

  protected async attach(port: SerialPort): Promise<void> {
    const lines = port.pipe(new ReadlineParser({ delimiter: '\r\n', encoding: 'latin1' }));
    lines.on('data', (line: string) => this.onLine(line));
    // an answer to I4 proves a SICS scale is on the line, not just an open port
    const answer = await this.command('I4');
    this.resync = false;
    const m = /^I4 A "(.*)"$/.exec(answer);
    if (!m) throw new ScaleError(`unexpected identification answer "${answer}"`, 'BAD_FRAME');
    this.serialNumber = m[1]!;
  }

  protected override detach(): void {
    const p = this.pending;
    this.pending = null;
    if (p) {
      clearTimeout(p.timer);
      p.reject(new ScaleError(`${this.id}: scale disconnected`, 'OFFLINE'));
    }
  }

  private onLine(raw: string): void {
    const line = raw.replace(/^[\r\n]+/, '');
    const p = this.pending;
    if (!p) return; // an answer nobody waits for (after a timeout): dropped
    if (p.accept && !p.accept.test(line)) return;
    this.pending = null;
    clearTimeout(p.timer);
    p.resolve(line);
  }

  /** Sends one command and waits for its line; commands queue behind each other. */
  private command(cmd: string): Promise<string> {
    const run = async () => {
      if (this.resync) {
        await this.exchange('@', /^I4 A /);
        this.resync = false;
      }
      return this.exchange(cmd, null);
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private exchange(cmd: string, accept: RegExp | null): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      if (!this.port) return reject(new ScaleError(`${this.id}: scale not connected`, 'OFFLINE'));
      const timer = setTimeout(() => {
        this.pending = null;
        this.resync = true;
        reject(new ScaleError(`${this.id}: no answer to ${cmd}`, 'TIMEOUT'));
      }, this.opts.timeoutMs ?? 1500);
      this.pending = { command: cmd, accept, resolve, reject, timer };
      this.write(Buffer.from(`${cmd}\r\n`, 'latin1')).catch((e: Error) => {
        clearTimeout(timer);
        this.pending = null;
        reject(new ScaleError(e.message, 'OFFLINE'));
      });
    });
  }

  async weighStable(): Promise<WeightReading> {
    return parseWeight('S', await this.command('S'), this.clock());
  }

  async weighNow(): Promise<WeightReading> {
    return parseWeight('SI', await this.command('SI'), this.clock());
  }

  async zero(): Promise<void> {
    const line = await this.command('Z');
    if (line === 'Z A') return;
    if (line === 'Z I') throw new ScaleError('cannot zero now: the load is moving', 'UNSTABLE');
    if (line === 'Z +' || line === 'Z -') throw new ScaleError('load outside the zero range', 'REFUSED');
    throw new ScaleError(`malformed answer to Z "${line}"`, 'BAD_FRAME');
  }
}

/** Reads the answer to S or SI; anything but a well-formed weight is a ScaleError. */
export function parseWeight(cmd: 'S' | 'SI', line: string, at: number): WeightReading {
  if (line === 'S I')
    throw new ScaleError('no stable weight: the load is still moving', cmd === 'S' ? 'UNSTABLE' : 'REFUSED');
  if (line === 'S +') throw new ScaleError('scale overloaded', 'OVERLOAD');
  if (line === 'S -') throw new ScaleError('scale underloaded: zero it', 'UNDERLOAD');
  if (line === 'ES' || line === 'ET' || line === 'EL')
    throw new ScaleError(`scale refused ${cmd}: ${line}`, 'REFUSED');
  const m = WEIGHT.exec(line);
  const factor = m ? GRAMS_PER_UNIT[m[3]!] : undefined;
  if (!m || factor === undefined) throw new ScaleError(`malformed scale answer "${line}"`, 'BAD_FRAME');
  if (cmd === 'S' && m[1] !== 'S') throw new ScaleError('dynamic answer to S', 'BAD_FRAME');
  return {
    grams: Math.round(Number(m[2]) * factor * 10) / 10,
    stable: m[1] === 'S',
    unit: m[3]!,
    at,
  };
}
