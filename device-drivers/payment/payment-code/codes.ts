// Shopper payment codes (the barcode/QR a wallet app shows for in-store payment). The
// wallets publish their ranges: WeChat Pay codes are 18 digits starting 10–15; Alipay
// codes are 16–24 digits starting 25–30. A read matching neither is not a payment code.
export type Wallet = 'wechat' | 'alipay';

export function paymentCodeWallet(read: string): Wallet | null {
  if (/^1[0-5]\d{16}$/.test(read)) return 'wechat';
  if (/^(2[5-9]|30)\d{14,22}$/.test(read)) return 'alipay';
  return null;
}
