// Keeps devices connected: opens each, and when one drops or fails to open, retries it
// with capped, jittered backoff until it is back or the supervisor stops. The daemon
// keeps running meanwhile; checkout decides what it can do without the device.
import type { BackoffOptions } from './backoff.js';
import { backoffDelay } from './backoff.js';
import type { Device, DeviceState, DeviceStatus } from './device.js';

export interface SupervisorOptions extends BackoffOptions {
  random?: () => number;
  onState?: (status: DeviceStatus) => void;
}

interface Entry {
  device: Device;
  status: DeviceStatus;
  attempt: number;
  timer: NodeJS.Timeout | null;
}

export class Supervisor {
  private readonly entries = new Map<string, Entry>();
  private running = false;

  constructor(private readonly opts: SupervisorOptions) {}

  add(device: Device): void {
    if (this.entries.has(device.id)) throw new Error(`duplicate device id ${device.id}`);
    const entry: Entry = {
      device,
      status: { id: device.id, kind: device.kind, state: device.state, since: Date.now(), reconnects: 0 },
      attempt: 0,
      timer: null,
    };
    device.on('state', (state: DeviceState, error?: string) => this.onState(entry, state, error));
    this.entries.set(device.id, entry);
  }

  /** Opens every device once; those that fail are retried in the background. */
  async start(): Promise<void> {
    this.running = true;
    await Promise.all([...this.entries.values()].map((e) => this.tryOpen(e)));
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const e of this.entries.values()) if (e.timer) clearTimeout(e.timer);
    await Promise.all([...this.entries.values()].map((e) => e.device.close().catch(() => undefined)));
  }

  status(): DeviceStatus[] {
    return [...this.entries.values()].map((e) => ({ ...e.status }));
  }

  get(id: string): Device | undefined {
    return this.entries.get(id)?.device;
  }

  private async tryOpen(e: Entry): Promise<void> {
    e.timer = null;
    if (!this.running) return;
    try {
      await e.device.open();
      e.attempt = 0;
    } catch (err) {
      this.onState(e, 'failed', err instanceof Error ? err.message : String(err));
    }
  }

  private onState(e: Entry, state: DeviceState, error?: string): void {
    const changed = e.status.state !== state || e.status.error !== error;
    e.status = { ...e.status, state, since: Date.now(), ...(error ? { error } : {}) };
    if (!error) delete e.status.error;
    if (changed) this.opts.onState?.({ ...e.status });
    if ((state === 'disconnected' || state === 'failed') && this.running && !e.timer) {
      const delay = backoffDelay(e.attempt++, this.opts, this.opts.random);
      e.status.reconnects += 1;
      e.timer = setTimeout(() => void this.tryOpen(e), delay);
    }
  }
}
