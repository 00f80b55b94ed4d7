// Time buckets for people-counting aggregates, and the store's local day.

export type Resolution = '1m' | '15m' | '1h';

export const RESOLUTION_MS: Record<Resolution, number> = { '1m': 60_000, '15m': 900_000, '1h': 3_600_000 };

export const bucketOf = (t: number, res: Resolution) =>
  Math.floor(t / RESOLUTION_MS[res]) * RESOLUTION_MS[res];

export { startOfLocalDay } from '../../sync/kernel/local-day.js';
