// The serial scanner driver against its simulator over a real pty pair (serialport on
// both ends), including an unplug and replug recovered by the supervisor.
import { afterEach, describe, expect, it } from 'vitest';
import { backoffDelay } from '../../device-drivers/core/backoff.js';
import type { DeviceStatus } from '../../device-drivers/core/device.js';
import { Supervisor } from '../../device-drivers/core/supervisor.js';
import type { ScanEvent } from '../../device-drivers/scanner/scanner.js';
import { SerialScanner } from '../../device-drivers/scanner/serial-scanner.js';
import { ScannerSimulator } from '../../device-drivers/scanner/simulator.js';
import { waitFor } from '../helpers/ports.js';
import { openPtyPair, type PtyPair } from '../helpers/pty.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function rig(suffix: 'cr' | 'crlf' | 'none' = 'cr') {
  const pair = await openPtyPair();
  const scanner = new SerialScanner({ id: 'kiosk1-scanner', path: pair.a, suffix, debounceMs: 200 });
  const sim = new ScannerSimulator(pair.b, { suffix });
  const scans: ScanEvent[] = [];
  scanner.on('scan', (s) => scans.push(s));
  await scanner.open();
  await sim.open();
  cleanup.push(async () => {
    await sim.close();
    await scanner.close();
    await pair.close();
  });
  return { pair, scanner, sim, scans };
}

describe('serial scanner', () => {
  it('reads CR-terminated scans with AIM identifiers, reassembling split bytes', async () => {
    const { sim, scans } = await rig('cr');
    await sim.scan('4006381333931', { aim: ']E0' });
    await sim.scan('96385074', { aim: ']E4', chunks: 4 });
    await waitFor('two scans', () => (scans.length === 2 ? true : undefined), 3000);
    expect(scans.map((s) => [s.data, s.aim])).toEqual([
      [']E04006381333931', ']E0'],
      [']E496385074', ']E4'],
    ]);
  });

  it('one read held under the scanner is one scan; the same code later is another', async () => {
    const { sim, scans } = await rig('crlf');
    await sim.scan('4006381333931');
    await sim.scan('4006381333931');
    await waitFor('first scan', () => (scans.length >= 1 ? true : undefined), 3000);
    await new Promise((r) => setTimeout(r, 300));
    await sim.scan('4006381333931');
    await waitFor('second scan', () => (scans.length >= 2 ? true : undefined), 3000);
    await new Promise((r) => setTimeout(r, 100));
    expect(scans.map((s) => s.data)).toEqual(['4006381333931', '4006381333931']);
  });

  it('without a suffix, a pause ends the read; empty lines and NULs are ignored', async () => {
    const { sim, scans } = await rig('none');
    await sim.scan('036000291452');
    await new Promise((r) => setTimeout(r, 120));
    await sim.noise(Buffer.from([0, 0]));
    await new Promise((r) => setTimeout(r, 120));
    await sim.scan('96385074');
    await waitFor('two scans', () => (scans.length === 2 ? true : undefined), 3000);
    expect(scans.map((s) => s.data)).toEqual(['036000291452', '96385074']);
  });

  it('is reconnected by the supervisor after an unplug, and reads again', async () => {
    let pair: PtyPair = await openPtyPair();
    const scanner = new SerialScanner({ id: 's1', path: pair.a, suffix: 'cr' });
    const states: DeviceStatus[] = [];
    const sup = new Supervisor({ baseMs: 50, capMs: 400, onState: (s) => states.push(s) });
    sup.add(scanner);
    const scans: ScanEvent[] = [];
    scanner.on('scan', (s) => scans.push(s));
    await sup.start();
    cleanup.push(async () => {
      await sup.stop();
      await pair.close();
    });
    expect(sup.status()[0]?.state).toBe('ready');

    await pair.close(); // unplug
    await waitFor(
      'disconnected',
      () => (states.some((s) => s.state === 'disconnected' || s.state === 'failed') ? true : undefined),
      5000,
    );
    pair = await openPtyPair({ a: pair.a, b: pair.b }); // plug back in at the same port
    await waitFor('ready again', () => (sup.status()[0]?.state === 'ready' ? true : undefined), 5000).catch(
      (e) => {
        throw new Error(`${e.message} ${JSON.stringify(states)}`);
      },
    );
    expect(sup.status()[0]?.reconnects).toBeGreaterThan(0);

    const sim = new ScannerSimulator(pair.b);
    await sim.open();
    cleanup.push(() => sim.close());
    await sim.scan('4006381333931');
    await waitFor('scan after replug', () => (scans.length === 1 ? true : undefined), 3000);
  });

  it('a port that does not exist fails with the reason, and is retried', async () => {
    const scanner = new SerialScanner({ id: 'ghost', path: '/dev/ttyNOPE0' });
    const sup = new Supervisor({ baseMs: 20, capMs: 50 });
    sup.add(scanner);
    await sup.start();
    cleanup.push(() => sup.stop());
    expect(sup.status()[0]).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/No such file|ENOENT|cannot open/i),
    });
    await waitFor('retries', () => ((sup.status()[0]?.reconnects ?? 0) >= 2 ? true : undefined), 3000);
  });
});

describe('backoff', () => {
  it('grows exponentially up to the cap, with full jitter', () => {
    const opts = { baseMs: 100, capMs: 5000 };
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, opts, () => 0.999))).toEqual([
      99, 199, 399, 799, 4995,
    ]);
    expect(backoffDelay(5, opts, () => 0)).toBe(0);
  });
});
