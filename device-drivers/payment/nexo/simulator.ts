// A nexo payment terminal on a loopback TCP port: takes Payment requests (the "card"
// is presented after a delay), keeps a journal it can be asked about with
// TransactionStatus, reverses on request, and loses answers in every way a real link
// does when told to: no answer, connection dropped before or after charging, a garbled
// frame, a late answer.
import { createServer, type Server, type Socket } from 'node:net';
import { listenLoopback } from '../../core/sim-io.js';
import { FrameError, FrameReader, frame } from './framing.js';
import { asRequest, type MessageHeader, type PaymentResponse, toFen, toMajor } from './messages.js';

export type TerminalFault =
  | 'drop-answer'
  | 'disconnect-before-charge'
  | 'disconnect-after-charge'
  | 'garble-answer'
  | 'decline'
  | { delayMs: number };

interface JournalEntry {
  reference: string;
  serviceId: string;
  saleId: string;
  poiTxId: string;
  amountFen: number;
  state: 'in_progress' | 'approved' | 'declined' | 'reversed';
  response: PaymentResponse | null;
}

export class NexoTerminalSimulator {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly journal = new Map<string, JournalEntry>();
  private faults: TerminalFault[] = [];
  private seq = 0;
  /** how long the shopper takes to tap a card */
  cardDelayMs = 20;
  readonly poiId: string;
  port = 0;
  badFrames = 0;

  constructor(opts: { poiId?: string } = {}) {
    this.poiId = opts.poiId ?? 'SIM-POI-1';
  }

  async listen(port = 0): Promise<number> {
    this.server = createServer((s) => this.connection(s));
    this.port = await listenLoopback(this.server, port);
    return this.port;
  }

  get listening(): boolean {
    return this.server !== null;
  }

  /** Faults for the next payment requests, one each, in order. */
  inject(...faults: TerminalFault[]): void {
    this.faults.push(...faults);
  }

  /** The approved, not reversed charges per payment reference: what the shopper's card was charged. */
  charges(): Map<string, number> {
    const out = new Map<string, number>();
    for (const e of this.journal.values())
      if (e.state === 'approved') out.set(e.reference, (out.get(e.reference) ?? 0) + e.amountFen);
    return out;
  }

  entries(): JournalEntry[] {
    return [...this.journal.values()].map((e) => ({ ...e }));
  }

  async unplug(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = null;
  }

  close(): Promise<void> {
    return this.unplug();
  }

  private connection(socket: Socket): void {
    this.sockets.add(socket);
    const reader = new FrameReader();
    socket.on('data', (chunk) => {
      let messages: unknown[];
      try {
        messages = reader.push(chunk);
      } catch (e) {
        if (!(e instanceof FrameError)) throw e;
        this.badFrames++;
        socket.destroy();
        return;
      }
      for (const m of messages) void this.handle(socket, m);
    });
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
  }

  private answer(socket: Socket, header: MessageHeader, body: Record<string, unknown>): void {
    if (socket.destroyed) return;
    socket.write(
      frame({ SaleToPOIResponse: { MessageHeader: { ...header, MessageType: 'Response' }, ...body } }),
    );
  }

  private async handle(socket: Socket, m: unknown): Promise<void> {
    const req = asRequest(m);
    if (!req) {
      this.badFrames++;
      return;
    }
    const h = req.MessageHeader;
    if (req.PaymentRequest) return this.payment(socket, h, req.PaymentRequest);
    if (req.TransactionStatusRequest) {
      const ref = req.TransactionStatusRequest.MessageReference;
      const e = this.journal.get(`${ref.SaleID}/${ref.ServiceID}`);
      if (!e) return this.answer(socket, h, statusFailure('NotFound'));
      if (e.state === 'in_progress') return this.answer(socket, h, statusFailure('InProgress'));
      return this.answer(socket, h, {
        TransactionStatusResponse: {
          Response: { Result: 'Success' },
          RepeatedMessageResponse: {
            MessageHeader: {
              ...h,
              MessageCategory: 'Payment',
              ServiceID: e.serviceId,
              MessageType: 'Response',
            },
            RepeatedResponseMessageBody: { PaymentResponse: this.current(e) },
          },
        },
      });
    }
    if (req.ReversalRequest) {
      const poiTx = req.ReversalRequest.OriginalPOITransaction.POITransactionID.TransactionID;
      const e = [...this.journal.values()].find((x) => x.poiTxId === poiTx);
      if (!e || e.state === 'declined' || e.state === 'in_progress')
        return this.answer(socket, h, {
          ReversalResponse: { Response: { Result: 'Failure', ErrorCondition: 'NotFound' } },
        });
      e.state = 'reversed';
      return this.answer(socket, h, {
        ReversalResponse: { Response: { Result: 'Success' }, ReversedAmount: toMajor(e.amountFen) },
      });
    }
    this.answer(socket, h, { Response: { Result: 'Failure', ErrorCondition: 'NotAllowed' } });
  }

  /** A reversed payment reads as refused when asked about. */
  private current(e: JournalEntry): PaymentResponse {
    if (e.state !== 'reversed') return e.response!;
    return {
      ...e.response!,
      Response: { Result: 'Failure', ErrorCondition: 'Cancel', AdditionalResponse: 'reversed' },
    };
  }

  private async payment(
    socket: Socket,
    h: MessageHeader,
    p: NonNullable<NonNullable<ReturnType<typeof asRequest>>['PaymentRequest']>,
  ): Promise<void> {
    const key = `${h.SaleID}/${h.ServiceID}`;
    const reference = p.SaleData?.SaleTransactionID?.TransactionID;
    const amount = p.PaymentTransaction?.AmountsReq?.RequestedAmount;
    if (this.journal.has(key) || typeof reference !== 'string' || typeof amount !== 'number' || amount <= 0) {
      return this.answer(socket, h, {
        PaymentResponse: { Response: { Result: 'Failure', ErrorCondition: 'MessageFormat' } },
      });
    }
    const fault = this.faults.shift();
    if (fault === 'disconnect-before-charge') {
      socket.destroy();
      return;
    }
    const poiTxId = `POI${String(++this.seq).padStart(8, '0')}`;
    const entry: JournalEntry = {
      reference,
      serviceId: h.ServiceID,
      saleId: h.SaleID,
      poiTxId,
      amountFen: toFen(amount),
      state: 'in_progress',
      response: null,
    };
    this.journal.set(key, entry);
    await new Promise((r) => setTimeout(r, this.cardDelayMs));
    const now = new Date().toISOString();
    const declined = fault === 'decline';
    entry.state = declined ? 'declined' : 'approved';
    entry.response = {
      Response: declined
        ? {
            Result: 'Failure',
            ErrorCondition: 'Refusal',
            AdditionalResponse: 'refusalReason=Insufficient funds',
          }
        : { Result: 'Success' },
      SaleData: p.SaleData,
      POIData: { POITransactionID: { TransactionID: poiTxId, TimeStamp: now } },
      ...(declined
        ? {}
        : {
            PaymentResult: {
              AmountsResp: { Currency: p.PaymentTransaction.AmountsReq.Currency, AuthorizedAmount: amount },
              PaymentAcquirerData: { ApprovalCode: String(100000 + this.seq) },
              PaymentInstrumentData: {
                CardData: { MaskedPan: '621700******1234', PaymentBrand: 'UnionPay' },
              },
            },
          }),
    };
    if (fault === 'drop-answer') return;
    if (fault === 'disconnect-after-charge') {
      socket.destroy();
      return;
    }
    if (fault === 'garble-answer') {
      if (!socket.destroyed)
        socket.write(Buffer.from([0, 0, 0, 9, 0x7b, 0x22, 0x53, 0x61, 0x6c, 0x65, 0x54, 0x6f, 0x50]));
      return;
    }
    if (typeof fault === 'object') await new Promise((r) => setTimeout(r, fault.delayMs));
    this.answer(socket, h, { PaymentResponse: this.current(entry) });
  }
}

function statusFailure(condition: 'NotFound' | 'InProgress') {
  return { TransactionStatusResponse: { Response: { Result: 'Failure', ErrorCondition: condition } } };
}
