// What HQ's API answers, as schemas: they serialize the answers and publish them in
// HQ's OpenAPI document (/docs). Rows read from PostgreSQL name their fields here and
// let further ones through (additionalProperties), so a column added to a query is not
// silently dropped on the way out; figures are defined in hq/README.md.
import Type, { type TProperties, type TSchema } from 'typebox';
import { CONFIG_STATES } from '../config-drift.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Row = <P extends TProperties>(p: P, description?: string) =>
  Type.Object(p, { additionalProperties: true, ...(description ? { description } : {}) });
const Num = Type.Number();
const NumOrNull = Nullable(Type.Number());
const Str = Type.String();
const Next = Nullable(Type.String({ description: 'pass as `after` for the next page; null on the last' }));
const Period = { from: Num, to: Num };

export const Session = Type.Object({ token: Str, role: Type.Enum(['analyst', 'operator']), expiresAt: Num });

export const StoreView = Row({
  storeId: Str,
  name: Nullable(Str),
  region: Nullable(Str),
  groups: Type.Array(Str),
  timeZone: Str,
  hasFloorPlan: Type.Boolean(),
  online: Type.Boolean(),
  lastSeen: Nullable(Str),
  lastHeartbeat: Nullable(Str),
  version: Nullable(Str),
  model: Nullable(Str),
  datasets: Type.Record(Type.String(), Type.Number()),
  backlog: Type.Unknown({ description: "the store's last heartbeat backlog figures" }),
  openAlerts: NumOrNull,
  config: Row(
    {
      state: Type.Enum(Object.keys(CONFIG_STATES)),
      drifted: Type.Boolean(),
      meaning: Str,
      pushedVersion: NumOrNull,
      runningVersion: NumOrNull,
      digest: Nullable(Str),
      reportedAt: Nullable(Str),
    },
    'whether the store runs the config HQ last pushed it (hq/config-drift.ts)',
  ),
  events: Row({
    contiguousSeq: Num,
    maxSeq: Num,
    sentThrough: Num,
    stored: Num,
    duplicates: Num,
    quarantined: Num,
    resendRequests: Num,
  }),
});
export const StoreList = Type.Object({ stores: Type.Array(StoreView), next: Next });

export const Sales = Type.Object({
  storeId: Str,
  day: Str,
  timeZone: Str,
  sales: Type.Array(
    Row({
      seq: Num,
      saleId: Str,
      receiptNo: Str,
      channel: Str,
      kioskId: Nullable(Str),
      memberId: Nullable(Str),
      grossFen: Num,
      promoDiscountFen: Num,
      couponDiscountFen: Num,
      totalFen: Num,
      taxFen: Num,
      pointsEarned: Num,
      soldAt: Num,
      lines: Type.Array(
        Row({
          lineNo: Num,
          gtin: Str,
          qty: Num,
          weightG: NumOrNull,
          unitPriceFen: Num,
          grossFen: Num,
          finalFen: Num,
          taxFen: Num,
        }),
      ),
      payments: Type.Array(Row({ kind: Str, amountFen: Num, reference: Nullable(Str) })),
    }),
  ),
  next: Next,
});

export const Counts = Type.Object({
  storeId: Str,
  ...Period,
  hours: Type.Array(Row({ cameraId: Str, lineId: Str, hour: Type.Unknown(), ins: Num, outs: Num })),
  zones: Type.Array(Row({ cameraId: Str, zoneId: Str, visits: Num, dwellMs: Num })),
});

export const Heatmap = Type.Object({
  storeId: Str,
  camera: Str,
  quarters: Num,
  grid: Nullable(Type.Object({ cols: Num, rows: Num, cellM: Num, cells: Type.Array(Num) })),
  peopleSeconds: Type.Optional(Num),
});

export const Quarantine = Type.Object({
  entries: Type.Array(
    Row({
      id: Num,
      storeId: Nullable(Str),
      seq: NumOrNull,
      topic: Str,
      reason: Str,
      detail: Str,
      payload: Str,
      receivedAt: Type.Unknown(),
    }),
  ),
  next: Next,
});

export const PushAccepted = Type.Object({ id: Num, targets: Num });
export const PushStatus = Row({
  id: Num,
  dataset: Str,
  version: Num,
  createdBy: Str,
  createdAt: Str,
  target: Type.Unknown({ description: 'the selection the push was sent to' }),
  counts: Type.Record(Type.String(), Type.Number()),
  stores: Type.Array(Row({ storeId: Str, status: Str, problems: Type.Array(Str) })),
});
export const PushList = Type.Object({ pushes: Type.Array(PushStatus) });

const StoreFigures = Row({
  storeId: Str,
  bucket: Str,
  salesFen: Num,
  refundsFen: Num,
  netSalesFen: Num,
  tickets: Num,
  avgTicketFen: NumOrNull,
  items: Num,
  itemsPerTicket: NumOrNull,
  multiItemTickets: Num,
  multiItemShare: NumOrNull,
  tenderFen: Row({ cash: Num, card: Num, wallet: Num, points: Num, other: Num }),
  walletShare: NumOrNull,
  redemptions: Num,
  couponCostFen: Num,
  couponsIssued: Num,
  couponsIssuedRedeemed: Num,
  redemptionRate: NumOrNull,
  offersShown: Num,
  offersClaimed: Num,
  offersRedeemed: Num,
  newMembers: Num,
  pointsIssued: Num,
  pointsSpent: Num,
  footfall: Num,
  conversion: NumOrNull,
  scanAndGoSales: Num,
  audits: Num,
  auditsChecked: Num,
  auditHits: Num,
  recoveredFen: Num,
  auditRate: NumOrNull,
  hitRate: NumOrNull,
});
export const StoreRanking = Type.Object({
  ...Period,
  sort: Str,
  order: Type.Enum(['asc', 'desc']),
  stores: Type.Array(
    Row({
      rank: Num,
      name: Nullable(Str),
      ...Type.Omit(StoreFigures, ['bucket']).properties,
      counterProblems: Type.Array(Type.Enum(['conversion_over_100', 'no_entrances_while_selling']), {
        description:
          "what is implausible in the store's people count: it is not ranked by footfall or conversion",
      }),
    }),
  ),
});
export const StoreSeries = Type.Object({
  storeId: Str,
  bucket: Str,
  ...Period,
  rows: Type.Array(StoreFigures),
});
export const ZoneFigures = Type.Object({
  ...Period,
  zoneType: Nullable(Str),
  zones: Type.Array(
    Row({
      storeId: Str,
      cameraId: Str,
      zoneId: Str,
      zoneType: Str,
      categories: Type.Array(Str),
      visits: Num,
      dwellMs: Num,
      avgDwellMs: NumOrNull,
      units: Num,
      salesFen: Num,
      salesPerVisitFen: NumOrNull,
      visitsPer100Entries: NumOrNull,
    }),
  ),
});
export const ZoneTypes = Type.Object({ zoneTypes: Type.Array(Type.Object({ zoneType: Str, stores: Num })) });
export const CampaignFigures = Type.Object({
  ...Period,
  campaigns: Type.Array(
    Row({
      campaignId: Str,
      issued: Num,
      issuedRedeemed: Num,
      redemptionRate: NumOrNull,
      redemptions: Num,
      costFen: Num,
      offersShown: Num,
      offersClaimed: Num,
      offersRedeemed: Num,
      offerTakeRate: NumOrNull,
    }),
  ),
});
const GuideRow = Row({
  storeId: Nullable(Str),
  staffId: Nullable(Str),
  name: Nullable(Str),
  bucket: Str,
  calls: Num,
  callsAnswered: Num,
  answerRate: NumOrNull,
  callsDone: Num,
  callsEscalated: Num,
  avgSecondsToAccept: NumOrNull,
  medianSecondsToAccept: NumOrNull,
  p90SecondsToAccept: NumOrNull,
  avgSecondsToDone: NumOrNull,
  medianSecondsToDone: NumOrNull,
  p90SecondsToDone: NumOrNull,
  assistedSales: Num,
  assistedFen: Num,
  refunds: Num,
  refundedFen: Num,
  netAssistedFen: Num,
  salesFen: Num,
  assistedShare: NumOrNull,
});
export const GuideFigures = Type.Object({
  ...Period,
  by: Type.Enum(['guide', 'store', 'chain']),
  bucket: Type.Enum(['total', 'day']),
  sort: Str,
  order: Type.Enum(['asc', 'desc']),
  rows: Type.Array(GuideRow),
});
export const QueueFigures = Type.Object({
  ...Period,
  bucket: Type.Enum(['total', 'day', 'hour']),
  rows: Type.Array(
    Row({
      storeId: Str,
      cameraId: Str,
      zoneId: Str,
      bucket: Str,
      seconds: Num,
      avgLength: NumOrNull,
      maxLength: Num,
      alerts: Num,
      alertMinutes: Num,
      alertShare: NumOrNull,
      avgWaitSeconds: NumOrNull,
      maxWaitSeconds: NumOrNull,
    }),
  ),
});
export const Compare = Row({}, 'a store (or one zone of it) before and after: see hq/README.md');

export const Profile = Type.Object({
  storeId: Str,
  name: Nullable(Str),
  region: Nullable(Str),
  groups: Type.Array(Str),
  timeZone: Str,
});
export const Groups = Type.Object({
  groups: Type.Array(Type.Object({ name: Str, stores: Num })),
  regions: Type.Array(Type.Object({ name: Str, stores: Num })),
});
export const FloorPlanStored = Type.Object({ storeId: Str, width: Num, height: Num, bytes: Num });
export const Layout = Row({ storeId: Str, at: Type.Unknown(), cameras: Type.Array(Type.Unknown()) });

export const Conflicts = Row({}, 'conflicts by kind, store and amount, with what was done (hq/ledger/)');
export const Member = Type.Object({
  memberId: Str,
  enrolledStore: Nullable(Str),
  enrolledAt: Type.Unknown(),
  balance: Num,
  perStore: Type.Array(Row({ storeId: Str, points: Num, movements: Num })),
  conflicts: Type.Array(
    Row({
      id: Num,
      kind: Str,
      storeId: Nullable(Str),
      saleId: Nullable(Str),
      amount: Num,
      resolution: Type.Unknown(),
    }),
  ),
});

const Bundle = Row({ version: Str, arch: Str, sha256: Str, bytes: Num });
export const BundleStored = Bundle;
export const Releases = Type.Object({ releases: Type.Array(Bundle) });
export const Rollout = Row({ id: Num }, 'a rollout with its batches and per-store states (hq/releases/)');
export const Rollouts = Type.Object({ rollouts: Type.Array(Rollout) });
export const SupportBundle = Row(
  {
    id: Num,
    storeId: Str,
    requestedBy: Str,
    requestedAt: Str,
    state: Type.Enum(['asked', 'received', 'failed']),
    bytes: NumOrNull,
    error: Nullable(Str),
  },
  'a support bundle a store sent when asked (hq/support-bundles.ts)',
);
export const SupportBundles = Type.Object({ bundles: Type.Array(SupportBundle) });
export const SupportBundleBody = Row(
  {
    kind: Type.Literal('storeedge-support-bundle'),
    createdAt: Str,
    storeId: Str,
    version: Str,
    runtime: Row({}),
    config: Row({}),
    database: Row({}),
    system: Row({}),
    live: Type.Unknown(),
    logs: Row({ source: Str, lines: Type.Array(Type.Unknown()) }),
  },
  'the bundle as the store made it (edge/support/bundle.ts): versions, the config with secrets redacted, migrations, integrity check, parts and devices, disk and memory, recent log lines',
);
export const MaintenanceWindow = Row(
  { scope: Type.Enum(['store', 'group']), name: Str, from: Str, to: Str, updatedBy: Str, updatedAt: Str },
  "the local hours a store may switch software in (each store's own time zone)",
);
export const MaintenanceWindows = Type.Object({ windows: Type.Array(MaintenanceWindow) });

export const Certificates = Type.Object({ certificates: Type.Array(Row({ storeId: Str })) });
export const RenewalAsked = Type.Object({ storeId: Str, renewal: Type.Literal('asked') });

export const zstdDelta = {
  content: { 'application/zstd': { schema: { type: 'string', contentEncoding: 'binary' } } },
};
export const tarFile = {
  content: { 'application/x-tar': { schema: { type: 'string', contentEncoding: 'binary' } } },
};
export const gzipBundle = {
  content: { 'application/gzip': { schema: { type: 'string', contentEncoding: 'binary' } } },
};
export const pngImage = {
  content: { 'image/png': { schema: { type: 'string', contentEncoding: 'binary' } } },
};
