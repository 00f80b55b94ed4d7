// A calendar day in a time zone: the store counts receipt numbers, today's figures and
// "sold today" checks in its own zone, and HQ its daily rollups in the chain's reporting
// zone. Every scan asks, so one formatter per time zone is made once and kept.

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Year, month, day, hour, minute and second of `now` on the store's wall clock. */
function localParts(now: number, timeZone: string): Record<string, number> {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return Object.fromEntries(f.formatToParts(now).map((p) => [p.type, Number(p.value)])) as Record<
    string,
    number
  >;
}

/** Start of the local calendar day containing `now`, in epoch ms. */
export function startOfLocalDay(now: number, timeZone: string): number {
  const parts = localParts(now, timeZone);
  const localAsUtc = Date.UTC(
    parts.year!,
    parts.month! - 1,
    parts.day!,
    parts.hour,
    parts.minute,
    parts.second,
  );
  const offset = localAsUtc - Math.floor(now / 1000) * 1000;
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!) - offset;
}

/** The local calendar date of `now` as YYYY-MM-DD. */
export function localIsoDate(now: number, timeZone: string): string {
  const p = localParts(now, timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${String(p.year).padStart(4, '0')}-${two(p.month!)}-${two(p.day!)}`;
}

/** Minutes since local midnight of `now` on the store's wall clock (0–1439). */
export function localMinuteOfDay(now: number, timeZone: string): number {
  const p = localParts(now, timeZone);
  return p.hour! * 60 + p.minute!;
}
