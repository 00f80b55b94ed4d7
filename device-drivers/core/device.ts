// What every device driver is to the rest of the daemon: something that opens, closes,
// and says what state it is in. Drivers never import edge/; they emit plain events.
import type { EventEmitter } from 'node:events';

export type DeviceState = 'connecting' | 'ready' | 'disconnected' | 'failed' | 'closed';
export type DeviceKind = 'scanner' | 'scale' | 'printer' | 'payment-terminal' | 'face-pay';

export interface DeviceStatus {
  id: string;
  kind: DeviceKind;
  state: DeviceState;
  since: number;
  error?: string;
  reconnects: number;
}

export interface Device extends EventEmitter {
  readonly id: string;
  readonly kind: DeviceKind;
  readonly state: DeviceState;
  /** resolves once the device is ready; rejects when it cannot be reached now */
  open(): Promise<void>;
  close(): Promise<void>;
}
