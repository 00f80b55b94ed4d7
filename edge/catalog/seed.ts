// Demo/bootstrap data: a seed file holds the same datasets HQ would push. Each dataset
// is applied only while the store has none of it, so HQ's data is never overwritten
// by the seed on a restart.
import { readFileSync } from 'node:fs';
import type { DatasetName } from '../../sync/datasets/catalog.js';
import type { Logger } from '../../sync/kernel/logger.js';
import type { Db } from '../db/open.js';
import {
  type ApplyResult,
  applyCatalog,
  applyCouponCampaigns,
  applyPromotions,
  DatasetError,
  datasetVersion,
} from './dataset.js';

export interface SeedFile {
  catalog?: unknown;
  promotions?: unknown;
  couponCampaigns?: unknown;
}

export function loadSeedFile(path: string): SeedFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new DatasetError('catalog', [`seed ${path}: ${(err as Error).message}`]);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new DatasetError('catalog', [
      `seed ${path}: must be an object with catalog/promotions/couponCampaigns`,
    ]);
  }
  return parsed as SeedFile;
}

export function applySeed(db: Db, seed: SeedFile, now = Date.now()): ApplyResult[] {
  const steps: [DatasetName, unknown, typeof applyCatalog][] = [
    ['catalog', seed.catalog, applyCatalog],
    ['promotions', seed.promotions, applyPromotions],
    ['coupon_campaigns', seed.couponCampaigns, applyCouponCampaigns],
  ];
  const results: ApplyResult[] = [];
  for (const [name, doc, apply] of steps) {
    if (doc === undefined || datasetVersion(db, name)) continue;
    results.push(apply(db, doc, { source: 'seed', now }));
  }
  return results;
}

/** Loads the seed file's datasets into the database, logging each one loaded. */
export function seedDatabase(db: Db, file: string, log: Logger): void {
  for (const r of applySeed(db, loadSeedFile(file)))
    log.info({ dataset: r.dataset, version: r.version, counts: r.counts }, 'seed dataset loaded');
}
