// Who may call what. Every business route declares `config.access`; one hook resolves
// the caller and enforces it before the handler runs, so a route cannot forget.
//   public        anyone on the store network (product lookup, demo drivers)
//   member        the route checks the shopper's signed member code itself
//   staff         a signed-in staff member (X-Staff-Token); roles are checked per action
//   kiosk         a provisioned kiosk (Authorization: Bearer <kiosk token>), acting for itself
//   kiosk-station the kiosk named in the path, or staff
//   cart          the cart's owner: its kiosk, its shopper (X-Cart-Token), or staff
//   kiosk-cart    a kiosk cart's kiosk, or staff (cash, cards, payment codes)
//   sale          the owner of the sale's cart (receipt, post-purchase offer)
//   cart-create   a kiosk for a kiosk cart; anyone for a phone cart (which gets a token)
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../../sync/kernel/errors.js';
import type { Staff } from '../checkout/staff.js';
import type { Db } from '../db/open.js';
import type { StaffAuth } from './staff-auth.js';

export type Access =
  | 'public'
  | 'member'
  | 'staff'
  | 'kiosk'
  | 'kiosk-station'
  | 'cart'
  | 'kiosk-cart'
  | 'sale'
  | 'cart-create';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    /** the kiosk calling, when it presented its token */
    kioskId: string | null;
  }
}

const sha = (s: string) => createHmac('sha256', 'storeedge-kiosk').update(s).digest();

/** Kiosk tokens from config, compared in constant time. */
export class KioskAuth {
  private readonly tokens: { kioskId: string; digest: Buffer }[];

  constructor(tokens: { kioskId: string; token: string }[]) {
    this.tokens = tokens.map((t) => ({ kioskId: t.kioskId, digest: sha(t.token) }));
  }

  /** The kiosk whose token this is, or null. */
  identify(req: FastifyRequest): string | null {
    const h = req.headers.authorization;
    if (typeof h !== 'string' || !h.startsWith('Bearer ')) return null;
    const d = sha(h.slice(7).trim());
    let found: string | null = null;
    for (const t of this.tokens) if (timingSafeEqual(t.digest, d)) found = t.kioskId;
    return found;
  }
}

const secretsRead = new WeakMap<Db, Map<string, Buffer>>();

/** A 32-byte secret the store makes for itself on first use and keeps in its database.
 * A secret never changes once made, so each is read once per database handle: asking
 * for it on every request or print is then no write statement on the hot path. */
export function storeSecret(db: Db, name: string): Buffer {
  let known = secretsRead.get(db);
  if (!known) {
    known = new Map();
    secretsRead.set(db, known);
  }
  const cached = known.get(name);
  if (cached) return cached;
  db.prepare('INSERT OR IGNORE INTO secrets (name, value, created_at) VALUES (?, ?, ?)').run(
    name,
    randomBytes(32),
    Date.now(),
  );
  const value = db.prepare('SELECT value FROM secrets WHERE name = ?').pluck().get(name) as Buffer;
  known.set(name, value);
  return value;
}

/** Shoppers' cart tokens: an HMAC of the cart id under a secret the store made itself. */
export class CartTokens {
  private secret: Buffer | null = null;

  constructor(private readonly db: () => Db) {}

  private key(): Buffer {
    this.secret ??= storeSecret(this.db(), 'cart-token');
    return this.secret;
  }

  issue(cartId: string): string {
    return createHmac('sha256', this.key()).update(cartId).digest('base64url');
  }

  valid(cartId: string, token: unknown): boolean {
    if (typeof token !== 'string' || token.length !== 43) return false;
    return timingSafeEqual(Buffer.from(this.issue(cartId)), Buffer.from(token));
  }
}

/** A member's session on their phone: shown the signed member code once, the store
 * answers with a token that expires, so the long-lived code need not travel each time. */
export class MemberSessions {
  private secret: Buffer | null = null;

  constructor(
    private readonly db: () => Db,
    private readonly ttlMs = 12 * 3_600_000,
  ) {}

  private mac(payload: string): string {
    this.secret ??= storeSecret(this.db(), 'member-session');
    return createHmac('sha256', this.secret).update(payload).digest('base64url');
  }

  issue(memberId: string, now: number): { token: string; expiresAt: number } {
    const expiresAt = now + this.ttlMs;
    const payload = Buffer.from(JSON.stringify({ m: memberId, exp: expiresAt })).toString('base64url');
    return { token: `${payload}.${this.mac(payload)}`, expiresAt };
  }

  /** The member of a valid, unexpired token, or null. */
  verify(token: unknown, now: number): string | null {
    if (typeof token !== 'string' || token.length > 512) return null;
    const [payload, mac] = token.split('.');
    if (!payload || !mac) return null;
    const expected = Buffer.from(this.mac(payload));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    try {
      const p = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
        m?: unknown;
        exp?: unknown;
      };
      return typeof p.m === 'string' && typeof p.exp === 'number' && p.exp > now ? p.m : null;
    } catch {
      return null;
    }
  }
}

export interface AccessDeps {
  db: Db;
  kioskAuth: KioskAuth;
  cartTokens: CartTokens;
  staffAuth: StaffAuth;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const denied = () => new ApiError(403, 'FORBIDDEN', 'this caller may not do this');
const unauthenticated = (who: string) => new ApiError(401, 'UNAUTHENTICATED', `${who} credentials required`);

/** Installs the check on an encapsulated app whose routes all declare their access. */
export function installAccess(app: FastifyInstance, d: AccessDeps): void {
  app.decorateRequest('kioskId', null);
  app.addHook('onRoute', (route) => {
    if (!route.config?.access) throw new Error(`route ${route.method} ${route.url} declares no access`);
  });
  // before validation: who is asking comes before whether the request is well-formed
  app.addHook('preValidation', async (req) => {
    const access = req.routeOptions.config.access;
    req.kioskId = d.kioskAuth.identify(req);
    if (req.headers.authorization && !req.kioskId)
      throw new ApiError(401, 'UNAUTHENTICATED', 'unknown kiosk token');
    const staff = (): Staff | null => d.staffAuth.optional(req);
    const params = req.params as Record<string, string>;
    const cartOwner = (cartId: string, kioskOnly: boolean) => {
      // a malformed id is left to the route's schema (400); it names no cart to protect
      if (!UUID.test(cartId)) return;
      const cart = d.db.prepare('SELECT channel, kiosk_id FROM carts WHERE id = ?').get(cartId) as
        | { channel: string; kiosk_id: string | null }
        | undefined;
      if (!cart) throw new ApiError(404, 'CART_NOT_FOUND', `cart ${cartId} not found`);
      if (req.kioskId && cart.kiosk_id === req.kioskId) return;
      // the phone that made a cart may change it until a kiosk takes it over, and may
      // still read it after (to see it paid and get its receipt)
      if (
        !kioskOnly &&
        (cart.channel === 'phone' || req.method === 'GET') &&
        d.cartTokens.valid(cartId, req.headers['x-cart-token'])
      )
        return;
      if (staff()) return;
      if (!req.kioskId && !req.headers['x-cart-token'] && !req.headers['x-staff-token'])
        throw unauthenticated(kioskOnly ? 'kiosk or staff' : 'cart, kiosk or staff');
      throw denied();
    };
    // a kiosk acts for itself only: a kioskId in the body must be its own
    const ownKiosk = () => {
      if (!req.kioskId) throw unauthenticated('kiosk');
      const named = (req.body as { kioskId?: unknown } | undefined)?.kioskId;
      if (named !== undefined && named !== req.kioskId) throw denied();
    };
    switch (access) {
      case 'public':
      case 'member':
        return;
      case 'staff':
        d.staffAuth.require(req);
        return;
      case 'kiosk':
        return ownKiosk();
      case 'kiosk-station':
        if (req.kioskId === params.kioskId || (!req.kioskId && staff())) return;
        if (!req.kioskId && !req.headers['x-staff-token']) throw unauthenticated('kiosk or staff');
        throw denied();
      case 'cart':
        return cartOwner(String(params.cartId), false);
      case 'kiosk-cart':
        return cartOwner(String(params.cartId), true);
      case 'sale': {
        if (!UUID.test(String(params.saleId))) return;
        const sale = d.db.prepare('SELECT cart_id FROM sales WHERE id = ?').get(String(params.saleId)) as
          | { cart_id: string }
          | undefined;
        if (!sale) throw new ApiError(404, 'SALE_NOT_FOUND', `sale ${params.saleId} not found`);
        return cartOwner(sale.cart_id, false);
      }
      case 'cart-create':
        if ((req.body as { channel?: unknown } | undefined)?.channel !== 'kiosk') return;
        return ownKiosk();
      default:
        throw new Error(`route declares unknown access ${String(access)}`);
    }
  });
}
