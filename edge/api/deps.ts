// What the business routes need, as plain values: the database, the clock, the
// store's settings. Built once in the composition root.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ScanOptions } from '../catalog/barcode.js';
import type { AuditPolicy } from '../checkout/exit-audit.js';
import { quoteCart } from '../checkout/quote.js';
import type { CheckoutContext } from '../checkout/sale.js';
import type { CouponGate } from '../coupons/chain.js';
import { lightly } from '../db/durability.js';
import type { Db } from '../db/open.js';
import type { AlsoBought } from '../guides/also-bought.js';
import type { ZonePlace } from '../guides/calls.js';
import type { KioskStation } from '../kiosk/station.js';
import type { MemberGate } from '../members/follow.js';
import type { WalletPayments } from '../payments/wallet-payments.js';
import type { VisionDetails } from '../vision/part.js';
import type { QueueState } from '../vision/queues.js';
import type { CameraScene } from '../vision/render.js';
import type { CartTokens, KioskAuth, MemberSessions } from './access.js';
import { idempotent, idempotentAsync, type WriteResult } from './idempotency.js';
import type { StaffAuth } from './staff-auth.js';

export interface BusinessDeps {
  db: Db;
  clock: () => number;
  store: { id: string; name: string; timezone: string };
  loyalty: CheckoutContext['loyalty'];
  /** whether HQ is in reach now (points spending falls under a daily cap when not) */
  hqOnline?: () => boolean;
  /** HQ's holds on chain coupons; absent when the store runs without HQ */
  couponGate?: CouponGate;
  /** looks up at HQ a member this store does not follow; absent when the store runs without HQ */
  memberGate?: MemberGate;
  scanOptions: ScanOptions;
  staffAuth: StaffAuth;
  kioskAuth: KioskAuth;
  cartTokens: CartTokens;
  memberSessions: MemberSessions;
  /** the kiosks with devices; null when the daemon runs no devices part */
  kiosks: KioskDirectory | null;
  /** people counting; null when the daemon runs no vision part */
  vision: VisionView | null;
  /** the kiosks' queues (camera zones marked `queue`); absent in an app built without them */
  queues?: { states(): QueueState[] };
  /** https://<store hostname>:<port> once listening: what the entrance and kiosk QR codes open */
  publicUrl?: () => string | null;
  /** paying on the phone; absent when no wallet gateway is configured */
  wallet?: WalletPayments | null;
  /** the demo's simulated wallet app: pays an order's pay parameters at the simulated gateway */
  walletDemo?:
    | ((params: Record<string, unknown>) => Promise<{ result: 'paid' | 'refused'; reason?: string }>)
    | null;
  /** store guides: "bought together" counted on the box; absent in an app built without it */
  guides?: { alsoBought: AlsoBought };
  /** the self-checkout screen's timeouts (config kioskScreen) */
  kioskScreen?: { stillThereSeconds: number; setAsideSeconds: number; doneSeconds: number };
  /** exit checks of scan & go sales, decided as they are paid */
  exitAudit?: AuditPolicy;
  /** refunds paid back through a provider: told when a refund queued one */
  providerRefunds?: { kick(): void } | null;
}

export interface VisionView {
  occupancy(): {
    store: { ins: number; outs: number; inside: number; since: number };
    cameras: { id: string; visible: number; zones: Record<string, number> }[];
  };
  details(): VisionDetails;
  scene(cameraId: string): CameraScene | undefined;
  showsStillScene(): boolean;
  zoneCategories(): { cameraId: string; zoneId: string; categories: string[] }[];
  /** every zone with its shelves' categories and its centre on the floor plan (for guides) */
  zonePlaces(): ZonePlace[];
}

export interface KioskDirectory {
  station(kioskId: string): KioskStation | undefined;
}

export function checkoutContext(d: BusinessDeps): CheckoutContext {
  return {
    now: d.clock(),
    timezone: d.store.timezone,
    storeId: d.store.id,
    loyalty: d.loyalty,
    ...(d.hqOnline ? { hqOnline: d.hqOnline() } : {}),
    ...(d.exitAudit ? { exitAudit: d.exitAudit } : {}),
  };
}

/** A compact answer's quote, rebuilt as the cart stands now. */
const rebuilder = (d: BusinessDeps) => (cartId: string) =>
  quoteCart(d.db, cartId, { now: d.clock(), timezone: d.store.timezone });

declare module 'fastify' {
  interface FastifyContextConfig {
    /** the write commits without waiting for the disk (edge/db/durability.ts): the steps
     * of a cart that carry no money, made durable by the commit that takes the payment */
    light?: boolean;
  }
}

/** An idempotent write bound to the store's database and clock. */
export function writer(d: BusinessDeps) {
  const rebuild = rebuilder(d);
  return <T>(req: FastifyRequest, reply: FastifyReply, work: () => WriteResult<T>): T => {
    const once = () => idempotent(d.db, req, reply, work, d.clock(), rebuild);
    return req.routeOptions.config.light ? lightly(d.db, once) : once();
  };
}

/** The same for writes that wait on a device or provider. */
export function asyncWriter(d: BusinessDeps) {
  const rebuild = rebuilder(d);
  return <T>(req: FastifyRequest, reply: FastifyReply, work: () => Promise<WriteResult<T>>): Promise<T> =>
    idempotentAsync(d.db, req, reply, work, d.clock, rebuild);
}
