// Store staff: who may do which attendant action (PINs: sync/kernel/pin.ts).
import { DomainError } from '../../sync/kernel/errors.js';

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
