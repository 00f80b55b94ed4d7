// An ESC/POS receipt printer on TCP port 9100 (raw printing, as network receipt
// printers ship). Status is read with DLE EOT before and after each job: a receipt
// is reported printed only when the printer still has paper and a closed cover after it.
import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import type { DeviceState } from '../core/device.js';
import { decodeStatus, encodeEscPos, isStatusByte, statusRequest } from './escpos.js';
import { type PrintBlock, type Printer, PrinterError, type PrinterStatus } from './printer.js';

export interface EscPosPrinterOptions {
  id: string;
  host: string;
  port?: number;
  /** how long a status byte may take */
  timeoutMs?: number;
  connectTimeoutMs?: number;
}

export class EscPosPrinter extends EventEmitter implements Printer {
  readonly kind = 'printer' as const;
  readonly id: string;
  private _state: DeviceState = 'closed';
  private socket: Socket | null = null;
  private waiting: {
    resolve: (b: number) => void;
    reject: (e: Error) => void;
    timer: NodeJS.Timeout;
  } | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: EscPosPrinterOptions) {
    super();
    this.id = opts.id;
  }

  get state(): DeviceState {
    return this._state;
  }

  private setState(state: DeviceState, error?: string): void {
    this._state = state;
    this.emit('state', state, error);
  }

  open(): Promise<void> {
    if (this.socket) return Promise.resolve();
    this.setState('connecting');
    return new Promise((resolve, reject) => {
      const socket = new Socket();
      const timer = setTimeout(
        () => socket.destroy(new Error('connect timed out')),
        this.opts.connectTimeoutMs ?? 3000,
      );
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 5000);
      socket.once('connect', async () => {
        clearTimeout(timer);
        this.socket = socket;
        try {
          await this.status();
        } catch (e) {
          // a port that accepts but never answers DLE EOT is not a printer we can trust
          socket.destroy();
          this.socket = null;
          this.setState('failed', (e as Error).message);
          return reject(e);
        }
        this.setState('ready');
        resolve();
      });
      socket.on('data', (chunk) => {
        for (const b of chunk) {
          const w = this.waiting;
          if (!w || !isStatusByte(b)) continue; // stray bytes are not an answer
          this.waiting = null;
          clearTimeout(w.timer);
          w.resolve(b);
        }
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        if (this.socket !== socket) {
          this.setState('failed', e.message);
          return reject(e);
        }
      });
      socket.once('close', () => {
        clearTimeout(timer);
        if (this.socket !== socket) return;
        this.socket = null;
        this.failWaiting(new PrinterError(`${this.id}: printer connection lost`, 'OFFLINE'));
        this.setState('disconnected', 'connection closed');
      });
      socket.connect(this.opts.port ?? 9100, this.opts.host);
    });
  }

  private failWaiting(e: Error): void {
    const w = this.waiting;
    this.waiting = null;
    if (w) {
      clearTimeout(w.timer);
      w.reject(e);
    }
  }

  private send(bytes: Buffer): Promise<void> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new PrinterError(`${this.id}: printer not connected`, 'OFFLINE'));
    return new Promise((resolve, reject) => socket.write(bytes, (e) => (e ? reject(e) : resolve())));
  }

  private statusByte(n: 1 | 2 | 4): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        reject(new PrinterError(`${this.id}: no status answer`, 'TIMEOUT'));
      }, this.opts.timeoutMs ?? 1000);
      this.waiting = { resolve, reject, timer };
      this.send(statusRequest(n)).catch((e: Error) => this.failWaiting(e));
    });
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async readStatus(): Promise<PrinterStatus> {
    const printer = await this.statusByte(1);
    const offline = await this.statusByte(2);
    const paper = await this.statusByte(4);
    return decodeStatus(printer, offline, paper);
  }

  status(): Promise<PrinterStatus> {
    return this.serial(() => this.readStatus());
  }

  print(doc: PrintBlock[]): Promise<void> {
    const bytes = encodeEscPos(doc);
    return this.serial(async () => {
      check(this.id, await this.readStatus(), 'before printing');
      await this.send(bytes);
      check(this.id, await this.readStatus(), 'after printing');
    });
  }

  close(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    this.failWaiting(new PrinterError(`${this.id}: printer closed`, 'OFFLINE'));
    if (!socket) {
      this._state = 'closed';
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      socket.once('close', () => {
        this.setState('closed');
        resolve();
      });
      socket.end();
      socket.destroySoon();
    });
  }
}

function check(id: string, s: PrinterStatus, when: string): void {
  if (s.coverOpen) throw new PrinterError(`${id}: cover open ${when}`, 'COVER_OPEN', s);
  if (s.paperOut) throw new PrinterError(`${id}: out of paper ${when}`, 'PAPER_OUT', s);
  if (s.error || !s.online) throw new PrinterError(`${id}: printer error ${when}`, 'PRINTER_ERROR', s);
}
