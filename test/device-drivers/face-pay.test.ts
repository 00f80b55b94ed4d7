// The face-pay driver against its simulator over a real pty pair: a face code for the
// amount and order number, cancel and failure at the device, garbled lines, a device
// that never answers, and an answer carrying a face image that must not get in.
import { afterEach, describe, expect, it } from 'vitest';
import { SerialFacePay } from '../../device-drivers/facepay/serial-face-pay.js';
import { FacePaySimulator } from '../../device-drivers/facepay/simulator.js';
import { paymentCodeWallet } from '../../device-drivers/payment/payment-code/codes.js';
import { openPtyPair } from '../helpers/pty.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function rig(confirmTimeoutMs = 3000) {
  const pair = await openPtyPair();
  const sim = new FacePaySimulator(pair.b);
  sim.recogniseMs = 50;
  await sim.open();
  const device = new SerialFacePay({ id: 'k1-face', path: pair.a, merchantId: 'M1', confirmTimeoutMs });
  await device.open();
  cleanup.push(async () => {
    await device.close();
    await sim.close();
    await pair.close();
  });
  return { device, sim };
}

describe('face-pay device', () => {
  it('answers ping at open and makes a one-time wallet code for the order number and amount', async () => {
    const { device, sim } = await rig();
    expect(device.state).toBe('ready');
    expect(device.model).toBe('SIM-FACE-1');
    const a = await device.faceCode({ reference: 'S1-abc', amountFen: 1290 });
    const b = await device.faceCode({ reference: 'S1-abd', amountFen: 500 });
    expect(a.result).toBe('code');
    expect(b.result).toBe('code');
    if (a.result !== 'code' || b.result !== 'code') return;
    expect(paymentCodeWallet(a.paymentCode)).toBe('wechat');
    expect(a.paymentCode).not.toBe(b.paymentCode);
    expect(sim.requests).toEqual([
      { reference: 'S1-abc', amountFen: 1290 },
      { reference: 'S1-abd', amountFen: 500 },
    ]);
  });

  it('keeps only the code of an answer that also carries a face image and template', async () => {
    const { device, sim } = await rig();
    sim.inject('biometric');
    const r = await device.faceCode({ reference: 'S1-bio', amountFen: 100 });
    expect(Object.keys(r).sort()).toEqual(['paymentCode', 'result']);
    expect(JSON.stringify(r)).not.toMatch(/face_image|template|openid/);
  });

  it('the shopper cancels, the face is not recognised, a garbled line comes first', async () => {
    const { device, sim } = await rig();
    sim.inject('cancel', 'fail', 'garble');
    expect(await device.faceCode({ reference: 'r1', amountFen: 1 })).toEqual({ result: 'cancelled' });
    expect(await device.faceCode({ reference: 'r2', amountFen: 1 })).toEqual({
      result: 'failed',
      reason: 'ERROR: face not recognised',
    });
    expect((await device.faceCode({ reference: 'r3', amountFen: 1 })).result).toBe('code');
    expect(device.badFrames).toBe(1); // the garbled line, counted and dropped
  });

  it('a device that never answers times out, is told to cancel, and is asked again', async () => {
    const { device, sim } = await rig(300);
    sim.inject('silent');
    expect(await device.faceCode({ reference: 'r1', amountFen: 1 })).toEqual({
      result: 'failed',
      reason: 'TIMEOUT',
    });
    expect((await device.faceCode({ reference: 'r2', amountFen: 1 })).result).toBe('code');
  });
});
