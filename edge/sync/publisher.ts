// Publishes the outbox to HQ: rows in sequence order, QoS 1, a row marked sent only
// when the broker's PUBACK for it arrives. After a reconnect or a restart it resumes
// from the first row not acknowledged; a row published twice (its PUBACK lost) is
// harmless because HQ keys events by (store, seq). The drain is rate-limited so a
// store back from a long outage does not flood HQ together with thousands of others.
import type { Logger } from 'pino';
import type { Topics } from '../../sync/topics.js';
import { lightly } from '../db/durability.js';
import type { Db } from '../db/open.js';
import { type OutboxWire, outboxPruned, readUnsent, unsentSummary } from '../db/outbox.js';
import { firstUnsent, markSent, sentThrough, unmarkSent } from '../db/outbox-acks.js';

export interface PublisherLink {
  readonly connected: boolean;
  publish(
    topic: string,
    payload: Buffer,
    opts: { qos: 1; properties: Record<string, unknown> },
  ): Promise<void>;
  on(event: 'up' | 'down', listener: () => void): unknown;
}

export interface PublisherOptions {
  db: Db;
  link: PublisherLink;
  topics: Topics;
  log: Logger;
  /** events per second at most */
  ratePerSecond: number;
  /** PUBACKs outstanding at most */
  window?: number;
  now?: () => number;
}

export class OutboxPublisher {
  private nextSeq = 0;
  private inflight = 0;
  private epoch = 0;
  private acked: number[] = [];
  private tokens = 0;
  private lastRefill = Date.now();
  private timer: NodeJS.Timeout | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private pumping = false;
  private running = false;
  published = 0;
  acknowledged = 0;

  constructor(private readonly o: PublisherOptions) {}

  start(): void {
    this.running = true;
    this.o.link.on('up', () => this.resume());
    this.o.link.on('down', () => {
      // PUBACKs of this connection may never come: start over from the first unacknowledged row
      this.epoch++;
      this.inflight = 0;
    });
    this.resume();
    this.timer = setInterval(() => this.kick(), 50);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.flush();
  }

  private resume(): void {
    this.epoch++;
    this.inflight = 0;
    this.nextSeq = this.firstUnsent();
    this.kick();
  }

  /** Runs a pump; a failed one (a busy database) is logged and the next tick tries again. */
  private kick(): void {
    this.pump().catch((e: unknown) => this.o.log.error({ err: e }, 'outbox publish failed; retrying'));
  }

  private firstUnsent(): number {
    return firstUnsent(this.o.db);
  }

  /** the highest sequence the broker has acknowledged */
  sentThrough(): number {
    return sentThrough(this.o.db);
  }

  /** rows not yet acknowledged by the broker, and their bytes */
  backlog(): { events: number; bytes: number; oldestCreatedAt: number | null } {
    const r = unsentSummary(this.o.db);
    return { events: r.events, bytes: r.bytes, oldestCreatedAt: r.oldest };
  }

  private refill(): void {
    const now = Date.now();
    const rate = this.o.ratePerSecond;
    // a burst of at most a tenth of a second's worth keeps the rate smooth
    this.tokens = Math.min(Math.max(1, rate / 10), this.tokens + ((now - this.lastRefill) / 1000) * rate);
    this.lastRefill = now;
  }

  private async pump(): Promise<void> {
    if (this.pumping || !this.running) return;
    this.pumping = true;
    try {
      const window = this.o.window ?? 256;
      while (this.running && this.o.link.connected && this.inflight < window) {
        this.refill();
        const room = Math.min(window - this.inflight, Math.floor(this.tokens));
        if (room < 1) break;
        const rows = readUnsent(this.o.db, this.o.topics.storeId, this.nextSeq, room);
        if (rows.length === 0) break;
        for (const r of rows) this.send(r);
        this.nextSeq = rows.at(-1)!.seq + 1;
        this.tokens -= rows.length;
        // let socket writes and PUBACKs through before the next batch
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      this.pumping = false;
    }
  }

  private send(r: OutboxWire): void {
    const epoch = this.epoch;
    this.inflight++;
    this.published++;
    this.o.link
      // seq and eventId are in the message itself, where HQ reads them: no user properties,
      // whose encoding was about a third of encoding the packet
      .publish(this.o.topics.event(r.type), r.wire, {
        qos: 1,
        properties: { contentType: 'application/json' },
      })
      .then(
        () => {
          // a PUBACK is a PUBACK, whichever connection it came on
          this.acked.push(r.seq);
          this.acknowledged++;
          // after stop no timer: the database may close before it fires; drainAcks() marks these
          if (!this.flushTimer && this.running) this.flushTimer = setTimeout(() => this.flush(), 20);
          if (epoch === this.epoch) this.freed();
        },
        () => {
          if (epoch === this.epoch) this.freed();
        },
      );
  }

  /** A slot of the window is free again: once half of it is, send the next batch now
   * rather than at the next tick (a full window would otherwise wait up to 50 ms). */
  private freed(): void {
    this.inflight--;
    if (!this.pumping && this.running && this.inflight <= (this.o.window ?? 256) / 2) this.kick();
  }

  /** Marks acknowledged rows sent, many per transaction: runs of consecutive sequences
   * (PUBACKs come back in order) as one range each (edge/db/outbox-acks.ts), so a batch
   * costs about the same as one row. A light commit (edge/db/durability.ts):
   * a mark lost to a power cut only sends those rows again, which HQ absorbs by (store, seq). */
  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (!this.acked.length) return;
    const seqs = this.acked.sort((a, b) => a - b);
    this.acked = [];
    const now = (this.o.now ?? Date.now)();
    try {
      lightly(this.o.db, () =>
        this.o.db.transaction(() => {
          for (let i = 0; i < seqs.length; ) {
            let j = i;
            while (j + 1 < seqs.length && seqs[j + 1]! <= seqs[j]! + 1) j++;
            markSent(this.o.db, seqs[i]!, seqs[j]!, now);
            i = j + 1;
          }
        })(),
      );
    } catch (e) {
      // not marked means sent again later, which HQ absorbs; try these again shortly
      this.acked.push(...seqs);
      this.o.log.error({ err: e }, 'marking events sent failed; retrying');
      if (!this.flushTimer && this.running) this.flushTimer = setTimeout(() => this.flush(), 500);
    }
  }

  /** Marks PUBACKs that arrived while the link was closing (after stop), while the
   * database is still open; any not marked are sent again later, which HQ absorbs. */
  drainAcks(): void {
    if (this.o.db.open) this.flush();
  }

  /** HQ found a gap: those rows go again. */
  resend(fromSeq: number, toSeq: number): number {
    const n = this.o.db.transaction(() => unmarkSent(this.o.db, fromSeq, toSeq))();
    if (n && fromSeq < this.nextSeq) this.nextSeq = fromSeq;
    this.o.log.info({ fromSeq, toSeq, rows: n }, 'HQ asked for a resend');
    // rows housekeeping deleted after their window cannot go again: say so where staff look
    const pruned = outboxPruned(this.o.db);
    if (fromSeq <= pruned.maxSeq) {
      const gone = this.o.db
        .prepare('SELECT ? - ? + 1 - count(*) FROM outbox WHERE seq BETWEEN ? AND ?')
        .pluck()
        .get(Math.min(toSeq, pruned.maxSeq), fromSeq, fromSeq, Math.min(toSeq, pruned.maxSeq)) as number;
      if (gone > 0)
        this.o.log.warn(
          { fromSeq, toSeq, gone, prunedThrough: pruned.maxSeq },
          'HQ asked for events housekeeping already pruned (acknowledged by the broker, past their retention): they cannot be sent again',
        );
    }
    this.kick();
    return n;
  }
}
