// Serial (RS-232 / USB-CDC) barcode scanner. Scanners send each read followed by a
// configurable suffix (CR, LF, CR LF, or none); with none, a pause in the byte stream
// ends the read.
import { DelimiterParser, InterByteTimeoutParser, type SerialPort } from 'serialport';
import { SerialDevice } from '../core/serial-link.js';
import { Debouncer } from './debounce.js';
import type { Scanner } from './scanner.js';

export type Suffix = 'cr' | 'lf' | 'crlf' | 'none';

export interface SerialScannerOptions {
  id: string;
  path: string;
  baudRate?: number;
  suffix?: Suffix;
  /** identical reads closer than this are one scan */
  debounceMs?: number;
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

export class SerialScanner extends SerialDevice implements Scanner {
  readonly kind = 'scanner' as const;
  private readonly debouncer: Debouncer;

  constructor(private readonly opts: SerialScannerOptions) {
    super(opts.id, opts);
    this.debouncer = new Debouncer(opts.debounceMs ?? 300, opts.clock ?? Date.now);
  }

  protected attach(port: SerialPort): void {
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
  }

  private onRead(chunk: Buffer): void {
    // a CR LF scanner read through a LF delimiter, or line noise: trim and drop empties
    const data = chunk.toString('latin1').replace(/^[\r\n\0]+|[\r\n\0]+$/g, '');
    if (!data || data.length > (this.opts.maxLength ?? 512)) return;
    const scan = this.debouncer.accept(data);
    if (scan) this.emit('scan', scan);
  }
}
