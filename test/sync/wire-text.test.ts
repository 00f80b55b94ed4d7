// The drain builds each event's envelope around the stored payload without parsing it:
// in SQLite, as bytes (edge/db/outbox.ts readUnsent), and sync/topics.ts wireText says
// what those bytes must be: byte for byte what serialising the parsed row gives.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../edge/db/migrate.js';
import { migrations } from '../../edge/db/migrations/index.js';
import { openDb } from '../../edge/db/open.js';
import { readOutbox, readUnsent } from '../../edge/db/outbox.js';
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

  it('is what the drain reads from the outbox, byte for byte, for every kind of row', () => {
    const db = openDb(join(mkdtempSync(join(tmpdir(), 'storeedge-wire-')), 'store.db'));
    migrate(db, migrations);
    const ins = db.prepare(
      'INSERT INTO outbox (event_id, type, class, payload, created_at) VALUES (?, ?, ?, ?, ?)',
    );
    const payloads = [
      { name: '矿泉水 "500ml"\n\t\\', emoji: '🛒', nul: '\u0001\u001f', sep: '\u2028\u2029' },
      { lines: [], total: -0, big: 9_007_199_254_740_991, small: 1e-7, nested: { a: [null, true] } },
      [],
      'a bare string',
    ];
    const classes = ['money', 'telemetry', 'state'] as const;
    for (const [i, p] of payloads.entries())
      ins.run(crypto.randomUUID(), `type.${i}`, classes[i % 3], JSON.stringify(p), 1_763_438_400_000 + i);
    for (const store of ['store-1', 'store-"7"\\', '上海-静安 01']) {
      const wires = readUnsent(db, store, 1, 100);
      const rows = readOutbox(db, 1, 100);
      expect(wires.map((w) => w.seq)).toEqual(rows.map((r) => r.seq));
      for (const [i, w] of wires.entries()) {
        const r = rows[i]!;
        expect(w.type).toBe(r.type);
        expect(Buffer.isBuffer(w.wire)).toBe(true);
        expect(w.wire.toString('utf8')).toBe(wireText(store, { ...r, payload: JSON.stringify(r.payload) }));
        expect(JSON.parse(w.wire.toString('utf8'))).toEqual(toWire(store, r));
      }
    }
    db.close();
  });
});
