// Time buckets for people-counting aggregates, and the store's local day.

export type Resolution = '1m' | '15m' | '1h';

export const RESOLUTION_MS: Record<Resolution, number> = { '1m': 60_000, '15m': 900_000, '1h': 3_600_000 };

export const bucketOf = (t: number, res: Resolution) =>
  Math.floor(t / RESOLUTION_MS[res]) * RESOLUTION_MS[res];

/** Start of the local calendar day containing `now`, in epoch ms. */
export function startOfLocalDay(now: number, timeZone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(now)
      .map((p) => [p.type, Number(p.value)]),
  ) as Record<string, number>;
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
