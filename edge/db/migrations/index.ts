// The ordered list of schema migrations. Append only: a released migration never changes.
import type { Migration } from '../migrate.js';
import { m0001Catalog } from './0001_catalog.js';
import { m0002PromotionsCoupons } from './0002_promotions_coupons.js';
import { m0003Checkout } from './0003_checkout.js';
import { m0004KioskDevices } from './0004_kiosk_devices.js';
import { m0005Sync } from './0005_sync.js';
import { m0006Security } from './0006_security.js';
import { m0007Vision } from './0007_vision.js';
import { m0008ExitPasses } from './0008_exit_passes.js';
import { m0009LabelPolicy } from './0009_label_policy.js';
import { m0010OffersShown } from './0010_offers_shown.js';
import { m0011MemberReplica } from './0011_member_replica.js';
import { m0012ChainCoupons } from './0012_chain_coupons.js';
import { m0013PeerKeys } from './0013_peer_keys.js';
import { m0014OfflineSpends } from './0014_offline_spends.js';
import { m0015Housekeeping } from './0015_housekeeping.js';
import { m0016ScanAndGo } from './0016_scan_and_go.js';
import { m0017CatalogVersion } from './0017_catalog_version.js';
import { m0018Guides } from './0018_guides.js';
import { m0019OutboxAcks } from './0019_outbox_acks.js';
import { m0020MemberFollow } from './0020_member_follow.js';
import { m0021Queues } from './0021_queues.js';

export const migrations: readonly Migration[] = [
  m0001Catalog,
  m0002PromotionsCoupons,
  m0003Checkout,
  m0004KioskDevices,
  m0005Sync,
  m0006Security,
  m0007Vision,
  m0008ExitPasses,
  m0009LabelPolicy,
  m0010OffersShown,
  m0011MemberReplica,
  m0012ChainCoupons,
  m0013PeerKeys,
  m0014OfflineSpends,
  m0015Housekeeping,
  m0016ScanAndGo,
  m0017CatalogVersion,
  m0018Guides,
  m0019OutboxAcks,
  m0020MemberFollow,
  m0021Queues,
];
