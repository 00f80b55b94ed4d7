// Restricted-circulation (prefix 2x) EAN-13 codes printed by in-store scales and
// price labellers: 2x + item reference (PLU) + [price verifier] + price or weight +
// check digit. The layout is the store's choice and comes from config.
import { BarcodeError, hasValidCheckDigit } from './gtin.js';

export interface VariableMeasureLayout {
  prefix: string;
  kind: 'price' | 'weight';
  itemDigits: number;
  valueDigits: number;
  priceCheckDigit: boolean;
}

export interface VariableMeasure {
  prefix: string;
  plu: string;
  /** grams for weight layouts, fen for price layouts */
  kind: 'price' | 'weight';
  value: number;
}

// GS1 General Specifications §7.9.3, weighting factor tables
const W2MINUS = [0, 2, 4, 6, 8, 9, 1, 3, 5, 7];
const W3 = [0, 3, 6, 9, 2, 5, 8, 1, 4, 7];
const W5PLUS = [0, 5, 1, 6, 2, 7, 3, 8, 4, 9];
const W5MINUS = [0, 5, 9, 4, 8, 3, 7, 2, 6, 1];

/** The price/weight verifier digit of a 4- or 5-digit value (GS1 §7.9.3/7.9.4). */
export function priceCheckDigit(value: string): number {
  const d = [...value].map(Number);
  if (d.length === 4) {
    const sum = W2MINUS[d[0]!]! + W2MINUS[d[1]!]! + W3[d[2]!]! + W5MINUS[d[3]!]!;
    return (sum * 3) % 10;
  }
  if (d.length === 5) {
    const sum = W5PLUS[d[0]!]! + W2MINUS[d[1]!]! + W5MINUS[d[2]!]! + W5PLUS[d[3]!]! + W2MINUS[d[4]!]!;
    const target = (10 - (sum % 10)) % 10;
    return W5MINUS.indexOf(target);
  }
  throw new BarcodeError(`price verifier digits exist for 4 or 5 digits, not ${d.length}`, 'unsupported');
}

/** Decodes a 13-digit code against the store's layouts; null when no layout's prefix matches. */
export function decodeVariableMeasure(
  code: string,
  layouts: readonly VariableMeasureLayout[],
): VariableMeasure | null {
  if (!/^\d{13}$/.test(code) || code[0] !== '2') return null;
  const layout = layouts.find((l) => code.startsWith(l.prefix));
  if (!layout) return null;
  if (!hasValidCheckDigit(code)) {
    throw new BarcodeError(`bad check digit in ${code}`, 'bad_check_digit');
  }
  let at = layout.prefix.length;
  const plu = code.slice(at, at + layout.itemDigits);
  at += layout.itemDigits;
  const verifier = layout.priceCheckDigit ? code[at++] : undefined;
  const value = code.slice(at, at + layout.valueDigits);
  if (verifier !== undefined && String(priceCheckDigit(value)) !== verifier) {
    throw new BarcodeError(
      `bad price verifier digit in ${code}: expected ${priceCheckDigit(value)}, got ${verifier}`,
      'bad_check_digit',
    );
  }
  return { prefix: layout.prefix, plu, kind: layout.kind, value: Number(value) };
}
