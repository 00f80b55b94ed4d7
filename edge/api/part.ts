// The HTTP part: builds the app over the started parts and listens.
import type { FastifyInstance } from 'fastify';
import type { Part } from '../lifecycle.js';
import { type AppOptions, buildApp } from './app.js';

export interface HttpPartOptions extends Omit<AppOptions, 'business'> {
  host: string;
  port: number;
  /** resolved at start, once the parts it needs (db) are up */
  business?: () => NonNullable<AppOptions['business']>;
}

export class HttpPart implements Part {
  readonly name = 'http';
  private app: FastifyInstance | null = null;
  address: string | null = null;

  constructor(private readonly opts: HttpPartOptions) {}

  async start(): Promise<void> {
    const { business, ...rest } = this.opts;
    const app = buildApp({ ...rest, ...(business ? { business: business() } : {}) });
    try {
      this.address = await app.listen({ host: this.opts.host, port: this.opts.port });
    } catch (err) {
      await app.close();
      throw err;
    }
    this.app = app;
    this.opts.log.info({ address: this.address }, `listening on ${this.address}`);
  }

  async stop(): Promise<void> {
    await this.app?.close();
    this.app = null;
  }

  details(): Record<string, unknown> {
    return { address: this.address };
  }
}
