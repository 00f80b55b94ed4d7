// A USB HID keyboard-wedge scanner read from its Linux evdev node (/dev/input/eventN,
// or better its stable /dev/input/by-id/... link). Reading the node directly, rather
// than a focused text field, keeps scans out of whatever window has focus.
// Not done here: EVIOCGRAB (an ioctl Node cannot issue without a native addon), so the
// console still sees the keystrokes; kiosks run without a login console.
import { createReadStream, type ReadStream } from 'node:fs';
import { DeviceBase } from '../core/device-base.js';
import { Debouncer } from './debounce.js';
import { EvdevDecoder, INPUT_EVENT_SIZE } from './evdev-decoder.js';
import type { Scanner } from './scanner.js';

export interface EvdevScannerOptions {
  id: string;
  path: string;
  debounceMs?: number;
  maxLength?: number;
  clock?: () => number;
}

export class EvdevScanner extends DeviceBase implements Scanner {
  readonly kind = 'scanner' as const;
  private stream: ReadStream | null = null;
  private readonly debouncer: Debouncer;

  constructor(private readonly opts: EvdevScannerOptions) {
    super(opts.id);
    this.debouncer = new Debouncer(opts.debounceMs ?? 300, opts.clock ?? Date.now);
  }

  open(): Promise<void> {
    if (this.stream) return Promise.resolve();
    this.setState('connecting');
    return new Promise((resolve, reject) => {
      const decoder = new EvdevDecoder((data, at) => {
        const scan = this.debouncer.accept(data, at);
        if (scan) this.emit('scan', scan);
      }, this.opts.maxLength);
      const stream = createReadStream(this.opts.path, { highWaterMark: INPUT_EVENT_SIZE * 64 });
      let opened = false;
      stream.once('open', () => {
        opened = true;
        this.stream = stream;
        this.setState('ready');
        resolve();
      });
      stream.on('data', (chunk) => decoder.push(chunk as Buffer));
      // an unplugged device node fails reads with ENODEV; a recording ends
      const gone = (reason: string) => {
        if (!opened) {
          this.setState('failed', reason);
          return reject(new Error(reason));
        }
        if (this.stream !== stream) return;
        this.stream = null;
        this.setState('disconnected', reason);
      };
      stream.on('error', (e) => gone(e.message));
      stream.on('end', () => gone('device closed'));
    });
  }

  close(): Promise<void> {
    const stream = this.stream;
    this.stream = null;
    if (!stream) {
      this.markClosed();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      stream.once('close', () => {
        this.setState('closed');
        resolve();
      });
      stream.destroy();
    });
  }
}
