// One self-checkout kiosk: its devices and the cart on it. Scans from its scanner land
// in the kiosk's cart (weighed items are weighed on its scale), card and payment-code
// tenders go to its terminal and the store's gateway, and a finished sale prints on its
// printer. A failed device takes away only what needs it: no printer → e-receipt, no
// terminal → other tenders, no scale → weighed items need a labelled pack or staff.

import type { Logger } from 'pino';
import type { DeviceState } from '../../device-drivers/core/device.js';
import type { FacePay } from '../../device-drivers/facepay/face-pay.js';
import { paymentCodeWallet } from '../../device-drivers/payment/payment-code/codes.js';
import type { PaymentTerminal } from '../../device-drivers/payment/provider.js';
import type { Printer } from '../../device-drivers/printer/printer.js';
import { type Scale, ScaleError } from '../../device-drivers/scale/scale.js';
import type { ScanEvent, Scanner } from '../../device-drivers/scanner/scanner.js';
import { DomainError } from '../../sync/kernel/errors.js';
import { raiseAlert } from '../alerts/alerts.js';
import { parseScan, type ScanOptions } from '../catalog/barcode.js';
import { BarcodeError } from '../catalog/gtin.js';
import { createCart, getCart, handOffCart } from '../checkout/carts.js';
import { receiptFor } from '../checkout/receipt.js';
import type { CheckoutContext } from '../checkout/sale.js';
import { scanIntoCart } from '../checkout/scan-into-cart.js';
import type { Db } from '../db/open.js';
import { creditByCode, GUIDE_CODE } from '../guides/credit.js';
import type { ProviderPayments, ProviderPayResult } from '../payments/provider-payments.js';
import type { BaggingMonitor } from './bagging.js';
import { receiptDocument } from './receipt-print.js';

export interface StationEvent {
  seq: number;
  at: number;
  type:
    | 'line-added'
    | 'cart-taken-over'
    | 'scan-refused'
    | 'payment'
    | 'receipt-printed'
    | 'receipt-not-printed'
    | 'device'
    | 'bagging'
    | 'guide-credited';
  detail: Record<string, unknown>;
}

export interface StationDeps {
  kioskId: string;
  db: Db;
  log: Logger;
  store: { id: string; name: string };
  /** the e-receipt link a sale's printed QR code carries (null: the store has no address yet) */
  eReceiptUrl?: (saleId: string, saleAt: number) => string | null;
  scanOptions: ScanOptions;
  context: () => CheckoutContext;
  payments: ProviderPayments;
  scanner?: Scanner | undefined;
  scale?: Scale | undefined;
  printer?: Printer | undefined;
  terminal?: PaymentTerminal | undefined;
  facePay?: FacePay | undefined;
  gatewayId?: string | undefined;
  /** whether a staff id is one of the store's guides */
  isGuide?: ((staffId: string) => boolean) | undefined;
  /** the bagging-area security scale and its check */
  bagging?: { scale: Scale; monitor: BaggingMonitor; pollMs: number } | undefined;
}

const MAX_EVENTS = 100;

/** The QR code a shopper's phone shows to hand its cart to a kiosk: the shopper page's
 * HTTPS address with the code in the fragment (any phone camera app opens it as a link;
 * the kiosk's scanner reads the code), or the older `storeedge:cart:` form. */
const PHONE_CART_QR = /^(?:storeedge:cart:|https:\/\/[^\s#?]+\/ui\/shopper\/#cart=)([2-9A-Za-z]{6})$/;

export class KioskStation {
  private cartId: string | null = null;
  private readonly events: StationEvent[] = [];
  private seq = 0;
  private work: Promise<unknown> = Promise.resolve();
  private baggingTimer: NodeJS.Timeout | null = null;
  /** the bagging check runs from the first item of a cart until its sale */
  private shopping = false;
  private readonly onScan = (s: ScanEvent) => {
    // scans are handled one at a time, in the order read
    this.work = this.work
      .then(() => this.scan(s.data))
      .catch((e) => this.d.log.error({ err: e }, 'scan failed'));
  };

  constructor(private readonly d: StationDeps) {
    // the cart left on this kiosk when the daemon stopped is still its cart
    this.cartId =
      (d.db
        .prepare(
          `SELECT id FROM carts WHERE kiosk_id = ? AND channel = 'kiosk' AND status IN ('open', 'paying') ORDER BY updated_at DESC LIMIT 1`,
        )
        .pluck()
        .get(d.kioskId) as string | undefined) ?? null;
  }

  get kioskId(): string {
    return this.d.kioskId;
  }

  start(): void {
    this.d.scanner?.on('scan', this.onScan);
    const b = this.d.bagging;
    if (b) {
      let busy = false;
      this.baggingTimer = setInterval(() => {
        if (busy || b.scale.state !== 'ready') return;
        busy = true;
        void this.checkBagging().finally(() => (busy = false));
      }, b.pollMs);
      this.baggingTimer.unref();
    }
  }

  stop(): void {
    this.d.scanner?.off('scan', this.onScan);
    if (this.baggingTimer) clearInterval(this.baggingTimer);
    this.baggingTimer = null;
  }

  private async checkBagging(): Promise<void> {
    const b = this.d.bagging!;
    try {
      const w = await b.scale.weighNow();
      // the load is tracked all the time, so a new shopper starts from the right weight;
      // mismatches count only while someone is shopping
      const alert = b.monitor.reading(w.grams, w.stable) ?? b.monitor.overdue(this.d.context().now);
      if (alert && this.shopping) {
        this.emit('bagging', { alert, grams: w.grams });
        raiseAlert(
          this.d.db,
          { kioskId: this.d.kioskId, kind: 'bagging', message: alert, cartId: this.currentCart() },
          this.d.context().now,
        );
      }
    } catch (e) {
      // a missed poll is retried on the next tick
      if (!(e instanceof ScaleError)) this.d.log.error({ err: e }, 'bagging check failed');
    }
  }

  private emit(type: StationEvent['type'], detail: Record<string, unknown>): void {
    this.events.push({ seq: ++this.seq, at: this.d.context().now, type, detail });
    if (this.events.length > MAX_EVENTS) this.events.shift();
  }

  eventsSince(seq = 0): StationEvent[] {
    return this.events.filter((e) => e.seq > seq);
  }

  deviceState(): Record<
    'scanner' | 'scale' | 'printer' | 'terminal' | 'facePay',
    { id: string; state: DeviceState } | null
  > {
    const s = (d: { id: string; state: DeviceState } | undefined) =>
      d ? { id: d.id, state: d.state } : null;
    return {
      scanner: s(this.d.scanner),
      scale: s(this.d.scale),
      printer: s(this.d.printer),
      terminal: s(this.d.terminal),
      facePay: s(this.d.facePay),
    };
  }

  /** The kiosk's cart, if one is open or being paid. */
  currentCart(): string | null {
    if (!this.cartId) return null;
    const status = getCart(this.d.db, this.cartId).status;
    return status === 'open' || status === 'paying' ? this.cartId : null;
  }

  /** Makes `cartId` this kiosk's cart (a handed-off phone cart, or one started on screen). */
  adopt(cartId: string): void {
    this.cartId = cartId;
  }

  /**
   * What the scanner read: a product into the cart, a wallet code to pay with, or a
   * shopper's phone cart (its QR code) to take over and pay here.
   */
  async scan(read: string): Promise<void> {
    const ctx = this.d.context();
    let cartId = this.currentCart();
    try {
      const phoneCart = PHONE_CART_QR.exec(read);
      if (phoneCart) {
        const cart = handOffCart(this.d.db, phoneCart[1]!, this.d.kioskId, ctx.now);
        this.adopt(cart.id);
        this.emit('cart-taken-over', { cartId: cart.id });
        return;
      }
      // a guide's code (their QR): the sale goes to the guide who helped
      if (GUIDE_CODE.test(read)) {
        if (!cartId) {
          cartId = createCart(this.d.db, { channel: 'kiosk', kioskId: this.d.kioskId, now: ctx.now }).id;
          this.cartId = cartId;
        }
        const staffId = creditByCode(this.d.db, cartId, read, this.d.isGuide ?? (() => false));
        this.emit('guide-credited', { cartId, staffId });
        return;
      }
      if (cartId && getCart(this.d.db, cartId).status === 'paying' && paymentCodeWallet(read)) {
        await this.payCode(cartId, read, null);
        return;
      }
      const parsed = parseScan(read, this.d.scanOptions);
      if (!cartId) {
        cartId = createCart(this.d.db, { channel: 'kiosk', kioskId: this.d.kioskId, now: ctx.now }).id;
        this.cartId = cartId;
        this.d.bagging?.monitor.reset();
      }
      let line: ReturnType<typeof scanIntoCart>;
      const rules = { scanOptions: this.d.scanOptions, timezone: ctx.timezone };
      try {
        line = scanIntoCart(this.d.db, cartId, parsed, rules, {
          now: ctx.now,
          retryWithWeight: !!this.d.scale,
        });
      } catch (e) {
        if (!(e instanceof DomainError && e.code === 'WEIGHT_REQUIRED' && this.d.scale)) throw e;
        const w = await this.d.scale.weighStable();
        line = scanIntoCart(this.d.db, cartId, parsed, rules, { weightG: Math.round(w.grams), now: ctx.now });
      }
      this.emit('line-added', { cartId, lineId: line.id, gtin: line.gtin, weightG: line.weight_g });
      this.shopping = true;
      this.d.bagging?.monitor.scanned(ctx.now);
    } catch (e) {
      const code =
        e instanceof DomainError || e instanceof ScaleError
          ? e.code
          : e instanceof BarcodeError
            ? 'BARCODE_INVALID'
            : 'INTERNAL';
      if (code === 'INTERNAL') this.d.log.error({ err: e }, 'scan failed');
      this.emit('scan-refused', { cartId, code, message: (e as Error).message });
    }
  }

  async payCard(cartId: string, amountFen: number | null): Promise<ProviderPayResult> {
    const t = this.d.terminal;
    if (t?.state !== 'ready')
      throw new DomainError(
        'conflict',
        'DEVICE_UNAVAILABLE',
        'the card terminal is not available: pay another way',
      );
    return this.finish(await this.d.payments.pay(cartId, 'card', t.id, amountFen));
  }

  async payCode(cartId: string, code: string, amountFen: number | null): Promise<ProviderPayResult> {
    if (!this.d.gatewayId)
      throw new DomainError('conflict', 'DEVICE_UNAVAILABLE', 'payment codes are not accepted here');
    if (!paymentCodeWallet(code))
      throw new DomainError('invalid', 'NOT_A_PAYMENT_CODE', 'not a wallet payment code');
    return this.finish(
      await this.d.payments.pay(cartId, 'payment_code', this.d.gatewayId, amountFen, { paymentCode: code }),
    );
  }

  /** Face pay: the kiosk's face-pay device makes a one-time code for this payment's
   * reference and amount (the face part stays on the device), charged at the gateway. */
  async payFace(cartId: string, amountFen: number | null): Promise<ProviderPayResult> {
    const f = this.d.facePay;
    if (!this.d.gatewayId || f?.state !== 'ready')
      throw new DomainError('conflict', 'DEVICE_UNAVAILABLE', 'face pay is not available: pay another way');
    return this.finish(
      await this.d.payments.pay(cartId, 'payment_code', this.d.gatewayId, amountFen, {
        codeFrom: async (reference, amount) => {
          const r = await f.faceCode({ reference, amountFen: amount });
          if (r.result === 'code') return { code: r.paymentCode };
          return { declined: r.result === 'cancelled' ? 'FACE_PAY_CANCELLED' : `FACE_PAY_${r.reason}` };
        },
      }),
    );
  }

  private async finish(r: ProviderPayResult): Promise<ProviderPayResult> {
    this.emit('payment', { status: r.status, reason: r.reason ?? null, saleId: r.sale?.saleId ?? null });
    if (r.status === 'unknown')
      raiseAlert(
        this.d.db,
        {
          kioskId: this.d.kioskId,
          kind: 'payment',
          message: 'payment answer lost: checking with the provider',
        },
        this.d.context().now,
      );
    if (r.sale) {
      // the shopper now takes the bags: the bagging check rests until the next cart
      this.shopping = false;
      this.d.bagging?.monitor.reset();
      await this.printReceipt(r.sale.saleId);
    }
    return r;
  }

  /** Prints a sale's receipt; a printer that cannot print leaves the e-receipt and tells staff. */
  async printReceipt(saleId: string): Promise<boolean> {
    const printer = this.d.printer;
    try {
      if (printer?.state !== 'ready') throw new Error('no printer ready');
      const receipt = receiptFor(this.d.db, saleId, this.d.store);
      const url = this.d.eReceiptUrl?.(saleId, receipt.at) ?? null;
      await printer.print(receiptDocument(receipt, this.d.store.id, url));
      this.emit('receipt-printed', { saleId });
      return true;
    } catch (e) {
      const message = (e as Error).message;
      this.emit('receipt-not-printed', {
        saleId,
        reason: message,
        eReceipt: `/api/v1/sales/${saleId}/receipt`,
      });
      if (printer)
        raiseAlert(
          this.d.db,
          { kioskId: this.d.kioskId, kind: 'device', message: `printer ${printer.id}: ${message}` },
          this.d.context().now,
        );
      return false;
    }
  }

  async weigh(): Promise<{ grams: number; stable: boolean }> {
    if (this.d.scale?.state !== 'ready')
      throw new DomainError('conflict', 'DEVICE_UNAVAILABLE', 'the scale is not available');
    const w = await this.d.scale.weighNow();
    return { grams: w.grams, stable: w.stable };
  }

  help(): void {
    raiseAlert(
      this.d.db,
      {
        kioskId: this.d.kioskId,
        kind: 'help',
        message: 'shopper asked for help',
        cartId: this.currentCart(),
      },
      this.d.context().now,
    );
  }

  /** A device of this kiosk changed state: a failure is an alert for staff. */
  deviceChanged(id: string, state: DeviceState, error?: string): void {
    this.emit('device', { id, state, error: error ?? null });
    if (state === 'failed' || state === 'disconnected')
      raiseAlert(
        this.d.db,
        { kioskId: this.d.kioskId, kind: 'device', message: `${id} ${state}${error ? `: ${error}` : ''}` },
        this.d.context().now,
      );
  }
}
