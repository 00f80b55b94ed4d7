// Device frame parsers fed arbitrary bytes: they throw only their own protocol error,
// never hang, and keep bounded buffers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFaceAnswer } from '../../device-drivers/facepay/serial-face-pay.js';
import { FrameError, FrameReader, MAX_FRAME } from '../../device-drivers/payment/nexo/framing.js';
import { asRequest, asResponse } from '../../device-drivers/payment/nexo/messages.js';
import { decodeStatus, isStatusByte } from '../../device-drivers/printer/escpos.js';
import { parseWeight } from '../../device-drivers/scale/mt-sics.js';
import { ScaleError } from '../../device-drivers/scale/scale.js';
import { EvdevDecoder } from '../../device-drivers/scanner/evdev-decoder.js';

const bytes = fc.uint8Array({ maxLength: 4096 }).map((a) => Buffer.from(a));
const chunks = fc.array(bytes, { maxLength: 20 });

describe('device frame parsers on arbitrary bytes', () => {
  it('nexo framing: messages or a FrameError, never anything else; the buffer stays bounded', () => {
    fc.assert(
      fc.property(chunks, (cs) => {
        const r = new FrameReader();
        try {
          for (const c of cs)
            for (const m of r.push(c)) {
              asResponse(m);
              asRequest(m);
            }
        } catch (e) {
          expect(e).toBeInstanceOf(FrameError);
        }
        const pending = (r as unknown as { buf: Buffer }).buf.length;
        expect(pending).toBeLessThanOrEqual(MAX_FRAME + 4 + 4096);
      }),
      { numRuns: 300, seed: 4 },
    );
  });

  it('face-pay answers: any line is an answer of known fields only, or a bad frame', () => {
    const line = fc.oneof(
      fc.string({ maxLength: 5000 }),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc
        .record({
          id: fc.oneof(fc.integer(), fc.string()),
          return_code: fc.oneof(fc.string(), fc.integer()),
          face_code: fc.oneof(fc.string(), fc.stringMatching(/^1[0-5]\d{16}$/)),
          face_image: fc.string(),
        })
        .map((v) => JSON.stringify(v)),
    );
    fc.assert(
      fc.property(line, (l) => {
        const a = parseFaceAnswer(l);
        if (!a) return;
        expect(Object.keys(a).sort()).toEqual(['faceCode', 'id', 'message', 'model', 'returnCode']);
        if (a.faceCode !== null) expect(a.faceCode).toMatch(/^1[0-5]\d{16}$/);
      }),
      { numRuns: 500, seed: 16 },
    );
  });

  it('nexo envelope checks refuse anything but a well-formed header', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const r = asResponse(v);
        if (r) expect(typeof r.MessageHeader.ServiceID).toBe('string');
      }),
      { numRuns: 300, seed: 5 },
    );
  });

  it('evdev decoder: any byte stream decodes without error, reads bounded by the max length', () => {
    fc.assert(
      fc.property(chunks, (cs) => {
        const reads: string[] = [];
        const d = new EvdevDecoder((r) => reads.push(r), 64);
        for (const c of cs) d.push(c);
        for (const r of reads) expect(r.length).toBeLessThanOrEqual(64);
      }),
      { numRuns: 300, seed: 6 },
    );
  });

  it('MT-SICS answers: a weight or a ScaleError, never anything else, never a wrong number', () => {
    const line = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc
        .tuple(fc.constantFrom('S S', 'S D', 'S', 'SI'), fc.double(), fc.constantFrom('kg', 'g', 'lb', 'xx'))
        .map(([h, v, u]) => `${h} ${String(v).padStart(10)} ${u}`),
    );
    fc.assert(
      fc.property(fc.constantFrom('S', 'SI') as fc.Arbitrary<'S' | 'SI'>, line, (cmd, l) => {
        try {
          const w = parseWeight(cmd, l, 0);
          expect(Number.isFinite(w.grams)).toBe(true);
          if (cmd === 'S') expect(w.stable).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(ScaleError);
        }
      }),
      { numRuns: 500, seed: 7 },
    );
  });

  it('ESC/POS status bytes: only well-formed ones count, and every one decodes', () => {
    for (let b = 0; b < 256; b++) {
      if (!isStatusByte(b)) continue;
      const s = decodeStatus(b, b, b);
      expect(typeof s.online).toBe('boolean');
    }
    expect(isStatusByte(0x00)).toBe(false);
    expect(isStatusByte(0xff)).toBe(false);
  });
});
