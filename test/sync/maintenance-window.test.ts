// Maintenance windows read on the store's wall clock: inside or not, and when one next
// opens, across midnight and across daylight-saving changes.
import { describe, expect, it } from 'vitest';
import { inWindow, nextOpening, windowProblems } from '../../sync/maintenance-window.js';

const SH = 'Asia/Shanghai'; // UTC+8, no daylight saving
const at = (iso: string) => Date.parse(iso);

describe('maintenance windows', () => {
  it('are HH:MM pairs that are not the same minute', () => {
    expect(windowProblems({ from: '02:00', to: '05:00' })).toEqual([]);
    expect(windowProblems({ from: '2:00', to: '24:00' })).toEqual([
      '/body/window/from: HH:MM (00:00–23:59)',
      '/body/window/to: HH:MM (00:00–23:59)',
    ]);
    expect(windowProblems({ from: '03:00', to: '03:00' })).toEqual([
      '/body/window: from and to are the same minute (an empty window)',
    ]);
    expect(windowProblems('02:00-05:00')).toEqual(['/body/window: {from, to} in HH:MM']);
  });

  it('hold from the first minute to before the last, in the store zone', () => {
    const w = { from: '02:00', to: '05:00' };
    expect(inWindow(w, at('2026-12-06T17:59:59Z'), SH)).toBe(false); // 01:59:59 local
    expect(inWindow(w, at('2026-12-06T18:00:00Z'), SH)).toBe(true); // 02:00
    expect(inWindow(w, at('2026-12-06T20:59:59Z'), SH)).toBe(true); // 04:59:59
    expect(inWindow(w, at('2026-12-06T21:00:00Z'), SH)).toBe(false); // 05:00
    // the same instant is 19:00 in Berlin: outside
    expect(inWindow(w, at('2026-12-06T18:00:00Z'), 'Europe/Berlin')).toBe(false);
  });

  it('cross midnight when from is after to', () => {
    const w = { from: '22:00', to: '04:00' };
    expect(inWindow(w, at('2026-12-06T14:30:00Z'), SH)).toBe(true); // 22:30
    expect(inWindow(w, at('2026-12-06T19:00:00Z'), SH)).toBe(true); // 03:00 next day
    expect(inWindow(w, at('2026-12-06T20:00:00Z'), SH)).toBe(false); // 04:00
    expect(nextOpening(w, at('2026-12-06T20:00:00Z'), SH)).toBe(at('2026-12-07T14:00:00Z'));
  });

  it('say when they next open: now when open, else the window start today or tomorrow', () => {
    const w = { from: '02:00', to: '05:00' };
    const inside = at('2026-12-06T19:12:34Z');
    expect(nextOpening(w, inside, SH)).toBe(inside);
    expect(nextOpening(w, at('2026-12-06T10:00:00Z'), SH)).toBe(at('2026-12-06T18:00:00Z')); // 18:00 → 02:00
    expect(nextOpening(w, at('2026-12-06T17:59:30Z'), SH)).toBe(at('2026-12-06T18:00:00Z'));
    expect(nextOpening(w, at('2026-12-06T21:00:00Z'), SH)).toBe(at('2026-12-07T18:00:00Z')); // just closed
  });

  it('follow daylight saving: a skipped start opens at the first minute after it, a repeated hour once', () => {
    // Berlin springs forward 2026-03-29 02:00 → 03:00 (01:00 UTC)
    const spring = { from: '02:30', to: '03:30' };
    expect(nextOpening(spring, at('2026-03-28T20:00:00Z'), 'Europe/Berlin')).toBe(at('2026-03-29T01:00:00Z'));
    // the usual window that night, 03:00 CEST = 01:00 UTC; the next night in summer time
    const w = { from: '03:00', to: '05:00' };
    expect(nextOpening(w, at('2026-03-28T20:00:00Z'), 'Europe/Berlin')).toBe(at('2026-03-29T01:00:00Z'));
    expect(nextOpening(w, at('2026-03-29T04:00:00Z'), 'Europe/Berlin')).toBe(at('2026-03-30T01:00:00Z'));
    // and falls back 2026-10-25 03:00 → 02:00: a 01:00 window opens at 01:00 CEST (23:00 UTC)
    const fall = { from: '01:00', to: '04:00' };
    expect(nextOpening(fall, at('2026-10-24T12:00:00Z'), 'Europe/Berlin')).toBe(at('2026-10-24T23:00:00Z'));
    // a day before the change, 10:00 CET the wait crosses it: 01:00 CET on 26 October is 00:00 UTC
    expect(nextOpening(fall, at('2026-10-25T09:00:00Z'), 'Europe/Berlin')).toBe(at('2026-10-26T00:00:00Z'));
  });
});
