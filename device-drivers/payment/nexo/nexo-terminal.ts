// A payment terminal spoken to with nexo Retailer Sale to POI messages over TCP (see
// messages.ts for the spec). One service at a time, as a terminal serves one shopper.
// A lost answer (timeout, dropped connection, garbled frame) is a PaymentLinkError:
// the caller then asks TransactionStatus by the payment's reference, never re-pays.
import { TcpDevice } from '../../core/tcp-link.js';
import {
  PaymentLinkError,
  type PaymentOutcome,
  type PaymentStatus,
  type PaymentTerminal,
  type PayRequest,
} from '../provider.js';
import { FrameError, FrameReader, frame } from './framing.js';
import {
  asResponse,
  type MessageHeader,
  type PaymentResponse,
  type SaleToPOIRequest,
  type SaleToPOIResponse,
  serviceIdFor,
  toFen,
  toMajor,
} from './messages.js';

export interface NexoTerminalOptions {
  id: string;
  host: string;
  port: number;
  /** our SaleID (the kiosk), and the terminal's POIID */
  saleId: string;
  poiId: string;
  /** how long the shopper has to present a card */
  paymentTimeoutMs?: number;
  /** status and reversal answers come without shopper interaction */
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  clock?: () => number;
}

type Body = SaleToPOIResponse['SaleToPOIResponse'];

interface Waiting {
  serviceId: string;
  resolve: (r: Body) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class NexoTerminal extends TcpDevice implements PaymentTerminal {
  readonly kind = 'payment-terminal' as const;
  private reader = new FrameReader();
  private waiting: Waiting | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly clock: () => number;

  constructor(private readonly opts: NexoTerminalOptions) {
    super(opts.id, { host: opts.host, port: opts.port, connectTimeoutMs: opts.connectTimeoutMs });
    this.clock = opts.clock ?? Date.now;
  }

  protected override async handshake(): Promise<void> {
    this.reader = new FrameReader();
  }

  protected onData(chunk: Buffer): void {
    let messages: unknown[];
    try {
      messages = this.reader.push(chunk);
    } catch (e) {
      if (!(e instanceof FrameError)) throw e;
      this.drop(`bad frame from terminal: ${e.message}`);
      return;
    }
    for (const m of messages) {
      const r = asResponse(m);
      const w = this.waiting;
      // an answer to a request we stopped waiting for (or an event) is not this answer
      if (!r || !w || r.MessageHeader.ServiceID !== w.serviceId) continue;
      this.waiting = null;
      clearTimeout(w.timer);
      w.resolve(r);
    }
  }

  protected override detach(reason: string): void {
    const w = this.waiting;
    this.waiting = null;
    if (w) {
      clearTimeout(w.timer);
      w.reject(
        new PaymentLinkError(
          `${this.id}: ${reason}`,
          reason.startsWith('bad frame') ? 'BAD_FRAME' : 'OFFLINE',
        ),
      );
    }
  }

  private header(category: MessageHeader['MessageCategory'], serviceId: string): MessageHeader {
    return {
      ProtocolVersion: '3.0',
      MessageClass: 'Service',
      MessageCategory: category,
      MessageType: 'Request',
      ServiceID: serviceId,
      SaleID: this.opts.saleId,
      POIID: this.opts.poiId,
    };
  }

  private exchange(request: SaleToPOIRequest, timeoutMs: number): Promise<Body> {
    const run = () =>
      new Promise<Body>((resolve, reject) => {
        if (!this.connected)
          return reject(new PaymentLinkError(`${this.id}: terminal not connected`, 'OFFLINE'));
        const serviceId = request.SaleToPOIRequest.MessageHeader.ServiceID;
        const timer = setTimeout(() => {
          this.waiting = null;
          reject(new PaymentLinkError(`${this.id}: no answer to ${serviceId}`, 'TIMEOUT'));
        }, timeoutMs);
        this.waiting = { serviceId, resolve, reject, timer };
        this.send(frame(request)).catch((e: Error) => {
          clearTimeout(timer);
          this.waiting = null;
          reject(new PaymentLinkError(e.message, 'OFFLINE'));
        });
      });
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  async pay(req: PayRequest): Promise<PaymentOutcome> {
    const r = await this.exchange(
      {
        SaleToPOIRequest: {
          MessageHeader: this.header('Payment', serviceIdFor(req.reference)),
          PaymentRequest: {
            SaleData: {
              SaleTransactionID: {
                TransactionID: req.reference,
                TimeStamp: new Date(this.clock()).toISOString(),
              },
            },
            PaymentTransaction: {
              AmountsReq: { Currency: req.currency, RequestedAmount: toMajor(req.amountFen) },
            },
          },
        },
      },
      this.opts.paymentTimeoutMs ?? 90_000,
    );
    if (!r.PaymentResponse)
      throw new PaymentLinkError(`${this.id}: answer without PaymentResponse`, 'BAD_FRAME');
    return outcome(r.PaymentResponse);
  }

  async status(reference: string): Promise<PaymentStatus> {
    const r = await this.exchange(
      {
        SaleToPOIRequest: {
          MessageHeader: this.header(
            'TransactionStatus',
            serviceIdFor(`${reference}@${this.clock()}`, 'status'),
          ),
          TransactionStatusRequest: {
            MessageReference: {
              MessageCategory: 'Payment',
              ServiceID: serviceIdFor(reference),
              SaleID: this.opts.saleId,
              POIID: this.opts.poiId,
            },
          },
        },
      },
      this.opts.requestTimeoutMs ?? 10_000,
    );
    const s = r.TransactionStatusResponse;
    if (!s) throw new PaymentLinkError(`${this.id}: answer without TransactionStatusResponse`, 'BAD_FRAME');
    if (s.Response.Result !== 'Success') {
      if (s.Response.ErrorCondition === 'InProgress') return { result: 'in_progress' };
      if (s.Response.ErrorCondition === 'NotFound') return { result: 'not_found' };
      throw new PaymentLinkError(
        `${this.id}: status inquiry failed: ${s.Response.ErrorCondition}`,
        'BAD_FRAME',
      );
    }
    const repeated = s.RepeatedMessageResponse?.RepeatedResponseMessageBody?.PaymentResponse;
    if (!repeated)
      throw new PaymentLinkError(`${this.id}: status without the payment's response`, 'BAD_FRAME');
    if (repeated.SaleData?.SaleTransactionID?.TransactionID !== reference)
      throw new PaymentLinkError(`${this.id}: status answered for another transaction`, 'BAD_FRAME');
    return outcome(repeated);
  }

  async reverse(reference: string, _amountFen: number): Promise<boolean> {
    const found = await this.status(reference);
    if (found.result !== 'approved') return false;
    const r = await this.exchange(
      {
        SaleToPOIRequest: {
          MessageHeader: this.header('Reversal', serviceIdFor(reference, 'reversal')),
          ReversalRequest: {
            OriginalPOITransaction: {
              SaleID: this.opts.saleId,
              POIID: this.opts.poiId,
              POITransactionID: { TransactionID: found.providerRef },
            },
            ReversalReason: 'MerchantCancel',
          },
        },
      },
      this.opts.requestTimeoutMs ?? 10_000,
    );
    const rr = r.ReversalResponse;
    if (!rr) throw new PaymentLinkError(`${this.id}: answer without ReversalResponse`, 'BAD_FRAME');
    if (rr.Response.Result === 'Success') return true;
    throw new PaymentLinkError(
      `${this.id}: reversal refused: ${rr.Response.ErrorCondition ?? '?'}`,
      'BAD_FRAME',
    );
  }
}

function outcome(p: PaymentResponse): PaymentOutcome {
  if (p.Response.Result === 'Success') {
    const authorised = p.PaymentResult?.AmountsResp?.AuthorizedAmount;
    const poiTx = p.POIData?.POITransactionID?.TransactionID;
    if (typeof authorised !== 'number' || !poiTx)
      throw new PaymentLinkError('approval without amount or terminal transaction id', 'BAD_FRAME');
    return {
      result: 'approved',
      providerRef: poiTx,
      amountFen: toFen(authorised),
      detail: {
        approvalCode: p.PaymentResult?.PaymentAcquirerData?.ApprovalCode ?? null,
        maskedPan: p.PaymentResult?.PaymentInstrumentData?.CardData?.MaskedPan ?? null,
        brand: p.PaymentResult?.PaymentInstrumentData?.CardData?.PaymentBrand ?? null,
      },
    };
  }
  return {
    result: 'declined',
    reason: p.Response.ErrorCondition ?? 'Refusal',
    detail: { additional: p.Response.AdditionalResponse ?? null },
  };
}
