// A TCP connection kept as a device (network printers on 9100, payment terminals):
// connects, reports state, and notices the peer going away. Drivers handle the bytes.
import { Socket } from 'node:net';
import { DeviceBase } from './device-base.js';

export interface TcpLinkOptions {
  host: string;
  port: number;
  connectTimeoutMs?: number;
}

export abstract class TcpDevice extends DeviceBase {
  private socket: Socket | null = null;

  constructor(
    id: string,
    private readonly link: TcpLinkOptions,
  ) {
    super(id);
  }

  /** Bytes from the peer. */
  protected abstract onData(chunk: Buffer): void;
  /** Called once connected, before the device is ready: a handshake; throw to refuse. */
  protected async handshake(): Promise<void> {}
  /** Called when the connection is gone: fail whatever is in flight. */
  protected detach(_reason: string): void {}

  get connected(): boolean {
    return this.socket !== null;
  }

  open(): Promise<void> {
    if (this.socket) return Promise.resolve();
    this.setState('connecting');
    return new Promise((resolve, reject) => {
      const socket = new Socket();
      const timer = setTimeout(
        () => socket.destroy(new Error('connect timed out')),
        this.link.connectTimeoutMs ?? 3000,
      );
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 5000);
      socket.once('connect', async () => {
        clearTimeout(timer);
        this.socket = socket;
        try {
          await this.handshake();
        } catch (e) {
          this.drop('handshake failed');
          this.setState('failed', (e as Error).message);
          return reject(e);
        }
        this.setState('ready');
        resolve();
      });
      socket.on('data', (chunk) => {
        if (this.socket === socket) this.onData(chunk);
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        if (this.socket !== socket) {
          this.setState('failed', e.message);
          reject(e);
        }
      });
      socket.once('close', () => {
        clearTimeout(timer);
        if (this.socket !== socket) return;
        this.socket = null;
        this.detach('connection lost');
        this.setState('disconnected', 'connection closed');
      });
      socket.connect(this.link.port, this.link.host);
    });
  }

  /** Drops the connection now (a protocol error: nothing after it can be trusted). */
  protected drop(reason: string): void {
    const socket = this.socket;
    this.socket = null;
    if (!socket) return;
    this.detach(reason);
    socket.destroy();
    if (this.state === 'ready') this.setState('disconnected', reason);
  }

  protected send(bytes: Buffer): Promise<void> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new Error(`${this.id}: not connected`));
    return new Promise((resolve, reject) => socket.write(bytes, (e) => (e ? reject(e) : resolve())));
  }

  close(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    this.detach('closed');
    if (!socket) {
      this.markClosed();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      socket.once('close', () => {
        this.setState('closed');
        resolve();
      });
      socket.end();
      socket.destroySoon();
    });
  }
}
