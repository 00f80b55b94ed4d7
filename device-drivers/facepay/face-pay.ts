// A face-pay device at a self-checkout kiosk (the wallets' face-payment tablets): the
// device does the face part itself, on its own screen and camera, and hands the kiosk
// only a one-time face payment code for the amount and order number it was asked about.
// That code is charged through the payment-code gateway like a code scanned off a
// phone. The daemon never receives a face image, a template or any other biometric
// data: a driver keeps the code and drops everything else the device sends.
import type { Device } from '../core/device.js';

export interface FaceCodeRequest {
  /** the payment's reference (out_trade_no), persisted before the device is asked */
  reference: string;
  amountFen: number;
}

export type FaceCodeResult =
  | { result: 'code'; paymentCode: string }
  | { result: 'cancelled' }
  | { result: 'failed'; reason: string };

export interface FacePay extends Device {
  readonly kind: 'face-pay';
  faceCode(req: FaceCodeRequest): Promise<FaceCodeResult>;
}
