// A payment-code gateway client: the acquirer charges the shopper's wallet from the code
// the kiosk scanned. The flow is the wallets' "micropay" one (WeChat Pay's micropay /
// orderquery / reverse): pay may answer USERPAYING while the shopper confirms on the
// phone, so the order is polled; an order that never completes is reversed. Messages
// are JSON signed with HMAC-SHA256 over the body, both ways; an unsigned or mis-signed
// answer is treated as no answer.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { gatewayExchange } from '../http-exchange.js';
import {
  PaymentLinkError,
  type PaymentOutcome,
  type PaymentProvider,
  type PaymentStatus,
  type PayRequest,
} from '../provider.js';
import { paymentCodeWallet } from './codes.js';

export interface GatewayOptions {
  id: string;
  baseUrl: string;
  merchantId: string;
  /** shared HMAC key */
  key: string;
  requestTimeoutMs?: number;
  /** how long the shopper has to confirm on the phone */
  confirmTimeoutMs?: number;
  pollMs?: number;
}

export const sign = (key: string, body: string) => createHmac('sha256', key).update(body).digest('hex');

export function verify(key: string, body: string, signature: string | null | undefined): boolean {
  if (!signature || !/^[0-9a-f]{64}$/.test(signature)) return false;
  return timingSafeEqual(Buffer.from(sign(key, body), 'hex'), Buffer.from(signature, 'hex'));
}

interface GatewayAnswer {
  result?: 'SUCCESS' | 'FAIL' | 'USERPAYING';
  trade_state?: 'SUCCESS' | 'USERPAYING' | 'PAYERROR' | 'NOTPAY' | 'REVOKED' | 'CLOSED';
  transaction_id?: string;
  total_fee?: number;
  err_code?: string;
  err_msg?: string;
}

export class PaymentCodeGateway implements PaymentProvider {
  readonly id: string;

  constructor(private readonly o: GatewayOptions) {
    this.id = o.id;
  }

  private async call(path: string, payload: Record<string, unknown>): Promise<GatewayAnswer> {
    const body = JSON.stringify({ mch_id: this.o.merchantId, ...payload });
    const { res, text } = await gatewayExchange(
      this.id,
      new URL(path, this.o.baseUrl),
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-signature': sign(this.o.key, body) },
        body,
      },
      this.o.requestTimeoutMs ?? 10_000,
      path,
    );
    if (!verify(this.o.key, text, res.headers.get('x-signature')))
      throw new PaymentLinkError(`${this.id}: ${path}: answer signature invalid`, 'BAD_FRAME');
    try {
      return JSON.parse(text) as GatewayAnswer;
    } catch {
      throw new PaymentLinkError(`${this.id}: ${path}: answer is not JSON`, 'BAD_FRAME');
    }
  }

  async pay(req: PayRequest): Promise<PaymentOutcome> {
    if (!req.paymentCode || !paymentCodeWallet(req.paymentCode))
      return { result: 'declined', reason: 'NOT_A_PAYMENT_CODE' };
    const a = await this.call('micropay', {
      out_trade_no: req.reference,
      auth_code: req.paymentCode,
      total_fee: req.amountFen,
      fee_type: req.currency,
    });
    if (a.result === 'SUCCESS') return approved(a);
    if (a.result === 'FAIL') return { result: 'declined', reason: a.err_code ?? 'FAIL' };
    if (a.result !== 'USERPAYING') throw new PaymentLinkError(`${this.id}: unexpected answer`, 'BAD_FRAME');
    // the shopper confirms on the phone: poll, and give the order up when time runs out
    const until = Date.now() + (this.o.confirmTimeoutMs ?? 30_000);
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, this.o.pollMs ?? 2000));
      const s = await this.status(req.reference);
      if (s.result === 'approved' || s.result === 'declined') return s;
    }
    await this.reverse(req.reference, req.amountFen);
    return { result: 'declined', reason: 'CONFIRM_TIMEOUT' };
  }

  async status(reference: string): Promise<PaymentStatus> {
    const a = await this.call('orderquery', { out_trade_no: reference });
    if (a.err_code === 'ORDERNOTEXIST') return { result: 'not_found' };
    switch (a.trade_state) {
      case 'SUCCESS':
        return approved(a);
      case 'USERPAYING':
        return { result: 'in_progress' };
      case 'PAYERROR':
      case 'REVOKED':
      case 'CLOSED':
      case 'NOTPAY':
        return { result: 'declined', reason: a.trade_state };
      default:
        throw new PaymentLinkError(`${this.id}: unexpected order state`, 'BAD_FRAME');
    }
  }

  async reverse(reference: string, _amountFen: number): Promise<boolean> {
    const a = await this.call('reverse', { out_trade_no: reference });
    if (a.result === 'SUCCESS') return true;
    if (a.err_code === 'ORDERNOTEXIST') return false;
    throw new PaymentLinkError(`${this.id}: reversal failed: ${a.err_code ?? '?'}`, 'BAD_FRAME');
  }
}

function approved(a: GatewayAnswer): PaymentOutcome {
  if (!a.transaction_id || typeof a.total_fee !== 'number')
    throw new PaymentLinkError('approval without transaction id or amount', 'BAD_FRAME');
  return {
    result: 'approved',
    providerRef: a.transaction_id,
    amountFen: a.total_fee,
  };
}
