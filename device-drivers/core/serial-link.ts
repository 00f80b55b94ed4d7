// A serial port kept as a device: opens it, reports state, and notices an unplug.
// Scanner, scale and printer drivers on serial lines build on this and only handle
// their protocol's bytes.
import { statSync } from 'node:fs';
import { SerialPort } from 'serialport';
import type { DeviceState } from './device.js';
import { DeviceBase } from './device-base.js';

export interface SerialLinkOptions {
  path: string;
  baudRate?: number;
  /** how often to check that the port's device node is still the one opened */
  watchMs?: number;
}

export abstract class SerialDevice extends DeviceBase {
  protected port: SerialPort | null = null;
  private watch: NodeJS.Timeout | null = null;

  constructor(
    id: string,
    private readonly link: SerialLinkOptions,
  ) {
    super(id);
  }

  /** Called once the port is open: attach the protocol's parser; throw to refuse the device. */
  protected abstract attach(port: SerialPort): void | Promise<void>;
  /** Called when the port goes away (fail what is in flight). */
  protected detach(): void {}

  open(): Promise<void> {
    if (this.port?.isOpen) return Promise.resolve();
    this.setState('connecting');
    return new Promise((resolve, reject) => {
      const port = new SerialPort({
        path: this.link.path,
        baudRate: this.link.baudRate ?? 9600,
        autoOpen: false,
      });
      port.open(async (err) => {
        if (err) {
          this.setState('failed', err.message);
          return reject(err);
        }
        this.port = port;
        port.on('close', () => this.lost(port, 'port closed'));
        port.on('error', (e) => this.emit('warning', e));
        this.watchNode(port);
        try {
          await this.attach(port);
        } catch (e) {
          const message = e instanceof Error ? e.message : String(e);
          this.lost(port, message, 'failed');
          return reject(e instanceof Error ? e : new Error(message));
        }
        this.setState('ready');
        resolve();
      });
    });
  }

  private lost(port: SerialPort, reason: string, state: DeviceState = 'disconnected'): void {
    if (this.port !== port) return;
    this.port = null;
    if (this.watch) clearInterval(this.watch);
    this.watch = null;
    if (port.isOpen) port.close(() => undefined);
    this.detach();
    this.setState(state, reason);
  }

  /** A USB device unplugged makes its node vanish; a pty's peer going away may not
   * surface as a read error, so the node itself is watched. */
  private watchNode(port: SerialPort): void {
    const rdev = () => {
      try {
        return statSync(this.link.path).rdev;
      } catch {
        return null;
      }
    };
    const opened = rdev();
    if (this.watch) clearInterval(this.watch);
    this.watch = setInterval(() => {
      if (rdev() !== opened) this.lost(port, 'port vanished');
    }, this.link.watchMs ?? 500);
    this.watch.unref();
  }

  /** Writes and waits until the bytes left the process. */
  protected write(bytes: Buffer): Promise<void> {
    const port = this.port;
    if (!port) return Promise.reject(new Error(`${this.id}: not connected`));
    return new Promise((resolve, reject) =>
      port.write(bytes, (err) => (err ? reject(err) : port.drain((e) => (e ? reject(e) : resolve())))),
    );
  }

  close(): Promise<void> {
    if (this.watch) clearInterval(this.watch);
    this.watch = null;
    const port = this.port;
    this.port = null;
    this.detach();
    if (!port?.isOpen) {
      this.markClosed();
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      port.close(() => {
        this.setState('closed');
        resolve();
      }),
    );
  }
}
