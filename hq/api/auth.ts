// HQ users: analysts read, operators also push. Passwords are scrypt hashes in HQ's
// config (or env); a sign-in gives a bearer token kept in memory for the session's life.
// Five wrong passwords lock the user for five minutes.
import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { contractCheckOn } from '../../sync/kernel/contract-mode.js';
import { ApiError } from '../../sync/kernel/errors.js';
import { verifyPin } from '../../sync/kernel/pin.js';

export type HqRole = 'analyst' | 'operator';
export interface HqUser {
  id: string;
  role: HqRole;
  passwordHash: string;
}
export interface HqSession {
  userId: string;
  role: HqRole;
  expiresAt: number;
}

const RANK: Record<HqRole, number> = { analyst: 1, operator: 2 };

export class HqAuth {
  private readonly sessions = new Map<string, HqSession>();
  private readonly failures = new Map<string, { count: number; lockedUntil: number }>();

  constructor(
    private readonly users: readonly HqUser[],
    private readonly ttlMs = 8 * 3_600_000,
    private readonly now: () => number = Date.now,
  ) {}

  signIn(userId: string, password: string): { token: string; role: HqRole; expiresAt: number } {
    const f = this.failures.get(userId);
    if (f && f.lockedUntil > this.now())
      throw new ApiError(429, 'LOCKED', 'too many wrong passwords: try again in a few minutes');
    const user = this.users.find((u) => u.id === userId);
    // the same work whether or not the user exists: no way to tell ids apart by timing
    const ok = verifyPin(password, user?.passwordHash ?? DUMMY) && user !== undefined;
    if (!ok) {
      const count = (f?.count ?? 0) + 1;
      this.failures.set(userId, { count, lockedUntil: count >= 5 ? this.now() + 300_000 : 0 });
      throw new ApiError(401, 'BAD_CREDENTIALS', 'wrong user or password');
    }
    this.failures.delete(userId);
    const token = randomBytes(32).toString('base64url');
    const s = { userId: user.id, role: user.role, expiresAt: this.now() + this.ttlMs };
    this.sessions.set(token, s);
    return { token, role: s.role, expiresAt: s.expiresAt };
  }

  signOut(req: FastifyRequest): void {
    const token = bearer(req);
    if (token) this.sessions.delete(token);
  }

  /** The caller's session, at least of `role`; 401 without one, 403 below it. */
  require(req: FastifyRequest, role: HqRole): HqSession {
    // the document publishes each route's role: held to it while the suites run
    if (req.routeOptions.config.role !== role && contractCheckOn())
      throw new Error(
        `${req.routeOptions.url} asks for ${role} but declares ${req.routeOptions.config.role}`,
      );
    const token = bearer(req);
    const s = token ? this.sessions.get(token) : undefined;
    if (!s || s.expiresAt <= this.now()) {
      if (token) this.sessions.delete(token);
      throw new ApiError(401, 'SIGN_IN_REQUIRED', 'sign in first: POST /api/v1/sessions');
    }
    if (RANK[s.role] < RANK[role]) throw new ApiError(403, 'ROLE_REQUIRED', `this needs an ${role}`);
    return s;
  }
}

const bearer = (req: FastifyRequest) =>
  /^Bearer ([A-Za-z0-9_-]{20,100})$/.exec(req.headers.authorization ?? '')?.[1];

// a valid hash of a random password, so unknown users cost the same scrypt as known ones
const DUMMY = 'scrypt$16384$8$1$ukQq8eNyELlCEHKfakXrhA==$VBMG/Hq41EqSyiJ+PqhdXn0DaQB8d9FGA1EEM0jp//A=';
