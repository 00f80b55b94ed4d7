// The shapes HQ's routes share for path and query values, and the checks a pattern cannot do.
import Type from 'typebox';
import { ApiError } from '../../sync/kernel/errors.js';

export const StoreId = Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' });
/** a group or region name: letters of any script, digits, space, _ . - */
export const GroupName = Type.String({ pattern: '^[\\p{L}\\p{N}_.-][\\p{L}\\p{N} _.-]{0,63}$' });
export const Limit = Type.Optional(
  Type.String({ pattern: '^([1-9][0-9]{0,2}|1000)$', description: '1 to 1000' }),
);
export const Ms = Type.String({ pattern: '^[0-9]{1,15}$', description: 'epoch milliseconds' });
export const Day = Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' });
export const TimeZone = Type.Optional(Type.String({ pattern: '^[A-Za-z_]+(/[A-Za-z_+-]+){0,2}$' }));
export const limitOf = (s: string | undefined, d = 100) => (s ? Number(s) : d);

/** A calendar day that exists (the pattern lets 2026-13-45 through). */
export function validDay(day: string): void {
  const t = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== day)
    throw new ApiError(400, 'BAD_DAY', `no such day ${day}`);
}

export function validZone(tz: string): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return tz;
  } catch {
    throw new ApiError(400, 'BAD_TIME_ZONE', `unknown time zone ${tz}`);
  }
}
