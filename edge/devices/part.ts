// The devices part of the daemon: builds every configured device (and simulator),
// keeps them connected through the supervisor, groups them into kiosk stations, and
// owns card and payment-code payments, including recovering the ones a crash left
// unsettled. A device that cannot be reached does not stop the daemon: it is retried
// with backoff and reported in /readyz and the metrics.
import type { Logger } from 'pino';
import { driverOptions } from '../../config/devices.js';
import type { Config, DeviceConfig } from '../../config/schema.js';
import type { DeviceStatus } from '../../device-drivers/core/device.js';
import { Supervisor } from '../../device-drivers/core/supervisor.js';
import { PaymentCodeGateway } from '../../device-drivers/payment/payment-code/gateway.js';
import { GatewaySimulator } from '../../device-drivers/payment/payment-code/simulator.js';
import type { PaymentTerminal } from '../../device-drivers/payment/provider.js';
import type { Printer } from '../../device-drivers/printer/printer.js';
import type { Scale } from '../../device-drivers/scale/scale.js';
import type { Scanner } from '../../device-drivers/scanner/scanner.js';
import type { ScanOptions } from '../catalog/barcode.js';
import type { CheckoutContext } from '../checkout/sale.js';
import type { Db } from '../db/open.js';
import { BaggingMonitor } from '../kiosk/bagging.js';
import { KioskStation } from '../kiosk/station.js';
import type { Part } from '../lifecycle.js';
import { ProviderPayments } from '../payments/provider-payments.js';
import { type BuiltDevice, buildDevice, type Simulator } from './build.js';

export interface DevicesPartOptions {
  devices: DeviceConfig[];
  codeGateway: Config['payments']['codeGateway'];
  currency: string;
  db: () => Db;
  log: Logger;
  context: () => CheckoutContext;
  store: { id: string; name: string };
  scanOptions: ScanOptions;
  /** device state changes, for metrics */
  onState?: (s: DeviceStatus) => void;
}

const GATEWAY_ID = 'payment-code-gateway';

const isBaggingScale = (c: DeviceConfig) =>
  c.driver === 'mt-sics' && driverOptions({ ...c, driver: 'mt-sics' }).role === 'bagging';

export class DevicesPart implements Part {
  readonly name = 'devices';
  private supervisor: Supervisor | null = null;
  private built: BuiltDevice[] = [];
  private gatewaySim: GatewaySimulator | null = null;
  private readonly kiosks = new Map<string, KioskStation>();
  private payments: ProviderPayments | null = null;

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
        scanOptions: this.o.scanOptions,
        context: this.o.context,
        payments,
        scanner: of<Scanner>('scanner'),
        scale: of<Scale>('scale'),
        printer: of<Printer>('printer'),
        terminal: of<PaymentTerminal>('payment-terminal'),
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
  }

  async stop(): Promise<void> {
    for (const s of this.kiosks.values()) s.stop();
    this.payments?.stop();
    await this.supervisor?.stop();
    for (const b of this.built.reverse()) await b.teardown();
    this.built = [];
    await this.gatewaySim?.close();
    this.gatewaySim = null;
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
    };
  }
}
