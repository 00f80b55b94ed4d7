// Serial (RS-232 / USB-CDC) barcode scanner. Scanners send each read followed by a
// configurable suffix (CR, LF, CR LF, or none); with none, a pause in the byte stream
// ends the read. The same code read twice within the debounce window is one scan
// (a scanner in presentation mode re-reads a barcode held under it).
import { EventEmitter } from 'node:events';
import { statSync } from 'node:fs';
import { DelimiterParser, InterByteTimeoutParser, SerialPort } from 'serialport';
import type { DeviceState } from '../core/device.js';
import type { ScanEvent, Scanner } from './scanner.js';

export type Suffix = 'cr' | 'lf' | 'crlf' | 'none';

export interface SerialScannerOptions {
  id: string;
  path: string;
  baudRate?: number;
  suffix?: Suffix;
  /** identical reads closer than this are one scan */
  debounceMs?: number;
  /** how often to check that the port's device node is still the one opened */
  watchMs?: number;
  /** with suffix "none": silence that ends a read */
  interByteTimeoutMs?: number;
  maxLength?: number;
  clock?: () => number;
}

const DELIMITER: Record<Exclude<Suffix, 'none'>, Buffer> = {
  cr: Buffer.from('\r'),
  lf: Buffer.from('\n'),
  crlf: Buffer.from('\r\n'),
};

export class SerialScanner extends EventEmitter implements Scanner {
  readonly kind = 'scanner' as const;
  readonly id: string;
  private _state: DeviceState = 'closed';
  private port: SerialPort | null = null;
  private last: { data: string; at: number } | null = null;
  private readonly clock: () => number;
  private watch: NodeJS.Timeout | null = null;

  constructor(private readonly opts: SerialScannerOptions) {
    super();
    this.id = opts.id;
    this.clock = opts.clock ?? Date.now;
  }

  get state(): DeviceState {
    return this._state;
  }

  private setState(state: DeviceState, error?: string): void {
    this._state = state;
    this.emit('state', state, error);
  }

  open(): Promise<void> {
    if (this.port?.isOpen) return Promise.resolve();
    this.setState('connecting');
    return new Promise((resolve, reject) => {
      const port = new SerialPort({
        path: this.opts.path,
        baudRate: this.opts.baudRate ?? 9600,
        autoOpen: false,
      });
      port.open((err) => {
        if (err) {
          this.setState('failed', err.message);
          return reject(err);
        }
        this.port = port;
        const suffix = this.opts.suffix ?? 'cr';
        const parser =
          suffix === 'none'
            ? port.pipe(
                new InterByteTimeoutParser({
                  interval: this.opts.interByteTimeoutMs ?? 30,
                  maxBufferSize: this.opts.maxLength ?? 512,
                }),
              )
            : port.pipe(new DelimiterParser({ delimiter: DELIMITER[suffix], includeDelimiter: false }));
        parser.on('data', (chunk: Buffer) => this.onRead(chunk));
        port.on('close', () => {
          if (this.port === port) {
            this.port = null;
            this.setState('disconnected', 'port closed');
          }
        });
        port.on('error', (e) => this.emit('warning', e));
        this.watchNode(port);
        this.setState('ready');
        resolve();
      });
    });
  }

  /** A USB scanner unplugged makes its device node vanish; a pty's peer going away may
   * not surface as a read error, so the node itself is watched. */
  private watchNode(port: SerialPort): void {
    const rdev = () => {
      try {
        return statSync(this.opts.path).rdev;
      } catch {
        return null;
      }
    };
    const opened = rdev();
    if (this.watch) clearInterval(this.watch);
    this.watch = setInterval(() => {
      if (this.port !== port) return;
      if (rdev() !== opened) {
        this.port = null;
        if (this.watch) clearInterval(this.watch);
        this.watch = null;
        port.close(() => undefined);
        this.setState('disconnected', 'port vanished');
      }
    }, this.opts.watchMs ?? 500);
    this.watch.unref();
  }

  close(): Promise<void> {
    if (this.watch) clearInterval(this.watch);
    this.watch = null;
    const port = this.port;
    this.port = null;
    if (!port?.isOpen) {
      this._state = 'closed';
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      port.close(() => {
        this.setState('closed');
        resolve();
      }),
    );
  }

  private onRead(chunk: Buffer): void {
    // a CR LF scanner read through a LF delimiter, or line noise: trim and drop empties
    const data = chunk.toString('latin1').replace(/^[\r\n\0]+|[\r\n\0]+$/g, '');
    if (!data || data.length > (this.opts.maxLength ?? 512)) return;
    const at = this.clock();
    if (this.last && this.last.data === data && at - this.last.at < (this.opts.debounceMs ?? 300)) {
      this.last.at = at;
      return;
    }
    this.last = { data, at };
    const aim = /^\][A-Za-z][0-9A-Za-z]/.exec(data)?.[0] ?? null;
    this.emit('scan', { data, aim, at } satisfies ScanEvent);
  }
}
