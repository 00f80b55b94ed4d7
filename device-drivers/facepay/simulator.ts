// A face-pay device on the far end of a pty: answers ping, and getFaceCode after the
// shopper "looked and confirmed" (a short wait) with a one-time 18-digit face code, as a
// wallet's face-payment tablet does. Faults on request for the next requests: the
// shopper cancels, the face is not recognised, a garbled line first, a code the wallet
// has no funds for, or an answer that also carries a face image and template (which the
// driver must never take in).
import { ReadlineParser, type SerialPort } from 'serialport';
import { closeSerial, openSerial } from '../core/sim-io.js';

export type FacePayFault = 'cancel' | 'fail' | 'garble' | 'no-funds' | 'biometric' | 'silent';

export class FacePaySimulator {
  private port: SerialPort | null = null;
  private readonly faults: FacePayFault[] = [];
  private seq = 0;
  /** every getFaceCode asked, in order */
  readonly requests: { reference: string; amountFen: number }[] = [];
  /** how long the shopper takes at the device */
  recogniseMs = 600;

  constructor(
    private readonly path: string,
    private readonly baudRate = 115_200,
  ) {}

  async open(): Promise<void> {
    this.port = await openSerial(this.path, this.baudRate);
    this.port
      .pipe(new ReadlineParser({ delimiter: '\n', encoding: 'utf8' }))
      .on('data', (line: string) => void this.onLine(line));
  }

  inject(...faults: FacePayFault[]): void {
    this.faults.push(...faults);
  }

  close(): Promise<void> {
    const p = this.port;
    this.port = null;
    return closeSerial(p);
  }

  private write(body: unknown): void {
    this.port?.write(`${typeof body === 'string' ? body : JSON.stringify(body)}\n`);
  }

  private async onLine(line: string): Promise<void> {
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const id = m.id;
    if (m.cmd === 'ping') return this.write({ id, return_code: 'SUCCESS', model: 'SIM-FACE-1' });
    if (m.cmd !== 'getFaceCode') return;
    this.requests.push({ reference: String(m.out_trade_no), amountFen: Number(m.total_fee) });
    const fault = this.faults.shift();
    await new Promise((r) => setTimeout(r, this.recogniseMs));
    if (fault === 'silent') return;
    if (fault === 'cancel') return this.write({ id, return_code: 'USER_CANCEL' });
    if (fault === 'fail') return this.write({ id, return_code: 'ERROR', return_msg: 'face not recognised' });
    if (fault === 'garble') this.write('{"id":');
    const digits = String(++this.seq).padStart(12, '0');
    const faceCode =
      fault === 'no-funds' ? `130000${digits.slice(0, 8)}9999` : `13${String(Date.now()).slice(-4)}${digits}`;
    this.write({
      id,
      return_code: 'SUCCESS',
      face_code: faceCode,
      openid: `o-sim-${this.seq}`,
      ...(fault === 'biometric'
        ? { face_image: Buffer.alloc(64, 7).toString('base64'), face_template: [0.12, 0.34, 0.56] }
        : {}),
    });
  }
}
