// An ESC/POS receipt printer on a loopback TCP port: decodes the command stream into
// printed lines, QR codes and cuts (what a test or the demo can look at), answers
// DLE EOT status requests, and runs out of paper, opens its cover or drops the
// connection on request.
import { createServer, type Server, type Socket } from 'node:net';
import iconv from 'iconv-lite';
import { listenLoopback } from '../core/sim-io.js';
import { DLE, ESC, FS, GS, LF } from './escpos.js';

export interface PrintedLine {
  text: string;
  bold: boolean;
  size: number;
  align: number;
}

export interface PrintedJob {
  lines: PrintedLine[];
  qr: string[];
  cut: boolean;
}

export class PrinterSimulator {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private job: PrintedJob = { lines: [], qr: [], cut: false };
  readonly jobs: PrintedJob[] = [];
  /** the paper left, in lines; printing stops when it runs out */
  paperLines = Number.POSITIVE_INFINITY;
  coverOpen = false;
  /** status requests go unanswered */
  mute = false;
  unknownCommands = 0;
  private style = { bold: false, size: 1, align: 0, cjk: false };
  private text: number[] = [];
  private qrData = '';
  private stopped = false;
  port = 0;

  async listen(port = 0): Promise<number> {
    this.server = createServer((s) => this.connection(s));
    this.port = await listenLoopback(this.server, port);
    return this.port;
  }

  /** The printer vanishes: every connection drops and no new one is accepted. */
  async unplug(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = null;
  }

  async close(): Promise<void> {
    await this.unplug();
  }

  /** refill paper and clear the stop, as staff do after opening and closing the cover */
  refill(lines = Number.POSITIVE_INFINITY): void {
    this.paperLines = lines;
    this.stopped = false;
  }

  private connection(socket: Socket): void {
    this.sockets.add(socket);
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      const used = this.consume(buf, socket);
      buf = buf.subarray(used);
    });
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
  }

  private statusByte(n: number): number {
    const base = 0x12;
    const paperOut = this.paperLines <= 0;
    if (n === 1) return base | (this.coverOpen || paperOut || this.stopped ? 0x08 : 0);
    if (n === 2) return base | (this.coverOpen ? 0x04 : 0) | (this.stopped ? 0x20 : 0);
    if (n === 4) return base | (paperOut ? 0x60 : 0) | (this.paperLines < 20 ? 0x0c : 0);
    return base;
  }

  /** Parses whole commands from the buffer; returns how many bytes were used. */
  private consume(b: Buffer, socket: Socket): number {
    let i = 0;
    while (i < b.length) {
      const c = b[i]!;
      const need = (n: number) => i + n <= b.length;
      if (c === DLE) {
        if (!need(3)) break;
        if (b[i + 1] === 0x04 && !this.mute) socket.write(Buffer.from([this.statusByte(b[i + 2]!)]));
        i += 3;
      } else if (c === ESC) {
        if (!need(2)) break;
        const cmd = b[i + 1]!;
        if (cmd === 0x40) {
          this.style = { bold: false, size: 1, align: 0, cjk: false };
          i += 2;
          continue;
        }
        if (!need(3)) break;
        const n = b[i + 2]!;
        if (cmd === 0x45) this.style.bold = (n & 1) === 1;
        else if (cmd === 0x61) this.style.align = n;
        else if (cmd === 0x64) for (let k = 0; k < n; k++) this.emitLine();
        else this.unknownCommands++;
        i += 3;
      } else if (c === FS) {
        if (!need(2)) break;
        if (b[i + 1] === 0x26) this.style.cjk = true;
        else if (b[i + 1] === 0x2e) this.style.cjk = false;
        else this.unknownCommands++;
        i += 2;
      } else if (c === GS) {
        if (!need(2)) break;
        const cmd = b[i + 1]!;
        if (cmd === 0x21) {
          if (!need(3)) break;
          this.style.size = (b[i + 2]! & 0x0f) + 1;
          i += 3;
        } else if (cmd === 0x28 && b[i + 2] === 0x6b) {
          if (!need(5)) break;
          const len = b[i + 3]! + (b[i + 4]! << 8);
          if (!need(5 + len)) break;
          this.qrFunction(b.subarray(i + 5, i + 5 + len));
          i += 5 + len;
        } else if (cmd === 0x56) {
          if (!need(3)) break;
          const len = b[i + 2]! >= 65 ? 4 : 3; // GS V m, or GS V m n for the feed-and-cut forms
          if (!need(len)) break;
          i += len;
          this.cut();
        } else {
          this.unknownCommands++;
          i += 2;
        }
      } else if (c === LF) {
        this.emitLine();
        i += 1;
      } else if (c === 0x0d) {
        i += 1;
      } else {
        this.text.push(c);
        i += 1;
      }
    }
    return i;
  }

  private qrFunction(p: Buffer): void {
    // p = cn fn params; cn 0x31 is QR. fn 0x50 stores, 0x51 prints the stored symbol.
    if (p[0] !== 0x31) return;
    if (p[1] === 0x50) this.qrData = p.subarray(3).toString('utf8');
    else if (p[1] === 0x51 && this.canPrint()) {
      this.job.qr.push(this.qrData);
      this.paperLines -= 8;
    }
  }

  private canPrint(): boolean {
    if (this.coverOpen || this.stopped) return false;
    if (this.paperLines <= 0) {
      this.stopped = true; // paper ran out mid-job: the rest of the job is lost
      return false;
    }
    return true;
  }

  private emitLine(): void {
    const raw = Buffer.from(this.text);
    this.text = [];
    if (!this.canPrint()) return;
    const text = this.style.cjk ? iconv.decode(raw, 'gb18030') : raw.toString('latin1');
    this.job.lines.push({ text, bold: this.style.bold, size: this.style.size, align: this.style.align });
    this.paperLines -= this.style.size;
  }

  private cut(): void {
    if (this.text.length) this.emitLine();
    if (!this.canPrint()) return;
    this.job.cut = true;
    this.jobs.push(this.job);
    this.job = { lines: [], qr: [], cut: false };
  }
}
