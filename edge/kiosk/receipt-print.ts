// A sale's receipt as a printer document: the same lines as the e-receipt, the store's
// name large, and a QR code the shopper's phone camera opens: the e-receipt page's signed
// link at the store's address (the receipt number when the store has no address yet).
import type { PrintBlock } from '../../device-drivers/printer/printer.js';
import { type Receipt, receiptText } from '../checkout/receipt.js';

export function receiptDocument(r: Receipt, storeId: string, eReceiptUrl: string | null): PrintBlock[] {
  const [, ...lines] = receiptText(r, 42);
  return [
    { text: r.storeName, bold: true, size: 2, align: 'center' },
    ...lines.map((text) => ({ text })),
    { feed: 1 },
    { qr: eReceiptUrl ?? `storeedge:receipt:${storeId}:${r.receiptNo}` },
    { text: '扫码查看电子小票 Scan for your e-receipt', align: 'center' },
    { feed: 3 },
    { cut: true },
  ];
}
