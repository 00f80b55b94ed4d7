// The receipt printer device class: print a document, read the paper and cover state.
import type { Device } from '../core/device.js';

export type PrintBlock =
  | { text: string; bold?: boolean; size?: 1 | 2; align?: 'left' | 'center' | 'right' }
  | { qr: string; moduleSize?: number }
  | { feed: number }
  | { cut: true };

export interface PrinterStatus {
  online: boolean;
  coverOpen: boolean;
  paperOut: boolean;
  paperNearEnd: boolean;
  /** the printer stopped (paper ran out mid-job, cutter jam, overheating) */
  error: boolean;
}

export class PrinterError extends Error {
  constructor(
    message: string,
    readonly code: 'PAPER_OUT' | 'COVER_OPEN' | 'PRINTER_ERROR' | 'TIMEOUT' | 'OFFLINE',
    readonly status?: PrinterStatus,
  ) {
    super(message);
    this.name = 'PrinterError';
  }
}

export interface Printer extends Device {
  readonly kind: 'printer';
  status(): Promise<PrinterStatus>;
  /** prints and resolves once the printer reports it still fine after the job */
  print(doc: PrintBlock[]): Promise<void>;
}
