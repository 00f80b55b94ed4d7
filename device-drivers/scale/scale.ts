// The scale device class: a weight with its stability, read on request, and zeroing.
import type { Device } from '../core/device.js';

export interface WeightReading {
  /** the net weight in grams (converted from the scale's unit) */
  grams: number;
  /** false while the load still moves: never price a weighed item on an unstable reading */
  stable: boolean;
  /** the unit the scale displayed */
  unit: string;
  at: number;
}

export class ScaleError extends Error {
  constructor(
    message: string,
    readonly code: 'UNSTABLE' | 'OVERLOAD' | 'UNDERLOAD' | 'TIMEOUT' | 'BAD_FRAME' | 'REFUSED' | 'OFFLINE',
  ) {
    super(message);
    this.name = 'ScaleError';
  }
}

export interface Scale extends Device {
  readonly kind: 'scale';
  /** the next stable weight (the scale waits for the load to settle, up to its timeout) */
  weighStable(): Promise<WeightReading>;
  /** the weight now, stable or not */
  weighNow(): Promise<WeightReading>;
  zero(): Promise<void>;
}

export const GRAMS_PER_UNIT: Record<string, number> = { g: 1, kg: 1000, lb: 453.59237, oz: 28.349523125 };
