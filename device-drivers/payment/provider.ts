// What checkout needs from anything that takes money it cannot see: a card terminal or
// a payment-code gateway. Every request carries the payment's reference, persisted
// before the request is sent, so a lost answer can be asked about later.
import type { Device } from '../core/device.js';

export interface PayRequest {
  reference: string;
  amountFen: number;
  currency: string;
  /** the shopper's payment code (wallet QR/barcode), for gateways */
  paymentCode?: string;
}

export type PaymentOutcome =
  // amountFen is what the provider says it took: checkout compares it with what it asked
  | { result: 'approved'; providerRef: string; amountFen: number; detail?: Record<string, unknown> }
  | { result: 'declined'; reason: string; detail?: Record<string, unknown> };

/** What the provider knows of an earlier request. */
export type PaymentStatus = PaymentOutcome | { result: 'not_found' } | { result: 'in_progress' };

/** The answer did not arrive (timeout, connection lost, garbled): the outcome is unknown. */
export class PaymentLinkError extends Error {
  constructor(
    message: string,
    readonly code: 'TIMEOUT' | 'OFFLINE' | 'BAD_FRAME',
  ) {
    super(message);
    this.name = 'PaymentLinkError';
  }
}

export interface PaymentProvider {
  readonly id: string;
  pay(req: PayRequest): Promise<PaymentOutcome>;
  status(reference: string): Promise<PaymentStatus>;
  /** undoes an approved payment; resolves true when reversed, false when there was nothing to undo */
  reverse(reference: string, amountFen: number): Promise<boolean>;
}

export interface PaymentTerminal extends Device, PaymentProvider {
  readonly kind: 'payment-terminal';
}
