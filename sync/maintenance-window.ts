// A maintenance window: the local hours (the store's time zone) in which a staged
// software update may switch, set by HQ per store or group and sent in the signed push.
// `from` after `to` crosses midnight (22:00–04:00). A push marked urgent ignores it.
import { localMinuteOfDay } from './kernel/local-day.js';

export interface MaintenanceWindow {
  /** HH:MM, local */
  from: string;
  /** HH:MM, local; the window ends before this minute */
  to: string;
}

/** A minute of the day, HH:MM (00:00–23:59): the schemas that carry a window use it too. */
export const HHMM_PATTERN = '^([01][0-9]|2[0-3]):([0-5][0-9])$';
const HHMM = new RegExp(HHMM_PATTERN);

const minuteOf = (hhmm: string) => {
  const m = HHMM.exec(hhmm)!;
  return Number(m[1]) * 60 + Number(m[2]);
};

export function windowProblems(w: unknown, at = '/body/window'): string[] {
  const b = w as Partial<MaintenanceWindow> | null;
  if (!b || typeof b !== 'object') return [`${at}: {from, to} in HH:MM`];
  const p: string[] = [];
  if (typeof b.from !== 'string' || !HHMM.test(b.from)) p.push(`${at}/from: HH:MM (00:00–23:59)`);
  if (typeof b.to !== 'string' || !HHMM.test(b.to)) p.push(`${at}/to: HH:MM (00:00–23:59)`);
  if (!p.length && b.from === b.to) p.push(`${at}: from and to are the same minute (an empty window)`);
  return p;
}

/** Whether `now` lies in the window, on the store's wall clock. */
export function inWindow(w: MaintenanceWindow, now: number, timeZone: string): boolean {
  const m = localMinuteOfDay(now, timeZone);
  const a = minuteOf(w.from);
  const b = minuteOf(w.to);
  return a < b ? m >= a && m < b : m >= a || m < b;
}

/**
 * When the window next opens: `now` when it is open. Found by the minutes to wait on
 * the wall clock, then corrected once by what the wall clock says at that instant, so a
 * daylight-saving change on the way moves the answer by its hour (a window whose start
 * a spring-forward skips opens at the first minute after it).
 */
export function nextOpening(w: MaintenanceWindow, now: number, timeZone: string): number {
  if (inWindow(w, now, timeZone)) return now;
  const start = minuteOf(w.from);
  const minuteStart = now - (now % 60_000);
  const wait = (start - localMinuteOfDay(now, timeZone) + 1440) % 1440;
  let at = minuteStart + wait * 60_000;
  const off = ((((start - localMinuteOfDay(at, timeZone)) % 1440) + 2160) % 1440) - 720;
  at += off * 60_000;
  // a skipped start (or a correction that lands before now): the first open minute after
  for (let i = 0; i < 180 && (at <= now || !inWindow(w, at, timeZone)); i++) at += 60_000;
  return at;
}

export const describeWindow = (w: MaintenanceWindow, timeZone: string) => `${w.from}–${w.to} ${timeZone}`;
