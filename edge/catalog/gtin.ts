// GS1 check digits and GTIN normalisation (GS1 General Specifications §7.9.1: weights
// 3,1,3,1… from the rightmost data digit, check = (10 − sum mod 10) mod 10).

export class BarcodeError extends Error {
  override name = 'BarcodeError';
  constructor(
    message: string,
    readonly code: 'not_digits' | 'bad_length' | 'bad_check_digit' | 'unsupported' | 'malformed',
  ) {
    super(message);
  }
}

/** The GS1 mod-10 check digit of a string of data digits (check digit not included). */
export function gs1CheckDigit(data: string): number {
  if (!/^\d+$/.test(data)) throw new BarcodeError(`not digits: ${JSON.stringify(data)}`, 'not_digits');
  let sum = 0;
  for (let i = data.length - 1, w = 3; i >= 0; i--, w = 4 - w) sum += (data.charCodeAt(i) - 48) * w;
  return (10 - (sum % 10)) % 10;
}

export function hasValidCheckDigit(code: string): boolean {
  return /^\d{2,}$/.test(code) && gs1CheckDigit(code.slice(0, -1)) === Number(code.at(-1));
}

/** GTIN-8/12/13/14 → GTIN-14 (left-padded with zeros), verifying the check digit. */
export function toGtin14(code: string): string {
  if (!/^\d+$/.test(code))
    throw new BarcodeError(`GTIN must be digits: ${JSON.stringify(code)}`, 'not_digits');
  if (![8, 12, 13, 14].includes(code.length)) {
    throw new BarcodeError(`GTIN must have 8, 12, 13 or 14 digits, has ${code.length}`, 'bad_length');
  }
  if (!hasValidCheckDigit(code)) {
    throw new BarcodeError(
      `bad check digit in ${code}: expected ${gs1CheckDigit(code.slice(0, -1))}, got ${code.at(-1)}`,
      'bad_check_digit',
    );
  }
  return code.padStart(14, '0');
}

/** Appends the check digit to data digits: withCheckDigit('690123456789') → '6901234567892'. */
export function withCheckDigit(data: string): string {
  return data + String(gs1CheckDigit(data));
}
