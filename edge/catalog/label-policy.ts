// Which weight or price a scanned label may set, and when a label needs an attendant.
// A barcode is data the shopper controls (a phone shows any QR they like; a printer
// makes any GS1-128), so a label may price or weigh only an item the catalog marks as
// variable-measure, and only from a carrier the store trusts for it. Everything else
// in a label is ignored: the line takes the catalog price, and loss prevention hears
// of it. A label that may set the value must still be plausible for the item.
import type { LabelRules, Scan } from './barcode.js';

export interface LabelledProduct {
  soldBy: 'each' | 'weight';
  /** per unit, or per kg when sold by weight */
  priceFen: number;
  variableMeasure: boolean;
  labelWeightG: { min: number; max: number } | null;
  labelMaxAgeDays: number | null;
}

export interface LabelContext {
  channel: 'kiosk' | 'phone';
  /** a weight the caller measured (kiosk scale) or claims (phone) */
  weightG: number | null;
  /** YYYY-MM-DD in the store's time zone */
  today: string;
  /** the same label or serial is already on a sale today or in this cart */
  repeated: boolean;
}

export interface LabelJudgement {
  /** the label's price that the line may use, or null: catalog price */
  priceFen: number | null;
  /** the weight the line may use (label or trusted scale), or null */
  weightG: number | null;
  /** label or caller values that were ignored, and why */
  refused: string[];
  /** why the line needs an attendant before payment */
  flags: string[];
  /** the line takes its price or weight from the label */
  labelled: boolean;
}

const daysBetween = (from: string, to: string) =>
  Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);

function trustedSource(scan: Scan, rules: LabelRules): string | null {
  if (scan.valueSource === 'store-layout') return null;
  if (scan.valueSource === 'gs1' && rules.gs1Carriers.includes(scan.symbology)) return null;
  if (scan.valueSource === 'digital-link') return 'a GS1 Digital Link may not carry a weight or price';
  return `the store does not take weights or prices from ${scan.symbology} codes`;
}

export function judgeLabel(
  scan: Scan,
  p: LabelledProduct,
  rules: LabelRules,
  ctx: LabelContext,
): LabelJudgement {
  const refused: string[] = [];
  const flags: string[] = [];
  let priceFen = scan.priceFen ?? null;
  let labelWeight = scan.weightG ?? null;
  // only a kiosk's own scale weighs; a phone's weight is the shopper's word
  let callerWeight = ctx.weightG;
  if (callerWeight !== null && ctx.channel === 'phone') {
    if (p.soldBy === 'weight')
      refused.push('a phone cannot weigh: the weight sent with the scan was ignored');
    callerWeight = null;
  }
  if (priceFen !== null || labelWeight !== null) {
    const why = !p.variableMeasure
      ? 'the catalog prices this item itself, not by label'
      : trustedSource(scan, rules);
    if (why) {
      refused.push(`label ${priceFen !== null ? 'price' : 'weight'} ignored: ${why}`);
      priceFen = null;
      labelWeight = null;
    }
  }
  const weightG = p.soldBy === 'weight' ? (labelWeight ?? callerWeight) : labelWeight;
  const labelled = priceFen !== null || labelWeight !== null;
  if (labelled || (p.soldBy === 'weight' && weightG !== null)) {
    const range = p.labelWeightG ?? rules.weightG;
    if (weightG !== null && (weightG < range.min || weightG > range.max)) {
      flags.push(`weight ${weightG} g is outside ${range.min}–${range.max} g for this item`);
    }
    const band = rules.priceBandPct / 100;
    if (priceFen !== null && p.soldBy === 'weight' && weightG !== null && weightG > 0) {
      const perKg = Math.round((priceFen * 1000) / weightG);
      if (Math.abs(perKg - p.priceFen) > p.priceFen * band) {
        flags.push(
          `label price is ¥${(perKg / 100).toFixed(2)}/kg; the catalog says ¥${(p.priceFen / 100).toFixed(2)}/kg`,
        );
      }
    } else if (priceFen !== null && p.soldBy === 'weight') {
      // no weight to divide by: the price must fit some plausible weight of this item
      const lo = Math.floor((range.min * p.priceFen * (1 - band)) / 1000);
      const hi = Math.ceil((range.max * p.priceFen * (1 + band)) / 1000);
      if (priceFen < lo || priceFen > hi)
        flags.push(`label price ¥${(priceFen / 100).toFixed(2)} does not fit any usual weight of this item`);
    } else if (priceFen !== null && Math.abs(priceFen - p.priceFen) > p.priceFen * band) {
      flags.push(
        `label price ¥${(priceFen / 100).toFixed(2)} is far from the catalog's ¥${(p.priceFen / 100).toFixed(2)}`,
      );
    }
  }
  if (labelled && scan.packDate && p.labelMaxAgeDays !== null) {
    const age = daysBetween(scan.packDate, ctx.today);
    if (age > p.labelMaxAgeDays) flags.push(`packed ${scan.packDate}, older than ${p.labelMaxAgeDays} days`);
    if (age < 0) flags.push(`pack date ${scan.packDate} is in the future`);
  }
  if (labelled && scan.expiry && scan.expiry < ctx.today) flags.push(`past its use-by date ${scan.expiry}`);
  // a copied label matters where it prices or weighs, or where it names one serialised item
  if (ctx.repeated && (labelled || scan.serial))
    flags.push('this label was already sold today or is already in this cart');
  return { priceFen, weightG, refused, flags, labelled };
}

/** What identifies one physical label (or serialised item) across carts: null if nothing. */
export function labelKey(scan: Scan, gtin: string): string | null {
  if (scan.serial) return `${gtin}|21|${scan.serial}`;
  if (scan.valueSource === undefined) return null;
  // the same label read by different carriers or with another AIM prefix is the same label
  const values = (scan.elements ?? []).map((e) => `${e.ai}=${e.value}`).join('|');
  return `${gtin}|${values || `${scan.plu ?? ''}|${scan.weightG ?? ''}|${scan.priceFen ?? ''}`}`;
}
