// Builds each configured device: its driver and, for a simulated device, the protocol
// simulator it talks to (serial devices over a socat pty pair, network devices on a
// loopback port). Drivers never know whether the far end is simulated.
import { driverOptions } from '../../config/devices.js';
import type { DeviceConfig } from '../../config/schema.js';
import type { Device } from '../../device-drivers/core/device.js';
import { openPtyPair, type PtyPair } from '../../device-drivers/core/pty-pair.js';
import { SerialFacePay } from '../../device-drivers/facepay/serial-face-pay.js';
import { FacePaySimulator } from '../../device-drivers/facepay/simulator.js';
import { NexoTerminal } from '../../device-drivers/payment/nexo/nexo-terminal.js';
import { NexoTerminalSimulator } from '../../device-drivers/payment/nexo/simulator.js';
import { EscPosPrinter } from '../../device-drivers/printer/escpos-printer.js';
import { PrinterSimulator } from '../../device-drivers/printer/simulator.js';
import { MtSicsScale } from '../../device-drivers/scale/mt-sics.js';
import { ScaleSimulator } from '../../device-drivers/scale/simulator.js';
import { EvdevScanner } from '../../device-drivers/scanner/evdev-scanner.js';
import { SerialScanner } from '../../device-drivers/scanner/serial-scanner.js';
import { ScannerSimulator } from '../../device-drivers/scanner/simulator.js';

export type Simulator =
  | { kind: 'scanner'; sim: ScannerSimulator }
  | { kind: 'scale'; sim: ScaleSimulator; role: 'weigh' | 'bagging' }
  | { kind: 'printer'; sim: PrinterSimulator }
  | { kind: 'payment-terminal'; sim: NexoTerminalSimulator }
  | { kind: 'face-pay'; sim: FacePaySimulator };

export interface BuiltDevice {
  config: DeviceConfig;
  device: Device;
  simulator: Simulator | null;
  /** stops the simulator and its pty */
  teardown(): Promise<void>;
}

function hostPort(path: string): { host: string; port: number } {
  const i = path.lastIndexOf(':');
  return { host: path.slice(0, i), port: Number(path.slice(i + 1)) };
}

export async function buildDevice(c: DeviceConfig): Promise<BuiltDevice> {
  const closers: (() => Promise<void>)[] = [];
  const teardown = async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };
  try {
    let pty: PtyPair | null = null;
    const serialPath = async () => {
      if (!c.simulate) return c.path!;
      pty = await openPtyPair();
      closers.push(() => pty!.close());
      return pty.a;
    };
    switch (c.driver) {
      case 'serial-scanner': {
        const o = driverOptions({ ...c, driver: c.driver });
        const path = await serialPath();
        const device = new SerialScanner({
          id: c.id,
          path,
          baudRate: o.baudRate,
          suffix: o.suffix,
          debounceMs: o.debounceMs,
        });
        let simulator: Simulator | null = null;
        if (pty) {
          const sim = new ScannerSimulator((pty as PtyPair).b, { suffix: o.suffix, baudRate: o.baudRate });
          await sim.open();
          closers.push(() => sim.close());
          simulator = { kind: 'scanner', sim };
        }
        return { config: c, device, simulator, teardown };
      }
      case 'evdev-scanner': {
        const o = driverOptions({ ...c, driver: c.driver });
        return {
          config: c,
          device: new EvdevScanner({ id: c.id, path: c.path!, debounceMs: o.debounceMs }),
          simulator: null,
          teardown,
        };
      }
      case 'mt-sics': {
        const o = driverOptions({ ...c, driver: c.driver });
        const path = await serialPath();
        const device = new MtSicsScale({ id: c.id, path, baudRate: o.baudRate, timeoutMs: o.timeoutMs });
        let simulator: Simulator | null = null;
        if (pty) {
          const sim = new ScaleSimulator((pty as PtyPair).b, {
            baudRate: o.baudRate,
            serialNumber: `SIM-${c.id}`,
          });
          await sim.open();
          closers.push(() => sim.close());
          simulator = { kind: 'scale', sim, role: o.role };
        }
        return { config: c, device, simulator, teardown };
      }
      case 'escpos': {
        const o = driverOptions({ ...c, driver: c.driver });
        let addr = c.path ? hostPort(c.path) : { host: '127.0.0.1', port: 9100 };
        let simulator: Simulator | null = null;
        if (c.simulate) {
          const sim = new PrinterSimulator();
          addr = { host: '127.0.0.1', port: await sim.listen() };
          closers.push(() => sim.close());
          simulator = { kind: 'printer', sim };
        }
        const device = new EscPosPrinter({ id: c.id, ...addr, timeoutMs: o.timeoutMs });
        return { config: c, device, simulator, teardown };
      }
      case 'nexo': {
        const o = driverOptions({ ...c, driver: c.driver });
        const poiId = o.poiId ?? c.id;
        let addr = c.path ? hostPort(c.path) : { host: '127.0.0.1', port: 0 };
        let simulator: Simulator | null = null;
        if (c.simulate) {
          const sim = new NexoTerminalSimulator({ poiId });
          sim.cardDelayMs = 1500; // the shopper taps a card
          addr = { host: '127.0.0.1', port: await sim.listen() };
          closers.push(() => sim.close());
          simulator = { kind: 'payment-terminal', sim };
        }
        const device = new NexoTerminal({
          id: c.id,
          ...addr,
          saleId: o.saleId ?? c.kiosk ?? c.id,
          poiId,
          paymentTimeoutMs: o.paymentTimeoutMs,
          requestTimeoutMs: o.requestTimeoutMs,
        });
        return { config: c, device, simulator, teardown };
      }
      case 'facepay': {
        const o = driverOptions({ ...c, driver: c.driver });
        const path = await serialPath();
        const device = new SerialFacePay({
          id: c.id,
          path,
          baudRate: o.baudRate,
          merchantId: o.merchantId,
          confirmTimeoutMs: o.confirmTimeoutMs,
        });
        let simulator: Simulator | null = null;
        if (pty) {
          const sim = new FacePaySimulator((pty as PtyPair).b, o.baudRate);
          await sim.open();
          closers.push(() => sim.close());
          simulator = { kind: 'face-pay', sim };
        }
        return { config: c, device, simulator, teardown };
      }
    }
  } catch (e) {
    await teardown();
    throw e;
  }
}
