// The fleet simulator: N virtual stores in one process (see virtual-store.ts), trading
// on a day's shape (quiet at night, a morning and an evening peak) compressed into
// `dayLengthMs`, with refunds, members' points and entrance counts; and store-side
// outages on demand (a share of the stores loses its link for a while, keeps selling,
// and drains its backlog when the link is back). Bounded: it trades only while asked.
import type { Logger } from 'pino';
import { type StoreTotals, VirtualStore } from './virtual-store.js';

export interface FleetOptions {
  stores: number;
  broker: string;
  seedFile: string;
  /** sales per second per store at the day's average */
  salesPerSecond: number;
  /** one simulated day lasts this long (86 400 000 is real time) */
  dayLengthMs?: number;
  /** the simulated hour the fleet starts at */
  startHour?: number;
  members?: number;
  /** share of member sales by a member of another store of the fleet (default 0) */
  visitorShare?: number;
  /** share of sales refunded later */
  refundShare?: number;
  drainPerSecond?: number;
  seed?: number;
  idPrefix?: string;
  /** HQ's push key (PEM), so the stores take HQ's signed pushes */
  hqSigningPublicKey?: string;
  /** each store's own log (silent when absent) */
  log?: (storeId: string) => Logger;
}

/** A seeded generator, so a fleet run can be repeated exactly. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Relative trade at an hour of the day (averages about 1 over the day). */
export function dayShape(hour: number): number {
  const bump = (mu: number, sigma: number, h: number) => h * Math.exp(-((hour - mu) ** 2) / (2 * sigma ** 2));
  const open = hour >= 7 && hour < 23 ? 0.6 : 0.05;
  return open + bump(8.5, 1.2, 1.1) + bump(12.5, 1, 0.5) + bump(18.5, 1.5, 1.6);
}

const TICK_MS = 100;

export class Fleet {
  readonly stores: VirtualStore[] = [];
  private readonly random: () => number;
  private readonly started = Date.now();
  private offline = new Set<VirtualStore>();
  /** the simulated time tradeTicks has traded: its day advances by tick, not by the clock */
  private tickedMs = 0;

  constructor(private readonly o: FleetOptions) {
    this.random = mulberry32(o.seed ?? 1);
    const travel = mulberry32((o.seed ?? 1) * 104_729);
    const visitorOf = (i: number) => (): string | null => {
      const j = Math.floor(travel() * this.stores.length);
      const ids = j === i ? [] : (this.stores[j]?.members() ?? []);
      return ids.length ? ids[Math.floor(travel() * ids.length)]! : null;
    };
    for (let i = 0; i < o.stores; i++) {
      const storeId = this.storeId(i);
      this.stores.push(
        new VirtualStore({
          storeId,
          broker: o.broker,
          seedFile: o.seedFile,
          members: o.members ?? 20,
          random: mulberry32((o.seed ?? 1) * 7919 + i),
          ...(o.visitorShare ? { visitor: visitorOf(i), visitorShare: o.visitorShare } : {}),
          ...(o.drainPerSecond ? { drainPerSecond: o.drainPerSecond } : {}),
          ...(o.hqSigningPublicKey ? { hqSigningPublicKey: o.hqSigningPublicKey } : {}),
          ...(o.log ? { log: o.log(storeId) } : {}),
        }),
      );
    }
  }

  start(): void {
    for (const s of this.stores) s.start();
  }

  /** The simulated hour now. */
  hour(now = Date.now()): number {
    const day = this.o.dayLengthMs ?? 86_400_000;
    return ((((now - this.started) % day) / day) * 24 + (this.o.startHour ?? 0)) % 24;
  }

  /** Trades for `ms`, then resolves. Each tick every store sells its expected share. */
  async trade(ms: number, shouldStop: () => boolean = () => false): Promise<{ sales: number }> {
    const end = Date.now() + ms;
    let sales = 0;
    while (Date.now() < end && !shouldStop()) {
      sales += this.tick(this.hour());
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
    return { sales };
  }

  /** Trades `ticks` ticks of 100 ms each, however long a busy machine takes for them: a
   * test's trade is bounded by count, so a slow run sells as much as a fast one. */
  async tradeTicks(ticks: number): Promise<{ sales: number }> {
    let sales = 0;
    for (let i = 0; i < ticks; i++) {
      sales += this.tick(this.hour(this.started + this.tickedMs));
      this.tickedMs += TICK_MS;
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
    return { sales };
  }

  /** One tick at `hour`: every store sells its expected share of a tick, refunds some, counts footfall. */
  private tick(hour: number): number {
    let sales = 0;
    const expected = this.o.salesPerSecond * dayShape(hour) * (TICK_MS / 1000);
    for (const s of this.stores) {
      // Poisson-ish: the whole part, and the fraction by chance
      const n = Math.floor(expected) + (this.random() < expected % 1 ? 1 : 0);
      for (let k = 0; k < n; k++) {
        s.sale();
        sales++;
        if (this.random() < (this.o.refundShare ?? 0.03)) s.refund();
      }
      if (this.random() < 0.2) s.footfall();
    }
    return sales;
  }

  /** A share of the stores loses its link to HQ (they go on selling offline). */
  async cut(share: number): Promise<number> {
    const cut = this.stores.filter((s) => !this.offline.has(s) && this.random() < share);
    await Promise.all(cut.map((s) => s.stop()));
    for (const s of cut) this.offline.add(s);
    return cut.length;
  }

  /** Every cut store gets its link back and drains its backlog. */
  heal(): number {
    const n = this.offline.size;
    for (const s of this.offline) s.start();
    this.offline.clear();
    return n;
  }

  /**
   * Trades until `until` (epoch ms) or `shouldStop`, and, with `outage`, cuts a share
   * of the stores off for `forMs` each time `everyMs` of trading has passed. Calls
   * `onOutage` with each cut and `onProgress` with the sales so far every `progressMs`.
   * Resolves with the sales made.
   */
  async run(o: {
    until: number;
    shouldStop: () => boolean;
    outage?: { everyMs: number; forMs: number; share: number } | undefined;
    progressMs?: number;
    onOutage?: (cut: number) => void;
    onProgress?: (sales: number) => void;
  }): Promise<number> {
    let sales = 0;
    let nextOutage = o.outage?.everyMs ? Date.now() + o.outage.everyMs : Number.POSITIVE_INFINITY;
    while (!o.shouldStop() && Date.now() < o.until) {
      const slice = Math.min(
        o.progressMs ?? Number.POSITIVE_INFINITY,
        o.until - Date.now(),
        nextOutage - Date.now(),
      );
      sales += (await this.trade(slice, o.shouldStop)).sales;
      if (o.outage && Date.now() >= nextOutage && !o.shouldStop()) {
        o.onOutage?.(await this.cut(o.outage.share));
        sales += (await this.trade(o.outage.forMs, o.shouldStop)).sales;
        this.heal();
        nextOutage = Date.now() + o.outage.everyMs;
      }
      o.onProgress?.(sales);
    }
    return sales;
  }

  async stop(): Promise<void> {
    await Promise.all(this.stores.filter((s) => !this.offline.has(s)).map((s) => s.stop()));
  }

  totals(): Map<string, StoreTotals> {
    return new Map(this.stores.map((s, i) => [this.storeId(i), s.totals()]));
  }

  storeId(i: number): string {
    return `${this.o.idPrefix ?? 'fleet'}-${String(i + 1).padStart(4, '0')}`;
  }
}
