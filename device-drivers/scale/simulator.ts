// An MT-SICS scale on the far end of a pty: answers S, SI, Z and I4 as a retail scale
// does, with a load that settles over time, a capacity and a zero range, and faults on
// request (drop answers, garble them, answer late, vanish).
import { ReadlineParser, type SerialPort } from 'serialport';
import { closeSerial, openSerial } from '../core/sim-io.js';

export interface ScaleSimulatorOptions {
  baudRate?: number;
  capacityG?: number;
  /** how long S waits for a moving load to settle before answering "S I" */
  stableWaitMs?: number;
  serialNumber?: string;
}

export class ScaleSimulator {
  private port: SerialPort | null = null;
  private rawG = 0;
  private tareG = 0;
  private settlesAt = 0;
  private faults = { drop: 0, corrupt: 0, delayMs: 0 };
  readonly commands: string[] = [];
  // a scale answers in the order it was asked
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly opts: ScaleSimulatorOptions = {},
  ) {}

  async open(): Promise<void> {
    const port = await openSerial(this.path, this.opts.baudRate);
    this.port = port;
    port.pipe(new ReadlineParser({ delimiter: '\r\n', encoding: 'latin1' })).on('data', (line: string) => {
      this.chain = this.chain.then(() => this.onCommand(line.trim()));
    });
  }

  /** Puts a load on the platter (grams, gross); it reads as moving for `settleMs`. */
  place(grams: number, settleMs = 0): void {
    this.rawG = grams;
    this.settlesAt = Date.now() + settleMs;
  }

  get netGrams(): number {
    return this.rawG - this.tareG;
  }

  /** Misbehave on the next commands. */
  fault(f: Partial<{ drop: number; corrupt: number; delayMs: number }>): void {
    this.faults = { ...this.faults, ...f };
  }

  private moving(): boolean {
    return Date.now() < this.settlesAt;
  }

  private weightLine(kind: 'S' | 'D'): string {
    const kg = (this.netGrams / 1000).toFixed(3);
    return `S ${kind} ${kg.padStart(10)} kg`;
  }

  private async answer(cmd: string): Promise<string> {
    const capacity = this.opts.capacityG ?? 15_000;
    switch (cmd) {
      case 'I4':
      case '@':
        return `I4 A "${this.opts.serialNumber ?? 'SIM0001234'}"`;
      case 'SI':
        if (this.rawG > capacity) return 'S +';
        if (this.netGrams < -capacity * 0.02) return 'S -';
        return this.weightLine(this.moving() ? 'D' : 'S');
      case 'S': {
        const waitUntil = Date.now() + (this.opts.stableWaitMs ?? 800);
        while (this.moving() && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 20));
        if (this.moving()) return 'S I';
        if (this.rawG > capacity) return 'S +';
        if (this.netGrams < -capacity * 0.02) return 'S -';
        return this.weightLine('S');
      }
      case 'Z':
        if (this.moving()) return 'Z I';
        if (Math.abs(this.rawG) > capacity * 0.02) return 'Z +';
        this.tareG = this.rawG;
        return 'Z A';
      default:
        return 'ES';
    }
  }

  private async onCommand(cmd: string): Promise<void> {
    this.commands.push(cmd);
    if (this.faults.drop > 0) {
      this.faults.drop--;
      return;
    }
    let line = await this.answer(cmd);
    if (this.faults.corrupt > 0) {
      this.faults.corrupt--;
      line = line.replace(/[0-9]/g, '#').replace(/^S/, '\x15S');
    }
    if (this.faults.delayMs > 0) {
      const delay = this.faults.delayMs;
      this.faults.delayMs = 0;
      // answered late, but without holding up the next command's answer order
      await new Promise((r) => setTimeout(r, delay));
    }
    this.port?.write(`${line}\r\n`, 'latin1');
  }

  close(): Promise<void> {
    const port = this.port;
    this.port = null;
    return closeSerial(port);
  }
}
