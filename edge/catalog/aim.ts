// AIM symbology identifiers (ISO/IEC 15424): scanners configured to send them prefix
// every read with "]" + code character + modifier, which tells us what was scanned.

export type Symbology =
  | 'ean-13'
  | 'ean-8'
  | 'upc-a'
  | 'upc-e'
  | 'itf-14'
  | 'gs1-128'
  | 'code-128'
  | 'gs1-databar'
  | 'gs1-qr'
  | 'qr'
  | 'gs1-datamatrix'
  | 'datamatrix'
  | 'code-39'
  | 'other';

export interface Aim {
  id: string;
  symbology: Symbology;
  /** the data is a GS1 element string (FNC1 in first position) */
  gs1: boolean;
}

const TABLE: Record<string, Omit<Aim, 'id'>> = {
  ']E0': { symbology: 'ean-13', gs1: false }, // EAN-13, UPC-A and UPC-E as 13 digits
  ']E1': { symbology: 'ean-13', gs1: false }, // two-digit add-on only
  ']E2': { symbology: 'ean-13', gs1: false }, // five-digit add-on only
  ']E3': { symbology: 'ean-13', gs1: false }, // main + add-on in one transmission
  ']E4': { symbology: 'ean-8', gs1: false },
  ']I0': { symbology: 'itf-14', gs1: false },
  ']I1': { symbology: 'itf-14', gs1: false }, // check digit verified by the reader
  ']C0': { symbology: 'code-128', gs1: false },
  ']C1': { symbology: 'gs1-128', gs1: true },
  ']e0': { symbology: 'gs1-databar', gs1: true },
  ']Q0': { symbology: 'qr', gs1: false },
  ']Q1': { symbology: 'qr', gs1: false },
  ']Q3': { symbology: 'gs1-qr', gs1: true },
  ']d1': { symbology: 'datamatrix', gs1: false },
  ']d2': { symbology: 'gs1-datamatrix', gs1: true },
  ']A0': { symbology: 'code-39', gs1: false },
};

/** Splits a leading AIM identifier off the data. Unknown identifiers are kept as 'other'. */
export function splitAim(raw: string): { aim: Aim | null; data: string } {
  const m = /^\][A-Za-z][0-9A-Za-z]/.exec(raw);
  if (!m) return { aim: null, data: raw };
  const id = m[0];
  const known = TABLE[id];
  return { aim: { id, ...(known ?? { symbology: 'other', gs1: false }) }, data: raw.slice(3) };
}
