// One virtual store of the fleet simulator: its own SQLite database with the demo
// catalog, the store's real checkout, members, coupons and refunds writing its real
// outbox, and the store's real sync part (MQTT link with its backoff, outbox publisher, backlog
// guard, HQ commands) talking to the broker. Only the shoppers are simulated.
import Database from 'better-sqlite3';
import pino, { type Logger } from 'pino';
import Value from 'typebox/value';
import { CameraConfig, type Config, ConfigSchema } from '../../config/schema.js';
import { parseScan } from '../../edge/catalog/barcode.js';
import { applySeed, loadSeedFile } from '../../edge/catalog/seed.js';
import { addScan, createCart, setMember } from '../../edge/checkout/carts.js';
import { refundSale } from '../../edge/checkout/refunds.js';
import type { CheckoutContext } from '../../edge/checkout/sale.js';
import { payCash, payPoints, startPayment } from '../../edge/checkout/tenders.js';
import {
  claimAfterPurchase,
  claimableCampaigns,
  claimCoupon,
  offerAfterPurchase,
  recordOfferShown,
} from '../../edge/coupons/wallet.js';
import { migrate } from '../../edge/db/migrate.js';
import { migrations } from '../../edge/db/migrations/index.js';
import type { Db } from '../../edge/db/open.js';
import { acceptCall, cancelCall, createCall, finishCall } from '../../edge/guides/calls.js';
import { creditByCode, guideCode } from '../../edge/guides/credit.js';
import { seeMember } from '../../edge/members/follow.js';
import { enrollMember, getMember } from '../../edge/members/members.js';
import { SyncPart } from '../../edge/sync/part.js';
import { reportSoftware } from '../../edge/updates/report.js';
import { VisionAggregates } from '../../edge/vision/aggregates.js';
import { queueLayout } from '../../edge/vision/layout.js';
import { mulberry32 } from './fleet.js';

/** The store's guides: a sale in four is credited to one, a shopper in eight calls one. */
const GUIDES = ['guide-1', 'guide-2', 'guide-3'];

const SCAN = { variableMeasure: [], currencyNumeric: '156' };

/** Every virtual store's one camera: an entrance line and three shelves, on a 20 × 12 m floor. */
const CAMERA = Value.Default(CameraConfig, {
  id: 'floor',
  source: { type: 'file', url: 'none' },
  lines: [{ id: 'door', a: [0.1, 0.2], b: [0.1, 0.8] }],
  zones: [
    {
      id: 'dairy',
      type: 'dairy-shelf',
      categories: ['dairy'],
      polygon: [
        [0.2, 0.1],
        [0.4, 0.1],
        [0.4, 0.3],
      ],
    },
    {
      id: 'snacks',
      type: 'snack-aisle',
      categories: ['snacks'],
      polygon: [
        [0.5, 0.1],
        [0.7, 0.1],
        [0.7, 0.3],
      ],
    },
    {
      id: 'drinks-end',
      type: 'promo-end-cap',
      categories: ['drinks'],
      polygon: [
        [0.8, 0.5],
        [0.9, 0.5],
        [0.9, 0.7],
      ],
    },
  ],
  floorPlan: { homography: [20, 0, 0, 0, 12, 0, 0, 0, 1], widthM: 20, depthM: 12, cellM: 1 },
}) as Config['cameras'][number];
const GRID = { cols: 20, rows: 12, cellM: 1 };
/** where shoppers linger on the virtual floor: the door, then each shelf (col, row) */
const SPOTS: [number, number][] = [
  [1, 6],
  [6, 2],
  [12, 2],
  [17, 7],
];
const CLERK = { id: 'fleet-sup', name: 'Fleet', role: 'supervisor' as const };

let template: Buffer | null = null;
/** The demo store's database, seeded once and copied for every virtual store. */
function seededCopy(seedFile: string, now: number): Db {
  if (!template) {
    const db = new Database(':memory:');
    migrate(db, migrations);
    applySeed(db, loadSeedFile(seedFile), now - 86_400_000);
    template = db.serialize();
    db.close();
  }
  const db = new Database(template);
  db.pragma('foreign_keys = ON');
  return db;
}

export interface VirtualStoreOptions {
  storeId: string;
  broker: string;
  seedFile: string;
  /** members enrolled at start; sales pick one of them now and then */
  members: number;
  /** events per second the store's publisher may drain at most */
  drainPerSecond?: number;
  reconnect?: { baseMs: number; capMs: number };
  /** HQ's push key (PEM): with it the store takes HQ's signed pushes */
  hqSigningPublicKey?: string;
  /** points a member may spend here per day while HQ is out of reach (default 500) */
  offlineSpendCapPerDay?: number;
  random: () => number;
  /** a member of another store of the chain, shown here now and then (a travelling shopper) */
  visitor?: () => string | null;
  /** share of member sales made by such a visitor (default 0) */
  visitorShare?: number;
  /** the store's own log (silent when absent); a test keeps it to show a stuck store */
  log?: Logger;
  /**
   * How this store's (simulated) updater ends a software push: it reports downloading,
   * then this outcome a moment later, as a real box's software.status events would.
   * Absent: the store takes no software updates, and says so.
   */
  softwareOutcome?: (
    rollout: number,
    version: string,
  ) => { state: 'healthy' | 'rolled_back'; afterMs: number };
}

/** What the store itself says it sold: HQ's projections must equal these. */
export interface StoreTotals {
  sales: number;
  totalFen: number;
  refunds: number;
  refundedFen: number;
  redemptions: number;
  points: Record<string, number>;
  maxSeq: number;
}

export class VirtualStore {
  readonly db: Db;
  readonly part: SyncPart;
  private readonly codes: string[];
  private readonly memberIds: string[] = [];
  private readonly vision: VisionAggregates;
  private readonly guideRandom: () => number;
  private saleIds: string[] = [];

  constructor(private readonly o: VirtualStoreOptions) {
    const now = Date.now();
    this.db = seededCopy(o.seedFile, now);
    this.codes = (
      this.db
        .prepare("SELECT gtin FROM products WHERE sold_by = 'each' AND min_age = 0")
        .pluck()
        .all() as string[]
    ).map((g) => g.slice(1));
    for (let i = 0; i < o.members; i++) this.memberIds.push(enrollMember(this.db, null, now).member.id);
    const mqtt = (
      Value.Default(ConfigSchema, {
        mqtt: {
          enabled: true,
          url: o.broker,
          drainPerSecond: o.drainPerSecond ?? 2000,
          reconnect: o.reconnect ?? { baseMs: 500, capMs: 10_000 },
        },
      }) as Config
    ).mqtt;
    this.part = new SyncPart({
      mqtt,
      storeId: o.storeId,
      version: 'fleet',
      db: () => this.db,
      log: o.log ?? pino({ level: 'silent' }),
      heartbeatMs: 2000,
      hqSigningPublicKey: o.hqSigningPublicKey,
      ...(o.softwareOutcome ? { software: { install: (r: number, b: unknown) => this.update(r, b) } } : {}),
    });
    this.vision = new VisionAggregates({ db: () => this.db, now: Date.now, acceptsTelemetry: () => true });
    // a stream of its own, so the sales are the ones they were before the guides came
    this.guideRandom = mulberry32([...o.storeId].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 7));
    queueLayout(this.db, [CAMERA], now);
  }

  start(): void {
    this.part.start();
  }

  private async update(rollout: number, body: unknown): Promise<{ status: string }> {
    const version = String((body as { version?: unknown } | null)?.version ?? '?');
    reportSoftware(this.db, { rollout, version, state: 'downloading' }, Date.now());
    const outcome = this.o.softwareOutcome!(rollout, version);
    setTimeout(() => {
      if (!this.db.open) return;
      reportSoftware(
        this.db,
        {
          rollout,
          version,
          state: outcome.state,
          ...(outcome.state === 'rolled_back' ? { reason: `simulated: ${version} did not stay up` } : {}),
        },
        Date.now(),
      );
    }, outcome.afterMs).unref();
    return { status: 'accepted' };
  }

  async stop(): Promise<void> {
    await this.part.stop();
  }

  /** The checkout's context now: HQ in reach or not, as the store's real daemon has it. */
  context(now = Date.now()): CheckoutContext {
    return {
      now,
      timezone: 'Asia/Shanghai',
      storeId: this.o.storeId,
      loyalty: {
        pointsPerYuan: 1,
        fenPerPoint: 1,
        offlineSpendCapPerDay: this.o.offlineSpendCapPerDay ?? 500,
      },
      hqOnline: this.part.hqReachable(),
    };
  }

  /** Members enrolled here. */
  members(): readonly string[] {
    return this.memberIds;
  }

  /** A member of another store shows their card (as the card route does): noted, and
   * looked up at HQ when this store does not follow them (not waited for here). */
  private showCard(memberId: string, now: number): string {
    this.db
      .prepare(
        'INSERT OR IGNORE INTO members (id, name, points, created_at, updated_at) VALUES (?, NULL, 0, ?, ?)',
      )
      .run(memberId, now, now);
    void seeMember(this.db, this.part.memberGate, memberId, now);
    return memberId;
  }

  /** One shopper: 1–6 items, a member two times in five, points spent now and then, cash. */
  sale(now = Date.now()): void {
    const r = this.o.random;
    const kiosk = r() >= 0.3;
    const cart = createCart(this.db, {
      channel: kiosk ? 'kiosk' : 'phone',
      kioskId: kiosk ? 'kiosk-1' : null,
      now,
    });
    const items = 1 + Math.floor(r() * 6);
    for (let k = 0; k < items; k++)
      addScan(this.db, cart.id, {
        scan: parseScan(this.codes[Math.floor(r() * this.codes.length)]!, SCAN),
        now,
      });
    let member =
      this.memberIds.length && r() < 0.4 ? this.memberIds[Math.floor(r() * this.memberIds.length)]! : null;
    if (member && this.o.visitor && r() < (this.o.visitorShare ?? 0)) {
      const v = this.o.visitor();
      if (v) member = this.showCard(v, now);
    }
    if (member) {
      // now and then the member claims an offer on their phone; it redeems by itself if it fits
      const offers = r() < 0.3 ? claimableCampaigns(this.db, member, now) : [];
      if (offers.length) claimCoupon(this.db, offers[Math.floor(r() * offers.length)]!.id, member, now);
      setMember(this.db, cart.id, member, now);
    }
    const g = this.guideRandom;
    if (g() < 0.25) {
      const staffId = GUIDES[Math.floor(g() * GUIDES.length)]!;
      creditByCode(this.db, cart.id, guideCode(staffId), (id) => GUIDES.includes(id));
    }
    if (g() < 0.125) this.guideCall(now);
    let q = startPayment(this.db, cart.id, this.context(now));
    if (member && r() < 0.25) {
      const points = Math.min(getMember(this.db, member).points, Math.floor(q.dueFen / 2));
      try {
        if (points > 0) q = payPoints(this.db, cart.id, points, this.context(now)).quote;
      } catch (err) {
        // apart from HQ past the day's cap: the shopper pays the rest in cash
        if ((err as { code?: string }).code !== 'POINTS_OFFLINE_CAP') throw err;
      }
    }
    const paid = q.dueFen > 0 ? payCash(this.db, cart.id, q.dueFen, this.context(now)) : null;
    const saleId = paid?.sale?.saleId;
    if (!saleId) return;
    this.saleIds.push(saleId);
    // the result page offers a post-purchase coupon when the sale qualifies; a third take it
    const offer = offerAfterPurchase(this.db, saleId, now);
    if (offer) {
      recordOfferShown(this.db, saleId, offer.id, now);
      if (r() < 0.33) claimAfterPurchase(this.db, offer.id, saleId, now);
    }
  }

  /** A shopper's call to a guide, ended by now: taken in 2–40 s and served for up to 5
   * minutes, or (one in ten) cancelled while nobody had taken it. */
  private guideCall(now: number): void {
    const g = this.guideRandom;
    const served = Math.floor(g() * 300_000);
    const wait = 2000 + Math.floor(g() * 38_000);
    const created = now - served - wait;
    const c = createCall(this.db, { reason: 'advice', zoneId: null, gtin: null, memberId: null }, created);
    if (g() < 0.1) {
      cancelCall(this.db, c.id, created + wait);
      return;
    }
    const staffId = GUIDES[Math.floor(g() * GUIDES.length)]!;
    acceptCall(this.db, c.id, staffId, created + wait);
    finishCall(this.db, c.id, staffId, now);
  }

  /** A whole sale brought back (supervisor refund), now and then. */
  refund(now = Date.now()): void {
    const r = this.o.random;
    if (!this.saleIds.length) return;
    const i = Math.floor(r() * this.saleIds.length);
    const saleId = this.saleIds.splice(i, 1)[0]!;
    refundSale(this.db, saleId, { staff: CLERK, reason: 'fleet return', now, fenPerPoint: 1 });
  }

  /** People counting at the entrance: crossings flushed as the daemon's vision part does. */
  footfall(now = Date.now()): void {
    const r = this.o.random;
    const n = Math.floor(r() * 4);
    for (let i = 0; i < n; i++) this.vision.crossing('floor', 'door', true, r() < 0.5 ? 'in' : 'out', now);
    // some of them stop at a shelf, and everyone leaves a little heat near where they stood
    const cells = new Float64Array(GRID.cols * GRID.rows);
    for (let i = 0; i < n; i++) {
      const shelf = 1 + Math.floor(r() * 3);
      const zone = CAMERA.zones[shelf - 1]!.id;
      if (r() < 0.6) this.vision.visit('floor', zone, now, 3000 + r() * 40_000);
      for (const [c, row] of [SPOTS[0]!, SPOTS[shelf]!]) {
        const col = Math.min(GRID.cols - 1, Math.max(0, c + Math.round((r() - 0.5) * 3)));
        const rr = Math.min(GRID.rows - 1, Math.max(0, row + Math.round((r() - 0.5) * 3)));
        cells[rr * GRID.cols + col]! += 1 + r() * 10;
      }
    }
    this.vision.heatmap('floor', now, { ...GRID, cells });
    this.vision.flush();
  }

  totals(): StoreTotals {
    const sales = this.db
      .prepare('SELECT count(*) AS n, coalesce(sum(total_fen), 0) AS fen FROM sales')
      .get() as { n: number; fen: number };
    const refunds = this.db
      .prepare('SELECT count(*) AS n, coalesce(sum(amount_fen), 0) AS fen FROM refunds')
      .get() as { n: number; fen: number };
    const points = Object.fromEntries(
      (this.db.prepare('SELECT id, points FROM members').all() as { id: string; points: number }[]).map(
        (m) => [m.id, m.points],
      ),
    );
    return {
      sales: sales.n,
      totalFen: sales.fen,
      refunds: refunds.n,
      refundedFen: refunds.fen,
      redemptions: this.db.prepare('SELECT count(*) FROM coupon_redemptions').pluck().get() as number,
      points,
      maxSeq: (this.db.prepare('SELECT coalesce(max(seq), 0) FROM outbox').pluck().get() as number) ?? 0,
    };
  }
}
