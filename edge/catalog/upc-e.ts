// UPC-E (zero-suppressed UPC-A) → UPC-A, per the GS1 General Specifications'
// expansion table: the sixth data digit says where the zeros were removed.
import { BarcodeError, gs1CheckDigit } from './gtin.js';

/** Expands an 8-digit UPC-E (number system 0 or 1, six digits, check digit) to its
 * 12-digit UPC-A, verifying the check digit (computed over the expanded form). */
export function expandUpcE(code: string): string {
  if (!/^[01]\d{7}$/.test(code)) {
    throw new BarcodeError(`UPC-E must be 8 digits starting with 0 or 1: ${code}`, 'bad_length');
  }
  const ns = code[0]!;
  const d = code.slice(1, 7);
  const last = d[5]!;
  let body: string;
  if (last <= '2') body = `${d.slice(0, 2)}${last}0000${d.slice(2, 5)}`;
  else if (last === '3') body = `${d.slice(0, 3)}00000${d.slice(3, 5)}`;
  else if (last === '4') body = `${d.slice(0, 4)}00000${d[4]}`;
  else body = `${d.slice(0, 5)}0000${last}`;
  const data = `${ns}${body}`;
  const check = gs1CheckDigit(data);
  if (String(check) !== code[7]) {
    throw new BarcodeError(
      `bad check digit in UPC-E ${code}: expected ${check}, got ${code[7]}`,
      'bad_check_digit',
    );
  }
  return `${data}${check}`;
}
