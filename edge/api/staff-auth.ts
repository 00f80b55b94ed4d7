// Staff sessions for attendant actions: a staff member signs in with id + PIN (scrypt
// hash from config) and gets a bearer token for the X-Staff-Token header. Repeated
// wrong PINs lock the id for a while.
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../../sync/kernel/errors.js';
import { verifyPin } from '../../sync/kernel/pin.js';
import type { Staff } from '../checkout/staff.js';

export interface StaffRecord extends Staff {
  pinHash: string;
}

export interface StaffAuthOptions {
  staff: readonly StaffRecord[];
  sessionTtlMs?: number;
  maxFailures?: number;
  lockoutMs?: number;
  /** sessions held and ids with failed PINs remembered, at most (each, default 1000) */
  maxRemembered?: number;
  clock: () => number;
}

/** Drops the oldest entries (a Map keeps insertion order) down to `max`. */
function trim<K, V>(m: Map<K, V>, max: number): void {
  for (const k of m.keys()) {
    if (m.size <= max) return;
    m.delete(k);
  }
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

// A box runs for months: sessions and failed-PIN records are bounded, expired sessions
// dropped at each sign-in, and the failures of ids tried longest ago forgotten first
// (sign-ins with made-up ids must not grow memory).
const MAX_REMEMBERED = 1000;

export class StaffAuth {
  /** how many sign-ins are held, and ids with failed PINs remembered (for tests and metrics) */
  get sizes(): { sessions: number; failures: number } {
    return { sessions: this.sessions.size, failures: this.failures.size };
  }

  private readonly sessions = new Map<string, { staff: Staff; expiresAt: number }>();
  private readonly failures = new Map<string, { count: number; lockedUntil: number }>();

  constructor(private readonly opts: StaffAuthOptions) {}

  /** Whether `staffId` is one of the store's guides (their code credits a cart). */
  isGuide(staffId: string): boolean {
    return this.opts.staff.some((s) => s.id === staffId && s.role === 'guide');
  }

  /** A staff member's name as configured (shown to the shopper a guide serves). */
  nameOf(staffId: string): string | null {
    return this.opts.staff.find((s) => s.id === staffId)?.name ?? null;
  }

  signIn(staffId: string, pin: string): { token: string; staff: Staff; expiresAt: number } {
    const now = this.opts.clock();
    const f = this.failures.get(staffId);
    if (f && f.lockedUntil > now) {
      throw new ApiError(
        429,
        'STAFF_LOCKED',
        `too many wrong PINs: try again in ${Math.ceil((f.lockedUntil - now) / 1000)} s`,
      );
    }
    const rec = this.opts.staff.find((s) => s.id === staffId);
    // verify against a dummy hash for unknown ids, so timing does not reveal which ids exist
    const ok = verifyPin(pin, rec?.pinHash ?? DUMMY) && rec !== undefined;
    if (!ok) {
      const count = (f?.count ?? 0) + 1;
      const locked = count >= (this.opts.maxFailures ?? 5);
      this.failures.delete(staffId); // re-inserted last: the newest
      this.failures.set(staffId, {
        count: locked ? 0 : count,
        lockedUntil: locked ? now + (this.opts.lockoutMs ?? 300_000) : 0,
      });
      trim(this.failures, this.opts.maxRemembered ?? MAX_REMEMBERED);
      throw new ApiError(401, 'STAFF_AUTH_FAILED', 'unknown staff id or wrong PIN');
    }
    this.failures.delete(staffId);
    const token = randomBytes(24).toString('base64url');
    const staff: Staff = { id: rec.id, name: rec.name, role: rec.role };
    const expiresAt = now + (this.opts.sessionTtlMs ?? 8 * 3_600_000);
    for (const [k, v] of this.sessions) if (v.expiresAt <= now) this.sessions.delete(k);
    this.sessions.set(sha(token), { staff, expiresAt });
    trim(this.sessions, this.opts.maxRemembered ?? MAX_REMEMBERED);
    return { token, staff, expiresAt };
  }

  signOut(token: string): void {
    this.sessions.delete(sha(token));
  }

  /** The staff member behind the request's X-Staff-Token, or a 401. */
  require(req: FastifyRequest): Staff {
    const token = req.headers['x-staff-token'];
    const s = typeof token === 'string' ? this.sessions.get(sha(token)) : undefined;
    if (!s || s.expiresAt <= this.opts.clock()) {
      throw new ApiError(
        401,
        'STAFF_AUTH_REQUIRED',
        'this action needs an attendant: sign in with staff id and PIN',
      );
    }
    return s.staff;
  }

  /** The staff member if the request carries a valid token, else null. */
  optional(req: FastifyRequest): Staff | null {
    return req.headers['x-staff-token'] ? this.require(req) : null;
  }
}

// scrypt hash of a random PIN nobody knows
const DUMMY = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$9N3hTnJ3cG3Jv2yq2b9b7h3eQm0yXH8R3m2D5v3n9Xk=';
