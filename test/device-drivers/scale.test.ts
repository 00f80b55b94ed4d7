// The MT-SICS scale driver against its simulator over a real pty pair.
import { afterEach, describe, expect, it } from 'vitest';
import { MtSicsScale } from '../../device-drivers/scale/mt-sics.js';
import { ScaleError } from '../../device-drivers/scale/scale.js';
import { ScaleSimulator } from '../../device-drivers/scale/simulator.js';
import { openPtyPair } from '../helpers/pty.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function rig(opts: { timeoutMs?: number; stableWaitMs?: number } = {}) {
  const pair = await openPtyPair();
  const sim = new ScaleSimulator(pair.b, {
    stableWaitMs: opts.stableWaitMs ?? 600,
    serialNumber: 'B912345678',
  });
  await sim.open();
  const scale = new MtSicsScale({ id: 'kiosk1-scale', path: pair.a, timeoutMs: opts.timeoutMs ?? 1500 });
  await scale.open();
  cleanup.push(async () => {
    await scale.close();
    await sim.close();
    await pair.close();
  });
  return { scale, sim, pair };
}

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: unknown) => (e instanceof ScaleError ? e.code : String(e)),
  );

describe('MT-SICS scale', () => {
  it('identifies the scale and reads a stable weight in grams', async () => {
    const { scale, sim } = await rig();
    expect(scale.serialNumber).toBe('B912345678');
    expect(scale.state).toBe('ready');
    sim.place(256);
    expect(await scale.weighStable()).toMatchObject({ grams: 256, stable: true, unit: 'kg' });
    expect(sim.commands).toEqual(['I4', 'S']);
  });

  it('a moving load reads as dynamic; S waits for it to settle, or says it did not', async () => {
    const { scale, sim } = await rig({ stableWaitMs: 600 });
    sim.place(1234, 300);
    expect(await scale.weighNow()).toMatchObject({ grams: 1234, stable: false });
    expect(await scale.weighStable()).toMatchObject({ grams: 1234, stable: true });
    sim.place(500, 5000);
    expect(await code(scale.weighStable())).toBe('UNSTABLE');
  });

  it('zeroes a small load, refuses a large one, and reports overload', async () => {
    const { scale, sim } = await rig();
    sim.place(40);
    await scale.zero();
    sim.place(40 + 725);
    expect((await scale.weighStable()).grams).toBe(725);
    expect(await code(scale.zero())).toBe('REFUSED');
    sim.place(20_000);
    expect(await code(scale.weighStable())).toBe('OVERLOAD');
  });

  it('a dropped, garbled or late answer is an error, and the next weight is fresh', async () => {
    const { scale, sim } = await rig({ timeoutMs: 300 });
    sim.place(100);
    sim.fault({ drop: 1 });
    expect(await code(scale.weighStable())).toBe('TIMEOUT');
    expect((await scale.weighStable()).grams).toBe(100);

    sim.fault({ corrupt: 1 });
    expect(await code(scale.weighStable())).toBe('BAD_FRAME');
    expect((await scale.weighStable()).grams).toBe(100);

    // the answer to the first S comes after the timeout: it must not pass for the second
    sim.fault({ delayMs: 500 });
    expect(await code(scale.weighStable())).toBe('TIMEOUT');
    sim.place(300);
    expect((await scale.weighStable()).grams).toBe(300);
    expect(sim.commands.slice(-2)).toEqual(['@', 'S']);
  });

  it('a vanished port disconnects the scale and fails the command in flight', async () => {
    const { scale, pair } = await rig({ timeoutMs: 3000 });
    const states: string[] = [];
    scale.on('state', (s: string) => states.push(s));
    await pair.close();
    const inFlight = code(scale.weighStable());
    expect(await inFlight).toMatch(/OFFLINE|TIMEOUT/);
    await new Promise((r) => setTimeout(r, 700));
    expect(states).toContain('disconnected');
    expect(await code(scale.weighNow())).toBe('OFFLINE');
  });
});
