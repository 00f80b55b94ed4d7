// Turns what a store scanner delivers into a trade item identity: GTIN-14 plus what
// the code carries (weight, price, batch, expiry, serial). Handles AIM symbology
// identifiers, EAN-13/8, UPC-A/E, ITF-14, GS1-128/DataBar/QR/DataMatrix element
// strings, GS1 Digital Link URIs and the store's variable-measure (2x) codes.
// Every check digit is verified; anything else is a BarcodeError saying why.
import { type Aim, type Symbology, splitAim } from './aim.js';
import {
  AI_SPECS,
  type Element,
  parseBracketed,
  parseElementString,
  validateElements,
} from './gs1/element-string.js';
import { BarcodeError, toGtin14, withCheckDigit } from './gtin.js';
import { expandUpcE } from './upc-e.js';
import { decodeVariableMeasure, type VariableMeasureLayout } from './variable-measure.js';

/** What a scanned label may set (label-policy.ts judges a label by them). */
export interface LabelRules {
  /** GS1 carriers whose AI 310x/392x/393x the store trusts for variable-measure items */
  gs1Carriers: readonly string[];
  /** the price per kg a label implies must be within this many percent of the catalog's */
  priceBandPct: number;
  /** weight range of one labelled pack when the catalog gives none for the item */
  weightG: { min: number; max: number };
}

export { BarcodeError } from './gtin.js';

export interface ScanOptions {
  variableMeasure: readonly VariableMeasureLayout[];
  /** ISO 4217 numeric code of the store's currency, for AI 393x (CNY = 156) */
  currencyNumeric?: string;
  /** which labels may weigh or price what (config barcodes.labels); used by checkout */
  labels?: LabelRules;
}

export interface Scan {
  raw: string;
  symbology: Symbology;
  aim: string | null;
  /** GTIN-14 of the trade item; for a variable-measure code, the code with its value zeroed */
  gtin: string;
  /** item reference of a variable-measure code: look the product up by PLU */
  plu?: string;
  weightG?: number;
  priceFen?: number;
  batch?: string;
  /** YYYY-MM-DD */
  expiry?: string;
  serial?: string;
  /** YYYY-MM-DD: AI 13, the day the item was packed */
  packDate?: string;
  /** where a weight or price came from: the store's own scale layout, a GS1 element
   * string (AI 310x/392x/393x), or a GS1 Digital Link URI */
  valueSource?: 'store-layout' | 'gs1' | 'digital-link';
  /** every GS1 element read, for audit and display */
  elements?: { ai: string; value: string }[];
}

const MAX_LENGTH = 512;
const GS = '\x1d';

export function parseScan(input: string, opts: ScanOptions): Scan {
  if (typeof input !== 'string') throw new BarcodeError('scan must be text', 'malformed');
  // scanners end reads with CR, LF or TAB depending on their suffix setting
  const raw = input.replace(/^[\r\n\t ]+|[\r\n\t ]+$/g, '');
  if (raw.length === 0) throw new BarcodeError('empty scan', 'malformed');
  if (raw.length > MAX_LENGTH)
    throw new BarcodeError(`scan longer than ${MAX_LENGTH} characters`, 'malformed');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\x00-\x1c\x1e\x1f\x7f]/.test(raw)) {
    throw new BarcodeError('scan contains control characters other than FNC1/GS', 'malformed');
  }
  const { aim, data } = splitAim(raw);
  const base = { raw, aim: aim?.id ?? null };

  if (/^https?:\/\//i.test(data))
    return { ...base, ...fromDigitalLink(data, opts), symbology: aim?.symbology ?? 'qr' };
  // GS1-128 read without AIM identifiers: an element string that starts with AI 01/02
  const bareElements = !aim && data.length > 16 && /^0[12]\d{14}/.test(data);
  if (aim?.gs1 || bareElements || data.startsWith('(') || data.includes(GS)) {
    return { ...base, ...fromElementString(data, opts), symbology: aim?.symbology ?? 'gs1-128' };
  }
  if (!/^\d+$/.test(data)) {
    throw new BarcodeError(`not a product barcode: ${JSON.stringify(data.slice(0, 40))}`, 'unsupported');
  }
  return { ...base, ...fromDigits(aim, data, opts) };
}

function fromDigits(aim: Aim | null, digits: string, opts: ScanOptions): Omit<Scan, 'raw' | 'aim'> {
  // EAN-13 with a 2- or 5-digit add-on (periodicals): the main symbol identifies the item
  if (aim?.id === ']E3' && (digits.length === 15 || digits.length === 18)) digits = digits.slice(0, 13);
  switch (digits.length) {
    case 8: {
      if (aim?.symbology === 'ean-13' || aim?.symbology === 'upc-a' || (!aim && isUpcE(digits))) {
        return { symbology: 'upc-e', gtin: toGtin14(expandUpcE(digits)) };
      }
      return { symbology: 'ean-8', gtin: toGtin14(digits) };
    }
    case 12:
      return withVariableMeasure('upc-a', `0${digits}`, opts);
    case 13:
      return withVariableMeasure(digits.startsWith('0') && !aim ? 'upc-a' : 'ean-13', digits, opts);
    case 14:
      return { symbology: aim?.symbology ?? 'itf-14', gtin: toGtin14(digits) };
    default:
      throw new BarcodeError(`no product barcode has ${digits.length} digits`, 'bad_length');
  }
}

/** An 8-digit read that is not a valid EAN-8 but is a valid UPC-E. */
function isUpcE(digits: string): boolean {
  if (!/^[01]/.test(digits)) return false;
  try {
    toGtin14(digits);
    return false;
  } catch {
    try {
      expandUpcE(digits);
      return true;
    } catch {
      return false;
    }
  }
}

function withVariableMeasure(
  symbology: Symbology,
  code13: string,
  opts: ScanOptions,
): Omit<Scan, 'raw' | 'aim'> {
  const vm = decodeVariableMeasure(code13, opts.variableMeasure);
  if (!vm) return { symbology, gtin: toGtin14(code13) };
  return {
    symbology,
    // the item's own in-store GTIN: prefix and PLU with the value field zeroed
    gtin: toGtin14(withCheckDigit(`${vm.prefix}${vm.plu}`.padEnd(12, '0'))),
    plu: vm.plu,
    // a zero value field is the item's own code (shelf card, PLU sheet): weigh it on the scale
    ...(vm.value === 0
      ? {}
      : {
          valueSource: 'store-layout' as const,
          ...(vm.kind === 'weight' ? { weightG: vm.value } : { priceFen: vm.value }),
        }),
  };
}

function fromElementString(data: string, opts: ScanOptions): Omit<Scan, 'raw' | 'aim' | 'symbology'> {
  const elements = data.startsWith('(') ? parseBracketed(data) : parseElementString(data);
  return fromElements(elements, opts);
}

function fromElements(elements: Element[], opts: ScanOptions): Omit<Scan, 'raw' | 'aim' | 'symbology'> {
  const out: Partial<Omit<Scan, 'raw' | 'aim' | 'symbology'>> = { elements };
  for (const { ai, value } of elements) {
    if (ai === '01' || ai === '02') {
      if (out.gtin) throw new BarcodeError('more than one GTIN in one code', 'malformed');
      out.gtin = toGtin14(value);
    } else if (ai === '10') out.batch = value;
    else if (ai === '21') out.serial = value;
    else if (ai === '13') out.packDate = gs1Date(value);
    else if (ai === '17' || ai === '15') {
      if (ai === '17' || !out.expiry) out.expiry = gs1Date(value);
    } else if (/^310[0-5]$/.test(ai)) {
      out.weightG = scaled(value, Number(ai[3]), 3); // kg with n decimals → grams
    } else if (/^392[0-3]$/.test(ai)) {
      out.priceFen = scaled(value, Number(ai[3]), 2);
    } else if (/^393[0-3]$/.test(ai)) {
      const currency = value.slice(0, 3);
      if (opts.currencyNumeric && currency !== opts.currencyNumeric) {
        throw new BarcodeError(
          `price in currency ${currency}, the store sells in ${opts.currencyNumeric}`,
          'unsupported',
        );
      }
      out.priceFen = scaled(value.slice(3), Number(ai[3]), 2);
    }
  }
  if (!out.gtin) throw new BarcodeError('GS1 code carries no GTIN (AI 01 or 02)', 'unsupported');
  if (out.weightG !== undefined || out.priceFen !== undefined) out.valueSource = 'gs1';
  return { ...out, gtin: out.gtin };
}

/** A value with `decimals` implied decimals → integer in units of 10^-target. */
function scaled(digits: string, decimals: number, target: number): number {
  const n = Number(digits);
  if (!Number.isSafeInteger(n)) throw new BarcodeError(`not a number: ${digits}`, 'malformed');
  if (decimals <= target) return n * 10 ** (target - decimals);
  // more precision than the unit holds: round half up, the store's one rounding rule
  const div = 10 ** (decimals - target);
  return Math.floor((n + div / 2) / div);
}

/** GS1 YYMMDD (DD 00 = last day of the month; century by the §7.12 sliding window). */
function gs1Date(v: string): string {
  if (!/^\d{6}$/.test(v)) throw new BarcodeError(`bad GS1 date ${v}`, 'malformed');
  const yy = Number(v.slice(0, 2));
  const mm = Number(v.slice(2, 4));
  let dd = Number(v.slice(4, 6));
  if (mm < 1 || mm > 12) throw new BarcodeError(`bad month in GS1 date ${v}`, 'malformed');
  const thisYear = new Date().getUTCFullYear();
  const century = Math.floor(thisYear / 100) * 100;
  let year = century + yy;
  const diff = yy - (thisYear % 100);
  if (diff >= 51) year -= 100;
  else if (diff <= -50) year += 100;
  const last = new Date(Date.UTC(year, mm, 0)).getUTCDate();
  if (dd === 0) dd = last;
  if (dd > last) throw new BarcodeError(`bad day in GS1 date ${v}`, 'malformed');
  return `${year}-${String(mm).padStart(2, '0')}-${String(dd).padStart(2, '0')}`;
}

// GS1 Digital Link 1.x short names for primary keys and qualifiers
const DL_ALIASES: Record<string, string> = { gtin: '01', cpv: '22', lot: '10', ser: '21' };

/**
 * A GS1 Digital Link URI: a primary key (only /01/ names a product here), its
 * qualifiers in one of the key's allowed orders, then data attributes in the query
 * string, each an AI the dictionary marks as a Digital Link attribute. Non-numeric
 * query keys (linkType, context) are for resolvers and are ignored.
 */
function fromDigitalLink(uri: string, opts: ScanOptions): Omit<Scan, 'raw' | 'aim' | 'symbology'> {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new BarcodeError('malformed URI', 'malformed');
  }
  const segs = url.pathname
    .split('/')
    .filter(Boolean)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        throw new BarcodeError('malformed percent-encoding in URI', 'malformed');
      }
    });
  const start = segs.findIndex((s) => s === '01' || s === 'gtin');
  if (start < 0 || start + 1 >= segs.length) {
    throw new BarcodeError('URI is not a GS1 Digital Link with a GTIN (/01/…)', 'unsupported');
  }
  const rest = segs.slice(start);
  if (rest.length % 2 !== 0)
    throw new BarcodeError('GS1 Digital Link path must be AI/value pairs', 'malformed');
  const path: Element[] = [];
  for (let i = 0; i < rest.length; i += 2) {
    const ai = DL_ALIASES[rest[i]!] ?? rest[i]!;
    if (!AI_SPECS.has(ai))
      throw new BarcodeError(`unknown AI "${rest[i]}" in Digital Link path`, 'malformed');
    path.push({ ai, value: rest[i + 1]! });
  }
  // a GTIN-8, -12 or -13 in the path stands for its GTIN-14
  const key = path[0]!;
  if ([8, 12, 13].includes(key.value.length) && /^\d+$/.test(key.value))
    key.value = key.value.padStart(14, '0');
  const qualifiers = path.slice(1).map((e) => e.ai);
  const orders = AI_SPECS.get('01')!.dlpkey ?? [[]];
  const inOrder = orders.some((order) => {
    let at = 0;
    return qualifiers.every((q) => {
      const found = order.indexOf(q, at);
      at = found + 1;
      return found >= 0;
    });
  });
  if (!inOrder)
    throw new BarcodeError(
      `qualifiers ${qualifiers.join('/')} are not allowed after /01/ in this order`,
      'malformed',
    );
  const query: Element[] = [];
  for (const [k, value] of url.searchParams) {
    if (!/^\d+$/.test(k)) continue;
    const spec = AI_SPECS.get(k);
    if (!spec?.dlAttribute)
      throw new BarcodeError(`AI ${k} is not a GS1 Digital Link data attribute`, 'malformed');
    if (path.some((e) => e.ai === k))
      throw new BarcodeError(`AI ${k} is in both the path and the query`, 'malformed');
    query.push({ ai: k, value });
  }
  const elements = [...path, ...query];
  validateElements(elements);
  const scan = fromElements(elements, opts);
  return scan.valueSource ? { ...scan, valueSource: 'digital-link' } : scan;
}
