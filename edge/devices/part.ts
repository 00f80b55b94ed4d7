// The devices part of the daemon: builds every configured device (and simulator),
// keeps them connected through the supervisor, groups them into kiosk stations, and
// owns card, payment-code and phone (wallet) payments and wallet refunds, including
// recovering the ones a crash left unsettled. A device that cannot be reached does not stop the daemon: it is retried
// with backoff and reported in /readyz and the metrics.
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { driverOptions } from '../../config/devices.js';
import type { Config, DeviceConfig } from '../../config/schema.js';
import type { DeviceStatus } from '../../device-drivers/core/device.js';
import { Supervisor } from '../../device-drivers/core/supervisor.js';
import type { FacePay } from '../../device-drivers/facepay/face-pay.js';
import { PaymentCodeGateway } from '../../device-drivers/payment/payment-code/gateway.js';
import { GatewaySimulator } from '../../device-drivers/payment/payment-code/simulator.js';
import type { PaymentTerminal } from '../../device-drivers/payment/provider.js';
import { WalletGateway } from '../../device-drivers/payment/wallet/gateway.js';
import { newRsaKeyPair, rsaPrivateKey, rsaPublicKey } from '../../device-drivers/payment/wallet/signing.js';
import { WalletGatewaySimulator } from '../../device-drivers/payment/wallet/simulator.js';
import type { Printer } from '../../device-drivers/printer/printer.js';
import type { Scale } from '../../device-drivers/scale/scale.js';
import type { Scanner } from '../../device-drivers/scanner/scanner.js';
import type { Part } from '../../sync/kernel/lifecycle.js';
import type { ScanOptions } from '../catalog/barcode.js';
import type { CheckoutContext } from '../checkout/sale.js';
import type { Db } from '../db/open.js';
import { BaggingMonitor } from '../kiosk/bagging.js';
import { KioskStation } from '../kiosk/station.js';
import { ProviderPayments } from '../payments/provider-payments.js';
import { ProviderRefunds } from '../payments/provider-refunds.js';
import { WalletPayments } from '../payments/wallet-payments.js';
import { type BuiltDevice, buildDevice, type Simulator } from './build.js';

export interface DevicesPartOptions {
  devices: DeviceConfig[];
  codeGateway: Config['payments']['codeGateway'];
  wallet: Config['payments']['wallet'];
  /** this daemon's notification address for the wallet gateway, once it listens */
  walletNotifyUrl: () => string;
  currency: string;
  db: () => Db;
  log: Logger;
  context: () => CheckoutContext;
  store: { id: string; name: string };
  /** the e-receipt link printed on a sale's receipt */
  eReceiptUrl?: (saleId: string, saleAt: number) => string | null;
  scanOptions: ScanOptions;
  /** whether a staff id is one of the store's guides (their code scanned at a kiosk credits the cart) */
  isGuide?: (staffId: string) => boolean;
  /** device state changes, for metrics */
  onState?: (s: DeviceStatus) => void;
}

const GATEWAY_ID = 'payment-code-gateway';
const WALLET_ID = 'wallet-gateway';

const isBaggingScale = (c: DeviceConfig) =>
  c.driver === 'mt-sics' && driverOptions({ ...c, driver: 'mt-sics' }).role === 'bagging';

export class DevicesPart implements Part {
  readonly name = 'devices';
  private supervisor: Supervisor | null = null;
  private built: BuiltDevice[] = [];
  private gatewaySim: GatewaySimulator | null = null;
  private readonly kiosks = new Map<string, KioskStation>();
  private payments: ProviderPayments | null = null;
  private walletSim: WalletGatewaySimulator | null = null;
  private walletUrl: string | null = null;
  /** paying on the phone, when a wallet gateway is configured */
  wallet: WalletPayments | null = null;
  refunds: ProviderRefunds | null = null;

  constructor(private readonly o: DevicesPartOptions) {}

  station(kioskId: string): KioskStation | undefined {
    return this.kiosks.get(kioskId);
  }

  /** The simulators of a kiosk's devices (demo store and tests drive them). */
  simulators(kioskId: string): Simulator[] {
    return this.built.filter((b) => b.config.kiosk === kioskId && b.simulator).map((b) => b.simulator!);
  }

  status(): DeviceStatus[] {
    return this.supervisor?.status() ?? [];
  }

  async start(): Promise<void> {
    const { log } = this.o;
    const db = this.o.db();
    const payments = new ProviderPayments({ db, currency: this.o.currency, context: this.o.context, log });
    this.payments = payments;
    const stationOf = new Map<string, KioskStation>();
    const supervisor = new Supervisor({
      baseMs: 500,
      capMs: 30_000,
      onState: (s) => {
        log.info({ device: s.id, state: s.state, error: s.error }, 'device state');
        stationOf.get(s.id)?.deviceChanged(s.id, s.state, s.error);
        this.o.onState?.(s);
      },
    });
    this.supervisor = supervisor;

    for (const c of this.o.devices) {
      const b = await buildDevice(c);
      this.built.push(b);
      supervisor.add(b.device);
      if (b.device.kind === 'payment-terminal') payments.register(b.device as PaymentTerminal);
    }

    const g = this.o.codeGateway;
    let gatewayId: string | undefined;
    if (g.enabled) {
      let url = g.url;
      if (g.simulate) {
        this.gatewaySim = new GatewaySimulator(g.key);
        url = await this.gatewaySim.listen();
      }
      payments.register(
        new PaymentCodeGateway({
          id: GATEWAY_ID,
          baseUrl: url,
          merchantId: g.merchantId,
          key: g.key,
          confirmTimeoutMs: g.confirmTimeoutMs,
        }),
      );
      gatewayId = GATEWAY_ID;
    }

    await this.startWallet(db, payments);

    const byKiosk = new Map<string, BuiltDevice[]>();
    for (const b of this.built) {
      if (!b.config.kiosk) continue;
      byKiosk.set(b.config.kiosk, [...(byKiosk.get(b.config.kiosk) ?? []), b]);
    }
    for (const [kioskId, list] of byKiosk) {
      const of = <T>(kind: string) =>
        list.find((b) => b.device.kind === kind && !isBaggingScale(b.config))?.device as T | undefined;
      const baggingDevice = list.find((b) => isBaggingScale(b.config));
      const baggingOpts = baggingDevice
        ? driverOptions({ ...baggingDevice.config, driver: 'mt-sics' })
        : null;
      const station = new KioskStation({
        kioskId,
        db,
        log: log.child({ kiosk: kioskId }),
        store: this.o.store,
        ...(this.o.eReceiptUrl ? { eReceiptUrl: this.o.eReceiptUrl } : {}),
        scanOptions: this.o.scanOptions,
        context: this.o.context,
        isGuide: this.o.isGuide,
        payments,
        scanner: of<Scanner>('scanner'),
        scale: of<Scale>('scale'),
        printer: of<Printer>('printer'),
        terminal: of<PaymentTerminal>('payment-terminal'),
        facePay: of<FacePay>('face-pay'),
        gatewayId,
        bagging:
          baggingDevice && baggingOpts
            ? {
                scale: baggingDevice.device as Scale,
                monitor: new BaggingMonitor({
                  toleranceG: baggingOpts.baggingToleranceG,
                  placeWithinMs: baggingOpts.baggingPlaceWithinMs,
                }),
                pollMs: 500,
              }
            : undefined,
      });
      this.kiosks.set(kioskId, station);
      for (const b of list) stationOf.set(b.device.id, station);
      station.start();
    }

    await supervisor.start();
    const unsettled = payments.recoverAll();
    if (unsettled) log.warn({ unsettled }, 'payments left unsettled by the last run: asking their providers');
    this.refunds?.kick();
  }

  /** The wallet gateway for paying on the phone: its keys from files, or made fresh for the
   * simulator. A key that does not load stops the start, with the reason. */
  private async startWallet(db: Db, payments: ProviderPayments): Promise<void> {
    const w = this.o.wallet;
    if (!w.enabled) return;
    let merchantKey: KeyObject;
    let platformKey: KeyObject;
    let url = w.url;
    if (w.simulate) {
      const merchant = newRsaKeyPair();
      merchantKey = merchant.privateKey;
      this.walletSim = new WalletGatewaySimulator({
        appId: w.appId,
        merchantId: w.merchantId,
        merchantPublicKey: merchant.publicKey,
        apiV3Key: w.apiV3Key,
      });
      url = await this.walletSim.listen();
      platformKey = this.walletSim.platform.publicKey;
    } else {
      const load = (file: string, what: string, parse: (pem: string, what: string) => KeyObject) => {
        try {
          return parse(readFileSync(file, 'utf8'), what);
        } catch (e) {
          throw new Error(`payments.wallet: ${what} ${file}: ${(e as Error).message}`);
        }
      };
      merchantKey = load(w.merchantKeyFile, 'merchant key', rsaPrivateKey);
      platformKey = load(w.platformKeyFile, 'gateway public key', rsaPublicKey);
    }
    const gateway = new WalletGateway({
      id: WALLET_ID,
      baseUrl: url,
      appId: w.appId,
      merchantId: w.merchantId,
      merchantSerial: w.merchantSerial,
      merchantKey,
      platformKey,
      apiV3Key: w.apiV3Key,
    });
    payments.register(gateway);
    this.walletUrl = w.simulate || w.simulatedWallet ? url : null;
    const log = this.o.log.child({ payments: 'wallet' });
    this.wallet = new WalletPayments({
      db,
      payments,
      gateway,
      currency: this.o.currency,
      context: this.o.context,
      log,
      notifyUrl: () => w.notifyUrl || this.o.walletNotifyUrl(),
      payMs: w.payMinutes * 60_000,
      description: w.description,
    });
    this.refunds = new ProviderRefunds({ db, gateway, log, now: () => this.o.context().now });
  }

  /** The demo's wallet app: hands the pay parameters to the simulated gateway's wallet side. */
  walletDemo():
    | ((params: Record<string, unknown>) => Promise<{ result: 'paid' | 'refused'; reason?: string }>)
    | null {
    const url = this.walletUrl;
    if (!url) return null;
    return async (params) => {
      const res = await fetch(new URL('sim/wallet/pay', url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(params),
        signal: AbortSignal.timeout(10_000),
      });
      return (await res.json()) as { result: 'paid' | 'refused'; reason?: string };
    };
  }

  async stop(): Promise<void> {
    for (const s of this.kiosks.values()) s.stop();
    this.payments?.stop();
    this.refunds?.stop();
    await this.supervisor?.stop();
    for (const b of this.built.reverse()) await b.teardown();
    this.built = [];
    await this.gatewaySim?.close();
    this.gatewaySim = null;
    await this.walletSim?.close();
    this.walletSim = null;
    this.wallet = null;
    this.refunds = null;
  }

  details(): Record<string, unknown> {
    const devices = this.status();
    return {
      devices: devices.map((d) => ({
        id: d.id,
        kind: d.kind,
        state: d.state,
        reconnects: d.reconnects,
        error: d.error,
      })),
      degraded: devices.some((d) => d.state !== 'ready'),
      paymentsAwaitingProvider: this.payments?.unresolved() ?? 0,
      ...(this.refunds ? { walletRefundsOpen: this.refunds.open() } : {}),
    };
  }
}
