// MQTT 5 request/response bookkeeping for whoever asks (the store asking HQ, HQ asking a
// store): each request gets correlation data; its reply resolves the waiting promise,
// and no reply in time resolves it with null.
import { randomBytes } from 'node:crypto';
import type { IPublishPacket } from 'mqtt';

export class PendingReplies {
  private readonly waiting = new Map<string, (body: unknown) => void>();

  /** @param unreadable what a reply that is not JSON resolves to */
  constructor(private readonly unreadable: unknown = null) {}

  /** A new request's correlation data, and its reply (null after `timeoutMs`). */
  open(timeoutMs: number): { correlationData: Buffer; reply: Promise<unknown> } {
    const correlationData = randomBytes(12);
    const id = correlationData.toString('hex');
    const reply = new Promise<unknown>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(null);
      }, timeoutMs);
      this.waiting.set(id, (body) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(body);
      });
    });
    return { correlationData, reply };
  }

  /** Hands a reply to the request it answers; false when nothing waits for it. */
  settle(payload: Buffer, packet: IPublishPacket): boolean {
    const done = this.waiting.get(packet.properties?.correlationData?.toString('hex') ?? '');
    if (!done) return false;
    try {
      done(JSON.parse(payload.toString('utf8')));
    } catch {
      done(this.unreadable);
    }
    return true;
  }
}
