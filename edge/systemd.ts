// systemd's notify protocol (sd_notify(3)): tells the service manager when the daemon is
// ready, what it is doing, that it is stopping, and pings its watchdog. Datagrams go to
// the socket named by NOTIFY_SOCKET; Node's core has no Unix datagram sockets, so they
// go through unix-dgram. Without NOTIFY_SOCKET (not under systemd) every call is a no-op.
import { createRequire } from 'node:module';
import type { Logger } from '../sync/kernel/logger.js';

interface DgramSocket {
  send(buf: Buffer, offset: number, length: number, path: string, cb: (err?: Error) => void): void;
  on(event: 'error', cb: (err: Error) => void): void;
  close(): void;
}

const unixDgram = createRequire(import.meta.url)('unix-dgram') as {
  createSocket(type: 'unix_dgram'): DgramSocket;
};

export interface NotifierEnv {
  NOTIFY_SOCKET?: string | undefined;
  WATCHDOG_USEC?: string | undefined;
  WATCHDOG_PID?: string | undefined;
}

export class SystemdNotifier {
  private socket: DgramSocket | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  /** how often to ping: half the watchdog's interval, as sd_watchdog_enabled(3) advises */
  readonly watchdogIntervalMs: number | null;

  constructor(
    private readonly path: string | null,
    watchdogUsec: number | null,
    private readonly log: Logger,
  ) {
    this.watchdogIntervalMs = watchdogUsec ? Math.max(1, Math.floor(watchdogUsec / 2000)) : null;
  }

  static fromEnv(env: NotifierEnv, log: Logger, pid = process.pid): SystemdNotifier {
    let path = env.NOTIFY_SOCKET || null;
    if (path?.startsWith('@')) {
      // unix-dgram takes file-system paths only; systemd's own socket is /run/systemd/notify
      log.warn({ socket: path }, 'NOTIFY_SOCKET is an abstract socket: systemd notifications off');
      path = null;
    }
    const usec = Number(env.WATCHDOG_USEC);
    const forUs = !env.WATCHDOG_PID || Number(env.WATCHDOG_PID) === pid;
    return new SystemdNotifier(path, Number.isFinite(usec) && usec > 0 && forUs ? usec : null, log);
  }

  get enabled(): boolean {
    return this.path !== null;
  }

  /** All parts are up: READY=1, and the watchdog pings start. */
  ready(status: string): Promise<void> {
    if (this.path && this.watchdogIntervalMs) {
      // A ping proves the event loop still turns: a wedged loop misses them and systemd restarts us.
      this.watchdog = setInterval(() => void this.send('WATCHDOG=1'), this.watchdogIntervalMs);
      this.watchdog.unref();
    }
    return this.send(`READY=1\nSTATUS=${status}\nMAINPID=${process.pid}`);
  }

  status(status: string): Promise<void> {
    return this.send(`STATUS=${status}`);
  }

  /** The stop has begun; the watchdog keeps pinging until close, since a stop may take a while. */
  stopping(): Promise<void> {
    return this.send('STOPPING=1');
  }

  close(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    this.socket?.close();
    this.socket = null;
  }

  private send(message: string): Promise<void> {
    const path = this.path;
    if (!path) return Promise.resolve();
    if (!this.socket) {
      this.socket = unixDgram.createSocket('unix_dgram');
      this.socket.on('error', (err) => this.log.warn({ err: err.message }, 'systemd notify socket error'));
    }
    // one assignment a line, the last one ended too (sd_notify's format allows it)
    const buf = Buffer.from(`${message}\n`);
    return new Promise((resolve) => {
      this.socket?.send(buf, 0, buf.length, path, (err) => {
        // a lost notification is logged, never fatal: the daemon serves whether systemd heard or not
        if (err) this.log.warn({ err: err.message, socket: path }, 'systemd notification not sent');
        resolve();
      });
    });
  }
}
