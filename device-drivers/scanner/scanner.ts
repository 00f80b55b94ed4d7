// The barcode scanner device class: whatever the transport, it emits what was read.
import type { Device } from '../core/device.js';

export interface ScanEvent {
  /** the read as the scanner sent it, suffix removed (AIM prefix kept: the parser reads it) */
  data: string;
  /** AIM symbology identifier when the scanner sends one, e.g. "]E0" */
  aim: string | null;
  at: number;
}

export interface Scanner extends Device {
  readonly kind: 'scanner';
  on(event: 'scan', listener: (scan: ScanEvent) => void): this;
  on(event: 'state', listener: (state: string, error?: string) => void): this;
}
