// ESC/POS command encoding (Epson "ESC/POS Command Reference", the dialect nearly every
// receipt printer speaks). Written here rather than taken from an encoder library
// because the ones on npm have no GB18030 code page, and this store prints Chinese:
// Chinese-capable printers take GB18030 bytes after FS & (Kanji/Chinese mode).
import iconv from 'iconv-lite';
import type { PrintBlock } from './printer.js';

export const ESC = 0x1b;
export const GS = 0x1d;
export const FS = 0x1c;
export const DLE = 0x10;
export const EOT = 0x04;
export const LF = 0x0a;

const ALIGN = { left: 0, center: 1, right: 2 } as const;

function qrCode(data: string, moduleSize: number): Buffer {
  const payload = Buffer.from(data, 'utf8');
  if (payload.length > 7089) throw new RangeError('QR payload too long');
  const store = payload.length + 3;
  // GS ( k: select model 2, module size, error correction M, store, print
  return Buffer.concat([
    Buffer.from([GS, 0x28, 0x6b, 4, 0, 0x31, 0x41, 0x32, 0x00]),
    Buffer.from([GS, 0x28, 0x6b, 3, 0, 0x31, 0x43, Math.min(16, Math.max(1, moduleSize))]),
    Buffer.from([GS, 0x28, 0x6b, 3, 0, 0x31, 0x45, 0x31]),
    Buffer.from([GS, 0x28, 0x6b, store & 0xff, store >> 8, 0x31, 0x50, 0x30]),
    payload,
    Buffer.from([GS, 0x28, 0x6b, 3, 0, 0x31, 0x51, 0x30]),
  ]);
}

/** Encodes a document: initialise, Chinese mode on, then each block. */
export function encodeEscPos(doc: PrintBlock[]): Buffer {
  const out: Buffer[] = [Buffer.from([ESC, 0x40, FS, 0x26])];
  for (const b of doc) {
    if ('text' in b) {
      const size = (b.size ?? 1) - 1;
      out.push(
        Buffer.from([
          ESC,
          0x61,
          ALIGN[b.align ?? 'left'],
          ESC,
          0x45,
          b.bold ? 1 : 0,
          GS,
          0x21,
          (size << 4) | size,
        ]),
        iconv.encode(b.text.replace(/[\r\n]+/g, ' '), 'gb18030'),
        Buffer.from([LF]),
      );
    } else if ('qr' in b) {
      out.push(Buffer.from([ESC, 0x61, ALIGN.center]), qrCode(b.qr, b.moduleSize ?? 6), Buffer.from([LF]));
    } else if ('feed' in b) {
      out.push(Buffer.from([ESC, 0x64, Math.min(255, Math.max(0, b.feed))]));
    } else {
      // GS V 66 n: feed to the cutter and cut, leaving a tab
      out.push(Buffer.from([GS, 0x56, 66, 3]));
    }
  }
  return Buffer.concat(out);
}

/** DLE EOT n real-time status requests: 1 printer, 2 offline cause, 4 roll paper. */
export const statusRequest = (n: 1 | 2 | 4) => Buffer.from([DLE, EOT, n]);

/** A status byte always has bit 1 and bit 4 set and bits 0 and 7 clear. */
export function isStatusByte(b: number): boolean {
  return (b & 0x93) === 0x12;
}

export function decodeStatus(printer: number, offline: number, paper: number) {
  return {
    online: (printer & 0x08) === 0,
    coverOpen: (offline & 0x04) !== 0,
    paperOut: (paper & 0x60) !== 0 || (offline & 0x20) !== 0,
    paperNearEnd: (paper & 0x0c) !== 0,
    error: (offline & 0x40) !== 0,
  };
}
