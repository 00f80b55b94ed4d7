// A serial barcode scanner on the far end of a pty: sends reads the way real scanners
// do (optional AIM prefix, suffix, bytes in bursts), and can misbehave on request.
import type { SerialPort } from 'serialport';
import { closeSerial, openSerial } from '../core/sim-io.js';
import type { Suffix } from './serial-scanner.js';

const SUFFIX: Record<Suffix, string> = { cr: '\r', lf: '\n', crlf: '\r\n', none: '' };

export class ScannerSimulator {
  private port: SerialPort | null = null;

  constructor(
    private readonly path: string,
    private readonly opts: { suffix?: Suffix; baudRate?: number } = {},
  ) {}

  async open(): Promise<void> {
    this.port = await openSerial(this.path, this.opts.baudRate);
  }

  /** Sends one read; `chunks` > 1 splits it the way a slow USB-serial link delivers bytes. */
  async scan(code: string, o: { aim?: string; chunks?: number } = {}): Promise<void> {
    const bytes = Buffer.from(`${o.aim ?? ''}${code}${SUFFIX[this.opts.suffix ?? 'cr']}`, 'latin1');
    const n = Math.max(1, o.chunks ?? 1);
    const size = Math.ceil(bytes.length / n);
    for (let i = 0; i < bytes.length; i += size) {
      await this.write(bytes.subarray(i, i + size));
      if (n > 1) await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Line noise: bytes that are not a read. */
  noise(bytes: Buffer): Promise<void> {
    return this.write(bytes);
  }

  private write(b: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.port) return reject(new Error('simulator not open'));
      this.port.write(b, (err) => (err ? reject(err) : this.port!.drain(() => resolve())));
    });
  }

  close(): Promise<void> {
    const port = this.port;
    this.port = null;
    return closeSerial(port);
  }
}
