// Store staff: who may do which attendant action. PINs are kept as scrypt hashes
// ("scrypt$N$r$p$salt$hash", base64) and compared in constant time.
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../errors.js';

/** a guide (导购) serves shoppers on the floor and takes no till or attendant action */
export type Role = 'guide' | 'cashier' | 'supervisor' | 'manager';
export interface Staff {
  id: string;
  name: string;
  role: Role;
}

const RANK: Record<Role, number> = { guide: 0, cashier: 1, supervisor: 2, manager: 3 };

export type AttendantAction =
  | 'age_approval'
  | 'label_approval'
  | 'price_override'
  | 'void'
  | 'refund'
  | 'cancel_cart';

/** The least role each attendant action needs. */
export const ACTION_ROLE: Record<AttendantAction, Role> = {
  age_approval: 'cashier',
  // the attendant weighs or looks at the pack; who approved is recorded and sent to HQ
  label_approval: 'cashier',
  void: 'cashier',
  cancel_cart: 'cashier',
  price_override: 'supervisor',
  refund: 'supervisor',
};

export function requireRole(staff: Staff, action: AttendantAction): void {
  const need = ACTION_ROLE[action];
  if (RANK[staff.role] < RANK[need]) {
    throw new DomainError(
      'forbidden',
      'ROLE_REQUIRED',
      `${action.replace('_', ' ')} needs a ${need} or above; ${staff.id} is a ${staff.role}`,
    );
  }
}

export function hashPin(pin: string, salt = randomBytes(16), N = 16384, r = 8, p = 1): string {
  const hash = scryptSync(pin, salt, 32, { N, r, p });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export function verifyPin(pin: string, stored: string): boolean {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  if (!N || !r || !p || expected.length === 0) return false;
  const actual = scryptSync(pin, salt, expected.length, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
  return timingSafeEqual(actual, expected);
}
