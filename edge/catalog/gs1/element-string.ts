// GS1 element strings read as strictly as the GS1 Barcode Syntax Engine reads them,
// from the AI table of the GS1 Barcode Syntax Dictionary (ai-table.ts): each AI known;
// each value's length, character set and content (check digits, dates, codes) right;
// no empty values; an AI repeated only with the same value; every required association
// present and no excluded pair. Any problem is a BarcodeError that names the AI.
import { BarcodeError } from '../gtin.js';
import type { AiSpec } from './ai-spec.js';
import { AI_TABLE } from './ai-table.js';
import { csetProblem, LINTERS } from './linters.js';

export interface Element {
  ai: string;
  value: string;
}

const GS = '\x1d';
export const AI_SPECS: ReadonlyMap<string, AiSpec> = new Map(AI_TABLE.map((s) => [s.ai, s]));

/** The AI that starts at `at` (AIs are prefix-free: 2, 3 or 4 digits). */
function aiAt(data: string, at: number): AiSpec {
  for (const n of [2, 3, 4]) {
    const spec = AI_SPECS.get(data.slice(at, at + n));
    if (spec) return spec;
  }
  const shown = data.slice(at, at + 4);
  throw new BarcodeError(
    /^\d{2}/.test(shown) ? `unknown AI at "${shown}"` : `expected an AI at "${shown}"`,
    'malformed',
  );
}

const fixedLength = (s: AiSpec) => s.components.reduce((n, c) => n + c.max, 0);

/** Reads an element string as a scanner sends it: FNC1 transmitted as GS, no AIM prefix. */
export function parseElementString(data: string): Element[] {
  let i = data.startsWith(GS) ? 1 : 0; // FNC1 in first position, where a reader passes it on
  if (i >= data.length) throw new BarcodeError('empty GS1 element string', 'malformed');
  if (data.endsWith(GS)) throw new BarcodeError('element string ends with a separator', 'malformed');
  const out: Element[] = [];
  while (i < data.length) {
    const spec = aiAt(data, i);
    i += spec.ai.length;
    let value: string;
    if (spec.predefined) {
      value = data.slice(i, i + fixedLength(spec));
      const gs = value.indexOf(GS);
      if (gs >= 0) value = value.slice(0, gs);
      i += value.length;
      if (data[i] === GS) i++; // a separator after a fixed-length AI is redundant, not wrong
    } else {
      const end = data.indexOf(GS, i);
      value = data.slice(i, end < 0 ? data.length : end);
      i = end < 0 ? data.length : end + 1;
    }
    out.push({ ai: spec.ai, value });
  }
  validateElements(out);
  return out;
}

/** Reads the human-readable form "(01)09501101530003(17)270101". */
export function parseBracketed(text: string): Element[] {
  if (!/^(\(\d{2,4}\)[^()]*)+$/.test(text)) {
    throw new BarcodeError(
      'bracketed GS1 data must be (AI)value pairs without parentheses in values',
      'malformed',
    );
  }
  const out = [...text.matchAll(/\((\d{2,4})\)([^()]*)/g)].map((m) => ({ ai: m[1]!, value: m[2]! }));
  validateElements(out);
  return out;
}

/** Checks one value against its AI's components; null when good. */
export function valueProblem(spec: AiSpec, value: string): string | null {
  if (value.length === 0) return 'value is empty';
  let at = 0;
  for (const c of spec.components) {
    if (at >= value.length && c.optional) break;
    const part = value.slice(at, at + (c.min === c.max ? c.max : value.length - at));
    if (part.length < c.min)
      return `value is too short (${value.length} characters; needs ${spec.components.reduce((n, x) => n + (x.optional ? 0 : x.min), 0)})`;
    if (part.length > c.max) return `value is too long (at most ${c.max} characters here)`;
    const cs = csetProblem(c.cset, part);
    if (cs) return cs;
    for (const name of c.linters) {
      const lint = LINTERS[name];
      if (!lint) return `no check named ${name}`;
      if (lint === 'unsupported') return null; // refused earlier, see validateElements
      const problem = lint(part);
      if (problem) return problem;
    }
    at += part.length;
  }
  return at < value.length ? `value is too long (${value.length} characters)` : null;
}

/** Whether an AI fits a dictionary pattern such as 310n or 31nn (n: any digit). */
export const matchesAiPattern = (pattern: string, ai: string) =>
  pattern.length === ai.length &&
  [...pattern].every((p, i) => p === ai[i] || (p === 'n' && /\d/.test(ai[i]!)));

/** Values, repeats and associations of a whole set of elements (one carrier or several). */
export function validateElements(elements: Element[]): void {
  if (elements.length === 0) throw new BarcodeError('no GS1 elements', 'malformed');
  const seen = new Map<string, string>();
  for (const { ai, value } of elements) {
    const spec = AI_SPECS.get(ai);
    if (!spec) throw new BarcodeError(`unknown AI (${ai})`, 'malformed');
    if (spec.components.some((c) => c.linters.some((l) => LINTERS[l] === 'unsupported'))) {
      throw new BarcodeError(`AI (${ai}) ${spec.title} is not taken at this store`, 'unsupported');
    }
    const problem = valueProblem(spec, value);
    if (problem) {
      const kind = /check (digit|character)/.test(problem) ? 'bad_check_digit' : 'malformed';
      throw new BarcodeError(`AI (${ai}) ${spec.title}: ${problem}`, kind);
    }
    const before = seen.get(ai);
    if (before !== undefined && before !== value)
      throw new BarcodeError(`AI (${ai}) appears twice with different values`, 'malformed');
    seen.set(ai, value);
  }
  const present = [...seen.keys()];
  for (const ai of present) {
    const spec = AI_SPECS.get(ai)!;
    const clash = present.find((other) => other !== ai && spec.ex.some((p) => matchesAiPattern(p, other)));
    if (clash) throw new BarcodeError(`AI (${ai}) may not appear together with (${clash})`, 'malformed');
    for (const alternatives of spec.req) {
      const met = alternatives.some((group) =>
        group.every((p) => present.some((a) => matchesAiPattern(p, a))),
      );
      if (!met) {
        const need = alternatives.map((g) => g.map((p) => `(${p})`).join('+')).join(' or ');
        throw new BarcodeError(`AI (${ai}) ${spec.title} needs ${need}`, 'malformed');
      }
    }
  }
}
