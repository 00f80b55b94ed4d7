// An ESC/POS receipt printer on TCP port 9100 (raw printing, as network receipt
// printers ship). Status is read with DLE EOT before and after each job: a receipt is
// reported printed only when the printer still has paper and a closed cover after it.
// DLE EOT is answered in real time; on a printer with a deep buffer the check after a
// long job can run before the job's last lines print.
import { TcpDevice } from '../core/tcp-link.js';
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

interface Waiting {
  resolve: (b: number) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class EscPosPrinter extends TcpDevice implements Printer {
  readonly kind = 'printer' as const;
  private waiting: Waiting | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: EscPosPrinterOptions) {
    super(opts.id, { host: opts.host, port: opts.port ?? 9100, connectTimeoutMs: opts.connectTimeoutMs });
  }

  // a port that accepts but never answers DLE EOT is not a printer we can trust
  protected override async handshake(): Promise<void> {
    await this.readStatus();
  }

  protected onData(chunk: Buffer): void {
    for (const b of chunk) {
      const w = this.waiting;
      if (!w || !isStatusByte(b)) continue; // stray bytes are not an answer
      this.waiting = null;
      clearTimeout(w.timer);
      w.resolve(b);
    }
  }

  protected override detach(reason: string): void {
    const w = this.waiting;
    this.waiting = null;
    if (w) {
      clearTimeout(w.timer);
      w.reject(new PrinterError(`${this.id}: ${reason}`, 'OFFLINE'));
    }
  }

  private write(bytes: Buffer): Promise<void> {
    return this.send(bytes).catch((e: Error) => {
      throw new PrinterError(e.message, 'OFFLINE');
    });
  }

  private statusByte(n: 1 | 2 | 4): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        reject(new PrinterError(`${this.id}: no status answer`, 'TIMEOUT'));
      }, this.opts.timeoutMs ?? 1000);
      this.waiting = { resolve, reject, timer };
      this.write(statusRequest(n)).catch((e: Error) => {
        clearTimeout(timer);
        this.waiting = null;
        reject(e);
      });
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
      await this.write(bytes);
      check(this.id, await this.readStatus(), 'after printing');
    });
  }
}

function check(id: string, s: PrinterStatus, when: string): void {
  if (s.coverOpen) throw new PrinterError(`${id}: cover open ${when}`, 'COVER_OPEN', s);
  if (s.paperOut) throw new PrinterError(`${id}: out of paper ${when}`, 'PAPER_OUT', s);
  if (s.error || !s.online) throw new PrinterError(`${id}: printer error ${when}`, 'PRINTER_ERROR', s);
}
