// The drain builds each event's envelope as text around the stored payload
// (sync/topics.ts wireText): byte for byte what serialising the parsed row gives.
import { describe, expect, it } from 'vitest';
import { toWire, wireText } from '../../sync/topics.js';

describe('wireText', () => {
  it('is JSON.stringify(toWire(row)) without parsing the payload', () => {
    const payload = { saleId: 's-1', name: '矿泉水 "500ml"\n', lines: [{ gtin: '06911001001016', qty: 2 }] };
    const row = {
      seq: 42,
      eventId: '6f1c2a9e-8a43-4d5b-9d1e-3c2b1a0f9e8d',
      type: 'sale.completed',
      class: 'money' as const,
      createdAt: 1_763_438_400_000,
    };
    const text = wireText('store-"7"', { ...row, payload: JSON.stringify(payload) });
    expect(text).toBe(JSON.stringify(toWire('store-"7"', { ...row, payload })));
    expect(JSON.parse(text).payload).toEqual(payload);
  });
});
