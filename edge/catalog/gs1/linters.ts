// Content checks for AI components, named as the GS1 Barcode Syntax Dictionary names
// them ("linters"). Each returns null when the component is good, else the reason.
// Written for this project from the GS1 General Specifications' rules; the reference
// C linters were read to settle edge cases, not copied.
import currencyCodes from 'currency-codes';
import countries from 'i18n-iso-countries';

export type Linter = (v: string) => string | null;

const CSET82 = `!"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz`;
const CSET39 = '#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const CSET64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The characters each component type may hold (CSET 64 without its '=' padding). */
export const CHARSETS: Record<'N' | 'X' | 'Y' | 'Z', string> = {
  N: '0123456789',
  X: CSET82,
  Y: CSET39,
  Z: CSET64,
};
const CSET32 = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';

/** Whether every character of `v` is in the component's character set. */
export function csetProblem(cset: 'N' | 'X' | 'Y' | 'Z', v: string): string | null {
  if (cset === 'N') return /^\d*$/.test(v) ? null : 'must be digits only';
  if (cset === 'X') {
    for (const c of v) if (!CSET82.includes(c)) return `character ${JSON.stringify(c)} is not in GS1 CSET 82`;
    return null;
  }
  if (cset === 'Y') {
    for (const c of v) if (!CSET39.includes(c)) return `character ${JSON.stringify(c)} is not in GS1 CSET 39`;
    return null;
  }
  // CSET 64 is base64url; '=' padding only at the end, at most two, on a multiple of 3
  const body = v.replace(/={1,2}$/, '');
  if (body.length !== v.length && v.length % 3 !== 0) return 'bad base64url padding';
  for (const c of body)
    if (!CSET64.includes(c)) return `character ${JSON.stringify(c)} is not in GS1 CSET 64`;
  return null;
}

/** GS1 mod-10 check digit over all digits but the last (weights 3,1 from the right). */
export function mod10(digits: string): number {
  let sum = 0;
  for (let i = digits.length - 1, w = 3; i >= 0; i--, w = 4 - w) sum += Number(digits[i]) * w;
  return (10 - (sum % 10)) % 10;
}

const PRIMES: number[] = [];
for (let n = 2; PRIMES.length < 97; n++) if (PRIMES.every((p) => n % p !== 0)) PRIMES.push(n);

/** The GS1 alphanumeric check character pair (General Specifications §7.9.5). */
export function checkPair(data: string): string {
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += CSET82.indexOf(data[i]!) * PRIMES[data.length - 1 - i]!;
  sum %= 1021;
  return CSET32[sum >> 5]! + CSET32[sum & 31]!;
}

const isDigits = (v: string) => /^\d+$/.test(v);

function date(v: string, { dayZero, century }: { dayZero: boolean; century: boolean }): string | null {
  const n = century ? 8 : 6;
  if (v.length !== n || !isDigits(v)) return `date must be ${century ? 'YYYYMMDD' : 'YYMMDD'}`;
  const year = century ? Number(v.slice(0, 4)) : 2000 + Number(v.slice(0, 2));
  const mm = Number(v.slice(n - 4, n - 2));
  const dd = Number(v.slice(n - 2));
  if (mm < 1 || mm > 12) return `month ${mm} does not exist`;
  if (dd === 0) return dayZero ? null : 'day 00 is not allowed here';
  // leap years: YY dates may be either century; 2000 and 1900 differ only for YY = 00
  const last = new Date(Date.UTC(year, mm, 0)).getUTCDate();
  const lastAlt = century ? last : new Date(Date.UTC(year - 100, mm, 0)).getUTCDate();
  return dd <= Math.max(last, lastAlt) ? null : `day ${dd} does not exist in month ${mm}`;
}

const range =
  (lo: number, hi: number, what: string): Linter =>
  (v) =>
    isDigits(v) && Number(v) >= lo && Number(v) <= hi ? null : `${what} must be ${lo} to ${hi}`;

function pcenc(v: string): string | null {
  for (let i = 0; i < v.length; i++) {
    if (v[i] !== '%') continue;
    if (!/^[0-9A-Fa-f]{2}$/.test(v.slice(i + 1, i + 3))) return 'bad percent-encoding';
    i += 2;
  }
  return null;
}

function iban(v: string): string | null {
  if (!/^[A-Z]{2}\d{2}[A-Za-z0-9]{1,30}$/.test(v) || v.length < 5) return 'not an IBAN';
  if (!countries.isValid(v.slice(0, 2))) return `IBAN country ${v.slice(0, 2)} is not an ISO 3166 code`;
  const moved = (v.slice(4) + v.slice(0, 4)).toUpperCase();
  let rem = 0;
  for (const c of moved) {
    const n = /\d/.test(c) ? c : String(c.charCodeAt(0) - 55);
    for (const d of n) rem = (rem * 10 + Number(d)) % 97;
  }
  return rem === 1 ? null : 'IBAN check digits are wrong';
}

function pieceOfTotal(v: string): string | null {
  if (v.length % 2 !== 0 || !isDigits(v)) return 'piece and total must be equal-width numbers';
  const piece = Number(v.slice(0, v.length / 2));
  const total = Number(v.slice(v.length / 2));
  if (piece === 0 || total === 0) return 'piece and total must not be zero';
  return piece <= total ? null : 'piece number is greater than the total';
}

function posInSeqSlash(v: string): string | null {
  const m = /^([1-9]\d*)\/([1-9]\d*)$/.exec(v);
  if (!m) return 'position must be <pos>/<end>';
  return Number(m[1]) <= Number(m[2]) ? null : 'position is past the end of the sequence';
}

const numericCountries = new Set(Object.keys(countries.getNumericCodes()));
// typed number[], but the package returns the codes as 3-digit strings ("008")
const numericCurrencies = new Set(currencyCodes.numbers().map((n) => String(n).padStart(3, '0')));

/**
 * Every linter the dictionary names. Three serve element strings a store never takes
 * (North American coupon codes 8110/8112, freight unit types 7041): the parser refuses
 * those AIs as unsupported rather than accept content it does not check.
 */
export const LINTERS: Record<string, Linter | 'unsupported'> = {
  csum: (v) => (isDigits(v) && mod10(v.slice(0, -1)) === Number(v.at(-1)) ? null : 'check digit is wrong'),
  csumalpha: (v) =>
    v.length >= 2 && v.length <= 99 && checkPair(v.slice(0, -2)) === v.slice(-2)
      ? null
      : 'check character pair is wrong',
  // a GS1 Company Prefix is at least 4 digits; which prefixes exist needs GS1's registry
  gcppos1: (v) => (/^\d{4}/.test(v) ? null : 'does not start with a GS1 Company Prefix'),
  gcppos2: (v) => (/^.\d{4}/.test(v) ? null : 'does not carry a GS1 Company Prefix'),
  hasnondigit: (v) => (/\D/.test(v) ? null : 'must contain a non-digit'),
  hh: range(0, 23, 'hour'),
  mi: range(0, 59, 'minute'),
  ss: range(0, 59, 'second'),
  hhmi: (v) =>
    v.length === 4 && isDigits(v) && Number(v.slice(0, 2)) < 24 && Number(v.slice(2)) < 60
      ? null
      : 'time must be HHMM',
  hyphen: (v) => (/^-*$/.test(v) ? null : 'must be hyphens'),
  iban,
  importeridx: (v) => (/^[A-Za-z0-9_-]$/.test(v) ? null : 'importer index must be one of A-Z a-z 0-9 - _'),
  iso3166: (v) => (numericCountries.has(v) ? null : `${v} is not an ISO 3166 country code`),
  iso3166999: (v) => (v === '999' || numericCountries.has(v) ? null : `${v} is not an ISO 3166 code or 999`),
  iso3166alpha2: (v) =>
    /^[A-Z]{2}$/.test(v) && countries.isValid(v) ? null : `${v} is not an ISO 3166 code`,
  iso4217: (v) => (numericCurrencies.has(v) ? null : `${v} is not an ISO 4217 currency`),
  iso5218: (v) => (/^[0129]$/.test(v) ? null : 'sex code must be 0, 1, 2 or 9'),
  latitude: (v) => (v.length === 10 && isDigits(v) && Number(v) <= 1_800_000_000 ? null : 'bad latitude'),
  longitude: (v) => (v.length === 10 && isDigits(v) && Number(v) <= 3_600_000_000 ? null : 'bad longitude'),
  // AIDC media types: 01-10 and 80-99 are assigned
  mediatype: (v) => {
    const n = Number(v);
    return v.length === 2 && isDigits(v) && ((n >= 1 && n <= 10) || n >= 80) ? null : 'unknown media type';
  },
  nonzero: (v) => (/[1-9]/.test(v) ? null : 'must not be zero'),
  nozeroprefix: (v) => (v === '0' || !v.startsWith('0') ? null : 'must not start with 0'),
  pcenc,
  pieceoftotal: pieceOfTotal,
  posinseqslash: posInSeqSlash,
  winding: (v) => (/^[019]$/.test(v) ? null : 'winding must be 0, 1 or 9'),
  yesno: (v) => (/^[01]$/.test(v) ? null : 'must be 0 or 1'),
  zero: (v) => (v === '0' ? null : 'must be 0'),
  yymmd0: (v) => date(v, { dayZero: true, century: false }),
  yymmdd: (v) => date(v, { dayZero: false, century: false }),
  yyyymmd0: (v) => date(v, { dayZero: true, century: true }),
  yyyymmdd: (v) => date(v, { dayZero: false, century: true }),
  couponcode: 'unsupported',
  couponposoffer: 'unsupported',
  packagetype: 'unsupported',
};
