// A cart and its lines as the carts and cart_lines tables hold them.

export type CartStatus = 'open' | 'suspended' | 'paying' | 'paid' | 'cancelled';
export type Channel = 'kiosk' | 'phone';

export interface CartRow {
  id: string;
  code: string;
  channel: Channel;
  kiosk_id: string | null;
  member_id: string | null;
  status: CartStatus;
  sale_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface CartLineRow {
  id: string;
  cart_id: string;
  seq: number;
  gtin: string;
  scanned: string;
  qty: number;
  weight_g: number | null;
  label_price_fen: number | null;
  override_price_fen: number | null;
  age_approved_by: string | null;
  label_key: string | null;
  /** JSON array of reasons the line waits for an attendant */
  label_hold: string | null;
  label_approved_by: string | null;
  voided: number;
  created_at: number;
}
