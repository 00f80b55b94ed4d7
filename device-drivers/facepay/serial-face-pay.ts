// A face-pay device on a serial line (USB-CDC), speaking the face-payment SDK's requests
// as one JSON object per line: `getFaceCode` with the order number and amount, answered
// by a face code once the shopper looked and confirmed on the device, or USER_CANCEL or
// an error; `cancel` ends a request the kiosk gives up on; `ping` at open identifies it.
// Lines that are not JSON, too long, or for another request are dropped. Of an answer,
// only the return code and an 18-digit face code are kept: whatever else a device sends
// (a face image, a template) is never read into the daemon.
import { ReadlineParser, type SerialPort } from 'serialport';
import { SerialDevice } from '../core/serial-link.js';
import type { FaceCodeRequest, FaceCodeResult, FacePay } from './face-pay.js';

export interface SerialFacePayOptions {
  id: string;
  path: string;
  baudRate?: number;
  merchantId: string;
  /** how long the shopper has at the device */
  confirmTimeoutMs?: number;
  requestTimeoutMs?: number;
}

const MAX_LINE = 4096;
const FACE_CODE = /^1[0-5]\d{16}$/;

interface Pending {
  id: number;
  resolve: (a: { returnCode: string; faceCode: string | null; message: string | null }) => void;
  timer: NodeJS.Timeout;
}

export class SerialFacePay extends SerialDevice implements FacePay {
  readonly kind = 'face-pay' as const;
  private seq = 0;
  private pending: Pending | null = null;
  /** bad frames seen (not JSON, oversized, malformed), for the device's health */
  badFrames = 0;
  model: string | null = null;

  constructor(private readonly o: SerialFacePayOptions) {
    super(o.id, o);
  }

  protected async attach(port: SerialPort): Promise<void> {
    port
      .pipe(new ReadlineParser({ delimiter: '\n', encoding: 'utf8' }))
      .on('data', (line: string) => this.onLine(line));
    const a = await this.request({ cmd: 'ping' }, this.o.requestTimeoutMs ?? 3000);
    if (a.returnCode !== 'SUCCESS') throw new Error(`${this.id}: face-pay device did not answer ping`);
  }

  protected override detach(): void {
    const p = this.pending;
    this.pending = null;
    if (p) {
      clearTimeout(p.timer);
      p.resolve({ returnCode: 'OFFLINE', faceCode: null, message: 'device disconnected' });
    }
  }

  async faceCode(req: FaceCodeRequest): Promise<FaceCodeResult> {
    if (this.pending) return { result: 'failed', reason: 'BUSY' };
    const a = await this.request(
      {
        cmd: 'getFaceCode',
        out_trade_no: req.reference,
        total_fee: req.amountFen,
        mch_id: this.o.merchantId,
      },
      this.o.confirmTimeoutMs ?? 60_000,
    );
    if (a.returnCode === 'SUCCESS')
      return a.faceCode
        ? { result: 'code', paymentCode: a.faceCode }
        : { result: 'failed', reason: 'BAD_FACE_CODE' };
    if (a.returnCode === 'USER_CANCEL') return { result: 'cancelled' };
    if (a.returnCode === 'TIMEOUT') await this.send({ id: ++this.seq, cmd: 'cancel' }).catch(() => undefined);
    return { result: 'failed', reason: a.message ? `${a.returnCode}: ${a.message}` : a.returnCode };
  }

  private request(
    body: Record<string, unknown>,
    timeoutMs: number,
  ): Promise<{ returnCode: string; faceCode: string | null; message: string | null }> {
    return new Promise((resolve) => {
      const id = ++this.seq;
      const timer = setTimeout(() => {
        if (this.pending?.id === id) this.pending = null;
        resolve({ returnCode: 'TIMEOUT', faceCode: null, message: null });
      }, timeoutMs);
      this.pending = { id, resolve, timer };
      this.send({ id, ...body }).catch((e: Error) => {
        clearTimeout(timer);
        if (this.pending?.id === id) this.pending = null;
        resolve({ returnCode: 'OFFLINE', faceCode: null, message: e.message });
      });
    });
  }

  private send(body: Record<string, unknown>): Promise<void> {
    return this.write(Buffer.from(`${JSON.stringify(body)}\n`, 'utf8'));
  }

  private onLine(line: string): void {
    const a = parseFaceAnswer(line);
    if (!a) {
      this.badFrames++;
      return;
    }
    const p = this.pending;
    if (!p || a.id !== p.id) return; // late, or not ours
    this.pending = null;
    clearTimeout(p.timer);
    if (a.model) this.model = a.model;
    p.resolve(a);
  }
}

export interface FaceAnswer {
  id: number;
  returnCode: string;
  faceCode: string | null;
  message: string | null;
  model: string | null;
}

/** One line from the device as an answer, or null for a bad frame. Only these fields are
 * ever taken from it; anything else the line holds is dropped here. */
export function parseFaceAnswer(line: string): FaceAnswer | null {
  if (line.length > MAX_LINE) return null;
  let m: unknown;
  try {
    m = JSON.parse(line);
  } catch {
    return null;
  }
  if (!m || typeof m !== 'object' || Array.isArray(m)) return null;
  const {
    id,
    return_code: returnCode,
    face_code: faceCode,
    return_msg: message,
    model,
  } = m as Record<string, unknown>;
  if (!Number.isSafeInteger(id) || typeof returnCode !== 'string') return null;
  return {
    id: id as number,
    returnCode: returnCode.slice(0, 32),
    faceCode: typeof faceCode === 'string' && FACE_CODE.test(faceCode) ? faceCode : null,
    message: typeof message === 'string' ? message.slice(0, 200) : null,
    model: typeof model === 'string' ? model.slice(0, 64) : null,
  };
}
