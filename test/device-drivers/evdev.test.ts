// The keyboard-wedge scanner on evdev input_event bytes. The fixture holds the events a
// wedge scanner produces, in the kernel's 24-byte struct layout: MSC_SCAN before each
// key, SYN reports, shift for capitals, Ctrl+] for GS, keypad digits with an autorepeat,
// and a double read. It was written by a script with the kernel's encoding rather than
// captured from hardware.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EvdevDecoder } from '../../device-drivers/scanner/evdev-decoder.js';
import { EvdevScanner } from '../../device-drivers/scanner/evdev-scanner.js';
import type { ScanEvent } from '../../device-drivers/scanner/scanner.js';
import { parseScan } from '../../edge/catalog/barcode.js';
import { waitFor } from '../helpers/ports.js';

const FIXTURE = new URL('../fixtures/evdev/wedge-scans.bin', import.meta.url).pathname;

describe('evdev keyboard-wedge scanner', () => {
  it('decodes reads from events split at any byte boundary', () => {
    const bytes = readFileSync(FIXTURE);
    for (const step of [1, 7, 24, 100, bytes.length]) {
      const reads: string[] = [];
      const d = new EvdevDecoder((r) => reads.push(r));
      for (let i = 0; i < bytes.length; i += step) d.push(bytes.subarray(i, i + step));
      expect(reads).toEqual([
        '4006381333931',
        '4006381333931',
        ']C1010950600013435210ABC\x1d17271231',
        '12300',
        '4006381333931',
      ]);
    }
  });

  it('reads the device node, debounces by event time, and reports the end of the device', async () => {
    const scanner = new EvdevScanner({ id: 'wedge', path: FIXTURE, debounceMs: 300 });
    const scans: ScanEvent[] = [];
    const states: string[] = [];
    scanner.on('scan', (s) => scans.push(s));
    scanner.on('state', (s) => states.push(s));
    await scanner.open();
    await waitFor('end of recording', () => (scanner.state === 'disconnected' ? true : undefined), 3000);
    expect(scans.map((s) => s.data)).toEqual([
      '4006381333931',
      ']C1010950600013435210ABC\x1d17271231',
      '12300',
      '4006381333931',
    ]);
    expect(scans[1]?.aim).toBe(']C1');
    // the GS1-128 read parses: GTIN, batch, expiry
    const parsed = parseScan(scans[1]!.data, { variableMeasure: [] });
    expect(parsed.gtin).toBe('09506000134352');
    expect(states).toEqual(['connecting', 'ready', 'disconnected']);
    await scanner.close();
  });

  it('a missing device node fails to open with the reason', async () => {
    const scanner = new EvdevScanner({ id: 'wedge', path: '/dev/input/by-id/no-such-scanner' });
    await expect(scanner.open()).rejects.toThrow(/ENOENT/);
    expect(scanner.state).toBe('failed');
  });
});
