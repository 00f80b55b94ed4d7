// nexo Retailer "Sale to POI" messages (nexo standards, Sale to POI Protocol
// Specifications v3; the JSON field names follow the published message dictionary, as
// also used by terminal vendors' JSON APIs). Only what a kiosk needs: Payment,
// TransactionStatus (to recover a lost answer by its reference) and Reversal.
import { createHash } from 'node:crypto';

export interface MessageHeader {
  ProtocolVersion: '3.0';
  MessageClass: 'Service';
  MessageCategory: 'Payment' | 'TransactionStatus' | 'Reversal';
  MessageType: 'Request' | 'Response';
  ServiceID: string;
  SaleID: string;
  POIID: string;
}

export interface Response {
  Result: 'Success' | 'Failure' | 'Partial';
  ErrorCondition?: string;
  AdditionalResponse?: string;
}

export interface PaymentResponse {
  Response: Response;
  SaleData: { SaleTransactionID: { TransactionID: string; TimeStamp: string } };
  POIData?: { POITransactionID: { TransactionID: string; TimeStamp: string } };
  PaymentResult?: {
    AmountsResp: { Currency: string; AuthorizedAmount: number };
    PaymentAcquirerData?: { ApprovalCode?: string };
    PaymentInstrumentData?: { CardData?: { MaskedPan?: string; PaymentBrand?: string } };
  };
}

export interface SaleToPOIRequest {
  SaleToPOIRequest: {
    MessageHeader: MessageHeader;
    PaymentRequest?: {
      SaleData: { SaleTransactionID: { TransactionID: string; TimeStamp: string } };
      PaymentTransaction: { AmountsReq: { Currency: string; RequestedAmount: number } };
    };
    TransactionStatusRequest?: {
      MessageReference: { MessageCategory: 'Payment'; ServiceID: string; SaleID: string; POIID: string };
    };
    ReversalRequest?: {
      OriginalPOITransaction: { SaleID: string; POIID: string; POITransactionID: { TransactionID: string } };
      ReversalReason: 'MerchantCancel' | 'Malfunction' | 'Unable2Compl';
    };
  };
}

export interface SaleToPOIResponse {
  SaleToPOIResponse: {
    MessageHeader: MessageHeader;
    PaymentResponse?: PaymentResponse;
    TransactionStatusResponse?: {
      Response: Response;
      RepeatedMessageResponse?: {
        MessageHeader: MessageHeader;
        RepeatedResponseMessageBody: { PaymentResponse: PaymentResponse };
      };
    };
    ReversalResponse?: { Response: Response; ReversedAmount?: number };
  };
}

/** ServiceID is at most 10 characters; the payment's reference is longer, so its
 * ServiceID is derived from it. Recovery after a crash needs nothing but the reference. */
export function serviceIdFor(reference: string, purpose = 'pay'): string {
  return createHash('sha256').update(`${purpose}:${reference}`).digest('base64url').slice(0, 10);
}

/** nexo amounts are decimal major units; the daemon counts fen. */
export const toMajor = (fen: number) => fen / 100;
export const toFen = (major: number) => Math.round(major * 100);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks the envelope of a response; the body is read defensively by the caller. */
export function asResponse(m: unknown): SaleToPOIResponse['SaleToPOIResponse'] | null {
  if (!isObject(m) || !isObject(m.SaleToPOIResponse)) return null;
  const r = m.SaleToPOIResponse;
  const h = r.MessageHeader;
  if (!isObject(h) || h.MessageType !== 'Response' || typeof h.ServiceID !== 'string') return null;
  return r as SaleToPOIResponse['SaleToPOIResponse'];
}

export function asRequest(m: unknown): SaleToPOIRequest['SaleToPOIRequest'] | null {
  if (!isObject(m) || !isObject(m.SaleToPOIRequest)) return null;
  const r = m.SaleToPOIRequest;
  const h = r.MessageHeader;
  if (!isObject(h) || h.MessageType !== 'Request' || typeof h.ServiceID !== 'string') return null;
  return r as SaleToPOIRequest['SaleToPOIRequest'];
}
