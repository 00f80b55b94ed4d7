// The wallet gateway's in-app payment API (JSAPI), as the merchant server speaks it,
// modelled on WeChat Pay API v3: the store creates an order for the cart's payment
// reference and gets a prepay_id; the shopper's wallet on the phone pays it; the gateway
// sends a signed, encrypted notification, which may come late, twice or never, so the
// order can also be queried by its reference. An order not paid in time is closed
// before the cart is paid any other way. Refunds are requested and queried by the
// store's refund number until final.
// Requests carry the merchant's RSA signature; an answer without a valid gateway
// signature is treated as no answer at all.
import type { KeyObject } from 'node:crypto';
import { gatewayExchange } from '../http-exchange.js';
import { PaymentLinkError, type PaymentOutcome, type PaymentStatus } from '../provider.js';
import { decryptResource, type EncryptedResource, nonce, signParts, verifyParts } from './signing.js';

export interface WalletGatewayOptions {
  id: string;
  baseUrl: string;
  appId: string;
  merchantId: string;
  /** the serial of the merchant's certificate, named in every request */
  merchantSerial: string;
  merchantKey: KeyObject;
  /** the gateway's public key: answers and notifications are signed with its private half */
  platformKey: KeyObject;
  /** 32 bytes; notifications are encrypted with it */
  apiV3Key: string;
  requestTimeoutMs?: number;
  clock?: () => number;
}

export interface WalletTransaction {
  appid: string;
  mchid: string;
  out_trade_no: string;
  transaction_id?: string;
  trade_state: 'SUCCESS' | 'REFUND' | 'NOTPAY' | 'CLOSED' | 'REVOKED' | 'USERPAYING' | 'PAYERROR';
  amount: { total: number; payer_total?: number; currency: string };
  success_time?: string;
}

/** What the page hands the wallet (WeixinJSBridge getBrandWCPayRequest's fields). */
export interface PayParams {
  appId: string;
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: 'RSA';
  paySign: string;
}

export type RefundState = {
  status: 'SUCCESS' | 'CLOSED' | 'PROCESSING' | 'ABNORMAL';
  refundId: string | null;
};

/** The gateway understood the request and refused it (a 4xx with its code). */
export class WalletRefusal extends Error {
  override name = 'WalletRefusal';
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus: number,
  ) {
    super(message);
  }
}

/** A notification that is not the gateway's: bad signature, stale, tampered, not ours. */
export class NotificationRefused extends Error {
  override name = 'NotificationRefused';
}

/** Notifications older than this (or this far ahead) are refused as replays. */
const NOTIFY_SKEW_S = 300;

export class WalletGateway {
  readonly id: string;
  private readonly clock: () => number;

  constructor(private readonly o: WalletGatewayOptions) {
    this.id = o.id;
    this.clock = o.clock ?? Date.now;
  }

  private async call(
    method: 'GET' | 'POST',
    path: string,
    payload?: Record<string, unknown>,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const body = payload ? JSON.stringify(payload) : '';
    const ts = String(Math.floor(this.clock() / 1000));
    const n = nonce();
    const signature = signParts(this.o.merchantKey, [method, path, ts, n, body]);
    const authorization = `WECHATPAY2-SHA256-RSA2048 mchid="${this.o.merchantId}",nonce_str="${n}",signature="${signature}",timestamp="${ts}",serial_no="${this.o.merchantSerial}"`;
    const { res, text } = await gatewayExchange(
      this.id,
      new URL(path.slice(1), this.o.baseUrl),
      {
        method,
        headers: {
          accept: 'application/json',
          authorization,
          ...(payload ? { 'content-type': 'application/json' } : {}),
        },
        ...(payload ? { body } : {}),
      },
      this.o.requestTimeoutMs ?? 10_000,
      path,
    );
    const h = (name: string) => res.headers.get(name) ?? '';
    if (
      !verifyParts(
        this.o.platformKey,
        [h('wechatpay-timestamp'), h('wechatpay-nonce'), text],
        h('wechatpay-signature'),
      )
    )
      throw new PaymentLinkError(`${this.id}: ${path}: answer signature invalid`, 'BAD_FRAME');
    let parsed: Record<string, unknown> = {};
    if (text) {
      try {
        parsed = JSON.parse(text) as Record<string, unknown>;
      } catch {
        throw new PaymentLinkError(`${this.id}: ${path}: answer is not JSON`, 'BAD_FRAME');
      }
    }
    if (res.status >= 400)
      throw new WalletRefusal(
        String(parsed.code ?? `HTTP_${res.status}`),
        `${this.id}: ${path}: ${String(parsed.message ?? res.status)}`,
        res.status,
      );
    return { status: res.status, body: parsed };
  }

  /** Creates the order for a payment reference; returns its prepay_id. */
  async createOrder(o: {
    reference: string;
    amountFen: number;
    currency: string;
    description: string;
    expiresAt: number;
    notifyUrl: string;
  }): Promise<string> {
    const { body } = await this.call('POST', '/v3/pay/transactions/jsapi', {
      appid: this.o.appId,
      mchid: this.o.merchantId,
      description: o.description,
      out_trade_no: o.reference,
      time_expire: new Date(o.expiresAt).toISOString(),
      notify_url: o.notifyUrl,
      amount: { total: o.amountFen, currency: o.currency },
    });
    if (typeof body.prepay_id !== 'string' || !body.prepay_id)
      throw new PaymentLinkError(`${this.id}: order answer without prepay_id`, 'BAD_FRAME');
    return body.prepay_id;
  }

  /** The fields the phone's wallet needs to pay a prepay_id, signed by the merchant. */
  payParams(prepayId: string): PayParams {
    const timeStamp = String(Math.floor(this.clock() / 1000));
    const nonceStr = nonce();
    const pkg = `prepay_id=${prepayId}`;
    return {
      appId: this.o.appId,
      timeStamp,
      nonceStr,
      package: pkg,
      signType: 'RSA',
      paySign: signParts(this.o.merchantKey, [this.o.appId, timeStamp, nonceStr, pkg]),
    };
  }

  async transaction(reference: string): Promise<WalletTransaction | null> {
    try {
      const { body } = await this.call(
        'GET',
        `/v3/pay/transactions/out-trade-no/${encodeURIComponent(reference)}?mchid=${this.o.merchantId}`,
      );
      return this.checkTransaction(body, reference);
    } catch (e) {
      if (e instanceof WalletRefusal && e.code === 'ORDER_NOT_EXIST') return null;
      throw e;
    }
  }

  async status(reference: string): Promise<PaymentStatus> {
    const t = await this.transaction(reference);
    return t ? outcomeOf(t) : { result: 'not_found' };
  }

  /** Closes an unpaid order; 'paid' when the shopper paid it first. */
  async closeOrder(reference: string): Promise<'closed' | 'paid'> {
    try {
      await this.call('POST', `/v3/pay/transactions/out-trade-no/${encodeURIComponent(reference)}/close`, {
        mchid: this.o.merchantId,
      });
      return 'closed';
    } catch (e) {
      if (e instanceof WalletRefusal && e.code === 'ORDER_PAID') return 'paid';
      if (e instanceof WalletRefusal && e.code === 'ORDER_NOT_EXIST') return 'closed';
      throw e;
    }
  }

  /** Undoes an approval the sale cannot use: an unpaid order is closed, a paid one refunded whole. */
  async reverse(reference: string, amountFen: number): Promise<boolean> {
    if ((await this.closeOrder(reference)) === 'closed') return false;
    const r = await this.refund({
      refundNo: `${reference}-R`,
      reference,
      amountFen,
      totalFen: amountFen,
      reason: 'approval that does not fit the sale',
    });
    if (r.status === 'CLOSED' || r.status === 'ABNORMAL')
      throw new PaymentLinkError(`${this.id}: reversal refund ${r.status}`, 'BAD_FRAME');
    return true; // PROCESSING: accepted; the gateway completes it
  }

  async refund(o: {
    refundNo: string;
    reference: string;
    amountFen: number;
    totalFen: number;
    reason: string;
  }): Promise<RefundState> {
    const { body } = await this.call('POST', '/v3/refund/domestic/refunds', {
      out_trade_no: o.reference,
      out_refund_no: o.refundNo,
      reason: o.reason,
      amount: { refund: o.amountFen, total: o.totalFen, currency: 'CNY' },
    });
    return refundState(body);
  }

  /** null when the gateway has no refund by that number. */
  async refundStatus(refundNo: string): Promise<RefundState | null> {
    try {
      const { body } = await this.call('GET', `/v3/refund/domestic/refunds/${encodeURIComponent(refundNo)}`);
      return refundState(body);
    } catch (e) {
      if (e instanceof WalletRefusal && e.code === 'RESOURCE_NOT_EXISTS') return null;
      throw e;
    }
  }

  /** Verifies a payment notification's signature and freshness, decrypts its resource, and
   * returns the transaction it reports; throws NotificationRefused otherwise. */
  openNotification(headers: Record<string, string | string[] | undefined>, body: string): WalletTransaction {
    const h = (name: string) => {
      const v = headers[name];
      return typeof v === 'string' ? v : '';
    };
    const ts = h('wechatpay-timestamp');
    if (!verifyParts(this.o.platformKey, [ts, h('wechatpay-nonce'), body], h('wechatpay-signature')))
      throw new NotificationRefused('notification signature invalid');
    if (!/^\d{1,12}$/.test(ts) || Math.abs(Number(ts) - this.clock() / 1000) > NOTIFY_SKEW_S)
      throw new NotificationRefused('notification timestamp out of range');
    let n: { event_type?: unknown; resource?: EncryptedResource };
    try {
      n = JSON.parse(body) as typeof n;
    } catch {
      throw new NotificationRefused('notification is not JSON');
    }
    if (n.event_type !== 'TRANSACTION.SUCCESS' || !n.resource || typeof n.resource !== 'object')
      throw new NotificationRefused(`notification event ${String(n.event_type)} not handled`);
    let plain: string;
    try {
      plain = decryptResource(this.o.apiV3Key, n.resource);
    } catch (e) {
      throw new NotificationRefused(`notification resource does not decrypt: ${(e as Error).message}`);
    }
    let t: unknown;
    try {
      t = JSON.parse(plain);
    } catch {
      throw new NotificationRefused('notification resource is not JSON');
    }
    try {
      return this.checkTransaction(t as Record<string, unknown>);
    } catch (e) {
      throw new NotificationRefused((e as Error).message);
    }
  }

  private checkTransaction(t: Record<string, unknown>, reference?: string): WalletTransaction {
    const amount = t.amount as { total?: unknown } | undefined;
    if (
      t.mchid !== this.o.merchantId ||
      t.appid !== this.o.appId ||
      typeof t.out_trade_no !== 'string' ||
      (reference !== undefined && t.out_trade_no !== reference) ||
      typeof t.trade_state !== 'string' ||
      !amount ||
      !Number.isInteger(amount.total)
    )
      throw new PaymentLinkError(`${this.id}: transaction not for this merchant or malformed`, 'BAD_FRAME');
    return t as unknown as WalletTransaction;
  }
}

function outcomeOf(t: WalletTransaction): PaymentStatus {
  switch (t.trade_state) {
    case 'SUCCESS':
    case 'REFUND': // paid, and refunded since: the money was taken
      return approvedOutcome(t);
    case 'NOTPAY':
    case 'USERPAYING':
      return { result: 'in_progress' };
    case 'CLOSED':
    case 'REVOKED':
    case 'PAYERROR':
      return { result: 'declined', reason: t.trade_state };
    default:
      throw new PaymentLinkError(`unexpected trade state ${String(t.trade_state)}`, 'BAD_FRAME');
  }
}

export function approvedOutcome(t: WalletTransaction): PaymentOutcome {
  if (!t.transaction_id) throw new PaymentLinkError('paid transaction without its id', 'BAD_FRAME');
  return { result: 'approved', providerRef: t.transaction_id, amountFen: t.amount.total };
}

function refundState(b: Record<string, unknown>): RefundState {
  const s = b.status;
  if (s !== 'SUCCESS' && s !== 'CLOSED' && s !== 'PROCESSING' && s !== 'ABNORMAL')
    throw new PaymentLinkError(`unexpected refund status ${String(s)}`, 'BAD_FRAME');
  return { status: s, refundId: typeof b.refund_id === 'string' ? b.refund_id : null };
}
