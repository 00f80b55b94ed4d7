// The e-receipt's signed link: the same for every print of a sale, open until its expiry,
// and naming no sale when any part of it is changed.
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  E_RECEIPT_DAYS,
  E_RECEIPT_TOKEN,
  eReceiptOf,
  eReceiptToken,
  openEReceiptToken,
} from '../../edge/checkout/e-receipt.js';
import type { Receipt } from '../../edge/checkout/receipt.js';

const key = randomBytes(32);
const saleId = randomUUID();
const saleAt = Date.UTC(2026, 11, 7, 2, 30);

describe('the e-receipt link', () => {
  it('is the same on every print and opens until its expiry, not after', () => {
    const token = eReceiptToken(key, saleId, saleAt);
    expect(token).toMatch(E_RECEIPT_TOKEN);
    expect(eReceiptToken(key, saleId, saleAt)).toBe(token);
    const expiresAt = Math.floor(saleAt / 1000) * 1000 + E_RECEIPT_DAYS * 86_400_000;
    expect(openEReceiptToken(key, token, saleAt)).toEqual({ saleId, expiresAt });
    expect(openEReceiptToken(key, token, expiresAt)).toEqual({ saleId, expiresAt });
    expect(openEReceiptToken(key, token, expiresAt + 1)).toBe('expired');
  });

  it('names no sale under another store key, or with any part changed', () => {
    const token = eReceiptToken(key, saleId, saleAt);
    expect(openEReceiptToken(randomBytes(32), token, saleAt)).toBe('not_found');
    const [id, exp, sig] = token.split('.') as [string, string, string];
    for (const bad of [
      `${randomUUID()}.${exp}.${sig}`,
      `${id}.${Number(exp) + 1}.${sig}`,
      `${id}.${exp}.${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`,
      `${id}.${exp}.${sig}x`,
      `${id}.${exp}`,
      '',
    ])
      expect(openEReceiptToken(key, bad, saleAt)).toBe('not_found');
  });

  it('shows the points a member earned and nothing of who the member is', () => {
    const receipt: Receipt = {
      storeId: 's1',
      storeName: 'Demo',
      saleId,
      receiptNo: 'R1',
      at: saleAt,
      kioskId: 'kiosk-1',
      lines: [],
      grossFen: 1000,
      promoDiscountFen: 0,
      couponDiscountFen: 0,
      totalFen: 1000,
      taxFen: 115,
      taxByRate: [],
      payments: [{ kind: 'cash', amountFen: 1000, tenderedFen: 2000 }],
      changeFen: 1000,
      member: { id: 'M-13800138000', pointsEarned: 10, balance: 4321 },
      refunds: [{ refundId: 'f1', amountFen: 1000, at: saleAt + 1 }],
    };
    const e = eReceiptOf(receipt, saleAt + 1, 'Asia/Shanghai');
    expect(e.pointsEarned).toBe(10);
    expect(JSON.stringify(e)).not.toMatch(/M-13800138000|4321|tenderedFen|refundId|kiosk-1/);
    expect(e.refundState).toBe('full');
    expect(eReceiptOf({ ...receipt, refunds: [] }, 0, 'Asia/Shanghai').refundState).toBe('none');
    expect(
      eReceiptOf({ ...receipt, refunds: [{ refundId: 'f', amountFen: 1, at: 0 }] }, 0, 'Asia/Shanghai')
        .refundState,
    ).toBe('partial');
  });
});
