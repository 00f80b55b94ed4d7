// The HTTP part: builds the app over the started parts and listens. With TLS on, the
// pages and API are served over HTTPS (HTTP/2, HTTP/1.1 fallback) and plain HTTP only
// redirects there (serving, if so configured, callers on this box itself). A new
// certificate swaps the HTTPS server's secure context: connections already open stay up
// and new handshakes get the new certificate.
import type { SecureContextOptions } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import type { Part } from '../../sync/kernel/lifecycle.js';
import { type AppOptions, buildApp } from './app.js';

/** What the HTTPS listener needs of the TLS part. */
export interface TlsSource {
  readonly hostname: string;
  readonly trusted: boolean;
  pems(): { key: string; cert: string };
  onChange(fn: (pems: { key: string; cert: string }) => void): () => void;
}

export interface HttpPartOptions extends Omit<AppOptions, 'business' | 'https' | 'redirect' | 'hstsMaxAge'> {
  host: string;
  port: number;
  /** resolved at start, once the parts it needs (db) are up */
  business?: () => NonNullable<AppOptions['business']>;
  tls?: {
    port: number;
    plainHttp: 'loopback' | 'redirect';
    hstsMaxAgeSeconds: number;
    source: TlsSource;
  };
}

export class HttpPart implements Part {
  readonly name = 'http';
  private apps: FastifyInstance[] = [];
  private unsubscribe: (() => void) | null = null;
  /** the plain HTTP listener */
  address: string | null = null;
  /** the HTTPS listener (by address; phones open it by the store's hostname) */
  secureAddress: string | null = null;
  /** https://<hostname>:<port>: what the entrance QR and the redirects point at */
  publicUrl: string | null = null;

  constructor(private readonly opts: HttpPartOptions) {}

  async start(): Promise<void> {
    const { business, tls, ...rest } = this.opts;
    const deps = business ? { business: business() } : {};
    try {
      if (tls) {
        const secure = buildApp({
          ...rest,
          ...deps,
          https: tls.source.pems(),
          hstsMaxAge: () => (tls.source.trusted ? tls.hstsMaxAgeSeconds : 0),
        });
        this.apps.push(secure);
        this.secureAddress = await secure.listen({ host: this.opts.host, port: tls.port });
        const port = Number(new URL(this.secureAddress).port);
        this.publicUrl = `https://${tls.source.hostname}${port === 443 ? '' : `:${port}`}`;
        const server = secure.server as unknown as { setSecureContext(o: SecureContextOptions): void };
        this.unsubscribe = tls.source.onChange((pems) => server.setSecureContext(pems));
        const to = this.publicUrl;
        const plain = buildApp({
          ...rest,
          ...(tls.plainHttp === 'loopback' ? deps : {}),
          redirect: { to: (path) => `${to}${path}`, exceptLoopback: tls.plainHttp === 'loopback' },
        });
        this.apps.push(plain);
        this.address = await plain.listen({ host: this.opts.host, port: this.opts.port });
        this.opts.log.info(
          { address: this.address, secureAddress: this.secureAddress, publicUrl: this.publicUrl },
          `listening on ${this.secureAddress} (${this.publicUrl}) and ${this.address}`,
        );
        return;
      }
      const app = buildApp({ ...rest, ...deps });
      this.apps.push(app);
      this.address = await app.listen({ host: this.opts.host, port: this.opts.port });
      this.publicUrl = this.address;
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.opts.log.info({ address: this.address }, `listening on ${this.address}`);
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    await Promise.all(this.apps.splice(0).map((a) => a.close()));
  }

  details(): Record<string, unknown> {
    return { address: this.address, secureAddress: this.secureAddress, publicUrl: this.publicUrl };
  }
}
