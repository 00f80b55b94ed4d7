// QR codes the pages draw (qrcode-generator), and the address a shopper's phone opens:
// the shopper page at the store's HTTPS address, by its hostname.
import qrcode from '../vendor/qrcode/qrcode.mjs';
import { call } from './api.js';

/** A QR code of `text` as a PNG data URL: `cell` pixels per module, `margin` modules around. */
export function qrDataUrl(text, cell = 6, margin = 4) {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  return qr.createDataURL(cell, margin);
}

/** The store and its shopper page's URL; the URL is null while the daemon has no public address. */
export async function shopperLink() {
  const s = await call('GET', '/store');
  return { name: s.name, url: s.publicUrl ? `${s.publicUrl}/ui/shopper/` : null };
}
