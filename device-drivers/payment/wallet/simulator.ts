// The wallet gateway's in-app payment API on a loopback HTTP port, and the shopper's
// wallet beside it. The gateway side checks the merchant's request signatures, creates
// orders (a prepay_id lives 2 h, never past the order's time_expire), answers queries,
// closes orders and takes refunds (PROCESSING for a few queries, then SUCCESS). The
// wallet side is what the phone's wallet app does: it checks the merchant's paySign,
// pays the order and makes the gateway notify the merchant, retrying on its schedule
// (15 s … 6 h, about 24 h in all; scaled down for tests) until the merchant answers 2xx.
// Faults on request: a notification lost, repeated or delayed; a forged one (signed with
// a key that is not the gateway's); the link down (every request's connection dropped).
import type { KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listenLoopback } from '../../core/sim-io.js';
import type { PayParams } from './gateway.js';
import { encryptResource, type KeyPair, newRsaKeyPair, nonce, signParts, verifyParts } from './signing.js';

export type NotifyFault = 'lose' | 'repeat' | 'delay';

/** WeChat Pay's published notification retry intervals, in seconds (24 h 4 min in all). */
export const NOTIFY_RETRY_S = [
  15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600,
];

const PREPAY_LIFETIME_MS = 2 * 3600_000;

export interface WalletSimulatorOptions {
  appId: string;
  merchantId: string;
  /** checks the merchant's request and paySign signatures */
  merchantPublicKey: KeyObject;
  /** the gateway's own key pair; made fresh when not given */
  platform?: KeyPair;
  apiV3Key: string;
  /** multiplies the retry schedule (0.001: the 24 h schedule in about 86 s) */
  retryScale?: number;
  /** how late a 'delay' notification comes */
  delayMs?: number;
  /** queries before a refund is final */
  refundPolls?: number;
  clock?: () => number;
}

interface Order {
  reference: string;
  amountFen: number;
  currency: string;
  description: string;
  notifyUrl: string;
  expiresAt: number;
  prepayId: string;
  state: 'NOTPAY' | 'SUCCESS' | 'CLOSED' | 'REFUND';
  txId: string | null;
  paidAt: number | null;
}

interface Refund {
  refundNo: string;
  reference: string;
  amountFen: number;
  state: 'PROCESSING' | 'SUCCESS';
  pollsLeft: number;
  refundId: string;
}

export interface Delivery {
  reference: string;
  attempt: number;
  forged: boolean;
  /** the merchant's HTTP status, 0 when it could not be reached */
  status: number;
}

export class WalletGatewaySimulator {
  private server: Server | null = null;
  private readonly orders = new Map<string, Order>();
  private readonly prepays = new Map<string, string>();
  private readonly refunds = new Map<string, Refund>();
  private readonly faults: NotifyFault[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly clock: () => number;
  private seq = 0;
  readonly platform: KeyPair;
  readonly platformSerial = 'SIMPLATFORM0001';
  /** every notification attempt, in order */
  readonly deliveries: Delivery[] = [];
  /** requests refused for a bad merchant signature */
  rejectedSignatures = 0;
  /** how many order queries were answered, per reference */
  readonly queries = new Map<string, number>();
  /** while true every merchant request's connection is dropped: the link is down */
  offline = false;
  port = 0;

  constructor(private readonly o: WalletSimulatorOptions) {
    this.platform = o.platform ?? newRsaKeyPair();
    this.clock = o.clock ?? Date.now;
  }

  async listen(port = 0): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.port = await listenLoopback(this.server, port);
    return `http://127.0.0.1:${this.port}/`;
  }

  /** Faults for the next payments' notifications, one each, in order. */
  inject(...faults: NotifyFault[]): void {
    this.faults.push(...faults);
  }

  /** What each order charged the shopper, per reference (refunds aside). */
  charges(): Map<string, number> {
    const out = new Map<string, number>();
    for (const o of this.orders.values())
      if (o.state === 'SUCCESS' || o.state === 'REFUND') out.set(o.reference, o.amountFen);
    return out;
  }

  /** What was refunded, per order reference (final refunds only). */
  refunded(): Map<string, number> {
    const out = new Map<string, number>();
    for (const r of this.refunds.values())
      if (r.state === 'SUCCESS') out.set(r.reference, (out.get(r.reference) ?? 0) + r.amountFen);
    return out;
  }

  orderState(reference: string): Order['state'] | null {
    return this.orders.get(reference)?.state ?? null;
  }

  /** The order created last (a test's view of what the phone is about to pay). */
  latestOrder(): { reference: string; amountFen: number; state: Order['state'] } | null {
    const o = [...this.orders.values()].at(-1);
    return o ? { reference: o.reference, amountFen: o.amountFen, state: o.state } : null;
  }

  /** The wallet app pays: checks the merchant's paySign and the prepay, then charges. */
  pay(p: PayParams, opts: { funds?: boolean } = {}): { result: 'paid' | 'refused'; reason?: string } {
    if (p.appId !== this.o.appId) return { result: 'refused', reason: 'APPID_MISMATCH' };
    if (
      p.signType !== 'RSA' ||
      !verifyParts(this.o.merchantPublicKey, [p.appId, p.timeStamp, p.nonceStr, p.package], p.paySign)
    )
      return { result: 'refused', reason: 'SIGN_ERROR' };
    const prepayId = /^prepay_id=(.+)$/.exec(p.package)?.[1] ?? '';
    const o = this.orders.get(this.prepays.get(prepayId) ?? '');
    if (!o) return { result: 'refused', reason: 'PREPAY_NOT_FOUND' };
    if (o.state === 'SUCCESS') return { result: 'refused', reason: 'ORDER_PAID' };
    if (o.state !== 'NOTPAY') return { result: 'refused', reason: 'ORDER_CLOSED' };
    if (this.clock() > o.expiresAt) return { result: 'refused', reason: 'PREPAY_EXPIRED' };
    if (opts.funds === false) return { result: 'refused', reason: 'NOTENOUGH' };
    o.state = 'SUCCESS';
    o.txId = `4200${String(++this.seq).padStart(24, '0')}`;
    o.paidAt = this.clock();
    const fault = this.faults.shift();
    if (fault === 'lose') return { result: 'paid' };
    this.later(fault === 'delay' ? (this.o.delayMs ?? 1500) : 0, () => this.deliver(o, 0));
    if (fault === 'repeat') this.later(200, () => this.deliver(o, 0, { once: true }));
    return { result: 'paid' };
  }

  /** Sends the merchant a notification that the order was paid, signed with a key that is not
   * the gateway's but otherwise well formed (encrypted with the right API v3 key). */
  async forge(reference: string): Promise<number> {
    const o = this.orders.get(reference);
    if (!o) throw new Error(`no order ${reference}`);
    const fake = { ...o, state: 'SUCCESS' as const, txId: 'FORGED0001', paidAt: this.clock() };
    return this.send(fake, newRsaKeyPair().privateKey, 0, true);
  }

  close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
      this.server = null;
    });
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  /** One attempt; on failure the next one follows the retry schedule, until it runs out. */
  private deliver(o: Order, attempt: number, opts: { once?: boolean } = {}): void {
    void this.send(o, this.platform.privateKey, attempt, false).then((status) => {
      if ((status >= 200 && status < 300) || opts.once) return;
      const wait = NOTIFY_RETRY_S[attempt];
      if (wait === undefined || !this.server) return; // the schedule is spent: the merchant must query
      this.later(wait * 1000 * (this.o.retryScale ?? 1), () => this.deliver(o, attempt + 1));
    });
  }

  private async send(o: Order, key: KeyObject, attempt: number, forged: boolean): Promise<number> {
    const tx = this.transaction(o);
    const body = JSON.stringify({
      id: `EV-${o.reference}-${attempt}`,
      create_time: new Date(this.clock()).toISOString(),
      resource_type: 'encrypt-resource',
      event_type: 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      resource: encryptResource(this.o.apiV3Key, JSON.stringify(tx), 'transaction'),
    });
    const ts = String(Math.floor(this.clock() / 1000));
    const n = nonce();
    let status = 0;
    try {
      const res = await fetch(o.notifyUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'wechatpay-timestamp': ts,
          'wechatpay-nonce': n,
          'wechatpay-signature': signParts(key, [ts, n, body]),
          'wechatpay-serial': this.platformSerial,
        },
        body,
        signal: AbortSignal.timeout(5000),
      });
      await res.arrayBuffer();
      status = res.status;
    } catch {
      status = 0;
    }
    this.deliveries.push({ reference: o.reference, attempt, forged, status });
    return status;
  }

  private transaction(o: Order): Record<string, unknown> {
    return {
      appid: this.o.appId,
      mchid: this.o.merchantId,
      out_trade_no: o.reference,
      trade_state: o.state,
      trade_type: 'JSAPI',
      amount: { total: o.amountFen, payer_total: o.amountFen, currency: o.currency },
      ...(o.txId ? { transaction_id: o.txId } : {}),
      ...(o.paidAt ? { success_time: new Date(o.paidAt).toISOString() } : {}),
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (this.offline) {
      req.socket.destroy();
      return;
    }
    const body = Buffer.concat(chunks).toString('utf8');
    const url = req.url ?? '/';
    const reply = (status: number, payload: Record<string, unknown> | null) => {
      const text = payload ? JSON.stringify(payload) : '';
      const ts = String(Math.floor(this.clock() / 1000));
      const n = nonce();
      res.writeHead(status, {
        ...(payload ? { 'content-type': 'application/json' } : {}),
        'wechatpay-timestamp': ts,
        'wechatpay-nonce': n,
        'wechatpay-signature': signParts(this.platform.privateKey, [ts, n, text]),
        'wechatpay-serial': this.platformSerial,
      });
      res.end(text);
    };
    if (req.method === 'POST' && url === '/sim/wallet/pay') return this.walletApp(body, reply);
    if (!this.signedByMerchant(req.method ?? '', url, body, req.headers.authorization)) {
      this.rejectedSignatures++;
      return reply(401, { code: 'SIGN_ERROR', message: 'request signature invalid' });
    }
    let m: Record<string, unknown> = {};
    if (body) {
      try {
        m = JSON.parse(body) as Record<string, unknown>;
      } catch {
        return reply(400, { code: 'PARAM_ERROR', message: 'body is not JSON' });
      }
    }
    const [status, answer] = this.route(req.method ?? '', url, m);
    reply(status, answer);
  }

  /** The wallet app's side, over HTTP (the demo store's page reaches it through the daemon). */
  private walletApp(body: string, reply: (s: number, p: Record<string, unknown>) => void): void {
    let p: PayParams & { funds?: boolean };
    try {
      p = JSON.parse(body) as typeof p;
    } catch {
      reply(400, { code: 'PARAM_ERROR', message: 'body is not JSON' });
      return;
    }
    const r = this.pay(p, { funds: p.funds !== false });
    reply(r.result === 'paid' ? 200 : 400, r);
  }

  private signedByMerchant(method: string, url: string, body: string, auth: string | undefined): boolean {
    const m = /^WECHATPAY2-SHA256-RSA2048 (.+)$/.exec(auth ?? '');
    if (!m) return false;
    const f = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (f.mchid !== this.o.merchantId || !f.timestamp || !f.nonce_str || !f.signature) return false;
    return verifyParts(this.o.merchantPublicKey, [method, url, f.timestamp, f.nonce_str, body], f.signature);
  }

  private route(
    method: string,
    url: string,
    m: Record<string, unknown>,
  ): [number, Record<string, unknown> | null] {
    const path = url.split('?')[0]!;
    if (method === 'POST' && path === '/v3/pay/transactions/jsapi') return this.createOrder(m);
    const q = /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)(\/close)?$/.exec(path);
    if (q) {
      const ref = decodeURIComponent(q[1]!);
      const o = this.orders.get(ref);
      if (!o) return [404, { code: 'ORDER_NOT_EXIST', message: 'order not found' }];
      if (method === 'GET' && !q[2]) {
        this.queries.set(ref, (this.queries.get(ref) ?? 0) + 1);
        return [200, this.transaction(o)];
      }
      if (method === 'POST' && q[2]) {
        if (o.state === 'SUCCESS' || o.state === 'REFUND')
          return [400, { code: 'ORDER_PAID', message: 'paid' }];
        o.state = 'CLOSED';
        return [204, null];
      }
    }
    if (method === 'POST' && path === '/v3/refund/domestic/refunds') return this.refund(m);
    const r = /^\/v3\/refund\/domestic\/refunds\/([^/]+)$/.exec(path);
    if (method === 'GET' && r) {
      const refund = this.refunds.get(decodeURIComponent(r[1]!));
      if (!refund) return [404, { code: 'RESOURCE_NOT_EXISTS', message: 'refund not found' }];
      if (refund.state === 'PROCESSING' && --refund.pollsLeft <= 0) {
        refund.state = 'SUCCESS';
        this.orders.get(refund.reference)!.state = 'REFUND';
      }
      return [200, this.refundAnswer(refund)];
    }
    return [404, { code: 'NOT_FOUND', message: `${method} ${path}` }];
  }

  private createOrder(m: Record<string, unknown>): [number, Record<string, unknown>] {
    const amount = m.amount as { total?: unknown; currency?: unknown } | undefined;
    const ref = m.out_trade_no;
    const expires = Date.parse(String(m.time_expire ?? ''));
    if (
      m.appid !== this.o.appId ||
      m.mchid !== this.o.merchantId ||
      typeof ref !== 'string' ||
      !/^[\w-]{6,32}$/.test(ref) ||
      !amount ||
      !Number.isInteger(amount.total) ||
      (amount.total as number) <= 0 ||
      typeof m.notify_url !== 'string' ||
      !Number.isFinite(expires)
    )
      return [400, { code: 'PARAM_ERROR', message: 'order fields invalid' }];
    const existing = this.orders.get(ref);
    // the same order asked again (a retried request) gets its prepay_id again
    if (existing) {
      if (existing.amountFen !== amount.total) return [400, { code: 'OUT_TRADE_NO_USED', message: 'reused' }];
      return [200, { prepay_id: existing.prepayId }];
    }
    const prepayId = `wx${nonce()}`;
    this.orders.set(ref, {
      reference: ref,
      amountFen: amount.total as number,
      currency: String(amount.currency ?? 'CNY'),
      description: String(m.description ?? ''),
      notifyUrl: m.notify_url,
      expiresAt: Math.min(expires, this.clock() + PREPAY_LIFETIME_MS),
      prepayId,
      state: 'NOTPAY',
      txId: null,
      paidAt: null,
    });
    this.prepays.set(prepayId, ref);
    return [200, { prepay_id: prepayId }];
  }

  private refund(m: Record<string, unknown>): [number, Record<string, unknown>] {
    const no = m.out_refund_no;
    const amount = m.amount as { refund?: unknown; total?: unknown } | undefined;
    const o = this.orders.get(String(m.out_trade_no ?? ''));
    if (typeof no !== 'string' || !/^[\w-]{1,64}$/.test(no) || !amount || !Number.isInteger(amount.refund))
      return [400, { code: 'PARAM_ERROR', message: 'refund fields invalid' }];
    const again = this.refunds.get(no);
    if (again) return [200, this.refundAnswer(again)];
    if (!o || (o.state !== 'SUCCESS' && o.state !== 'REFUND'))
      return [400, { code: 'INVALID_REQUEST', message: 'order not paid' }];
    if (amount.total !== o.amountFen) return [400, { code: 'PARAM_ERROR', message: 'total does not match' }];
    let taken = 0;
    for (const r of this.refunds.values()) if (r.reference === o.reference) taken += r.amountFen;
    if ((amount.refund as number) <= 0 || taken + (amount.refund as number) > o.amountFen)
      return [400, { code: 'NOT_ENOUGH', message: 'refund exceeds what was paid' }];
    const r: Refund = {
      refundNo: no,
      reference: o.reference,
      amountFen: amount.refund as number,
      state: 'PROCESSING',
      pollsLeft: this.o.refundPolls ?? 2,
      refundId: `5030${String(++this.seq).padStart(24, '0')}`,
    };
    this.refunds.set(no, r);
    return [200, this.refundAnswer(r)];
  }

  private refundAnswer(r: Refund): Record<string, unknown> {
    return {
      refund_id: r.refundId,
      out_refund_no: r.refundNo,
      out_trade_no: r.reference,
      status: r.state,
      amount: { refund: r.amountFen, currency: 'CNY' },
    };
  }
}
