// Staff sign-in state stays bounded on a box that runs for months: made-up ids do not
// grow it, expired sessions go, and a real id's lockout still holds.
import { describe, expect, it } from 'vitest';
import { StaffAuth } from '../../edge/api/staff-auth.js';
import { hashPin } from '../../sync/kernel/pin.js';

describe('staff sign-in state', () => {
  it('is bounded', () => {
    let now = 1_000_000;
    const auth = new StaffAuth({
      staff: [{ id: 'sup-1', name: 'Wang', role: 'supervisor', pinHash: hashPin('5678', undefined, 1024) }],
      clock: () => now,
      maxFailures: 3,
      lockoutMs: 60_000,
      sessionTtlMs: 3_600_000,
      maxRemembered: 50,
    });
    for (let i = 0; i < 80; i++) expect(() => auth.signIn(`made-up-${i}`, '0000')).toThrow(/wrong PIN/);
    expect(auth.sizes.failures).toBeLessThanOrEqual(50);
    // the real id locks after three wrong PINs, made-up ids around it or not
    for (let i = 0; i < 3; i++) expect(() => auth.signIn('sup-1', '0000')).toThrow();
    expect(() => auth.signIn('sup-1', '5678')).toThrow(/too many wrong PINs/);
    now += 61_000;
    for (let i = 0; i < 20; i++) auth.signIn('sup-1', '5678');
    expect(auth.sizes.sessions).toBe(20);
    for (let i = 0; i < 40; i++) auth.signIn('sup-1', '5678');
    expect(auth.sizes.sessions).toBe(50);
    // an hour on, the old sessions are gone at the next sign-in
    now += 3_600_001;
    auth.signIn('sup-1', '5678');
    expect(auth.sizes.sessions).toBe(1);
  });
});
