// The ESC/POS printer driver against its simulator on a loopback TCP port.
import { afterEach, describe, expect, it } from 'vitest';
import { EscPosPrinter } from '../../device-drivers/printer/escpos-printer.js';
import { type PrintBlock, PrinterError } from '../../device-drivers/printer/printer.js';
import { PrinterSimulator } from '../../device-drivers/printer/simulator.js';
import { waitFor } from '../helpers/ports.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function rig(timeoutMs = 500) {
  const sim = new PrinterSimulator();
  const port = await sim.listen();
  const printer = new EscPosPrinter({ id: 'kiosk1-printer', host: '127.0.0.1', port, timeoutMs });
  await printer.open();
  cleanup.push(async () => {
    await printer.close();
    await sim.close();
  });
  return { sim, printer, port };
}

const RECEIPT: PrintBlock[] = [
  { text: '演示门店 Demo Store', bold: true, size: 2, align: 'center' },
  { text: '有机牛奶 Organic Milk 1L        ¥12.80' },
  { text: 'TOTAL                          ¥12.80', bold: true },
  { qr: 'https://receipts.example/r/R-0001' },
  { feed: 2 },
  { cut: true },
];

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'printed',
    (e: unknown) => (e instanceof PrinterError ? e.code : String(e)),
  );

describe('ESC/POS printer', () => {
  it('prints Chinese and Latin text with styles, a QR code and a cut', async () => {
    const { sim, printer } = await rig();
    expect(await printer.status()).toEqual({
      online: true,
      coverOpen: false,
      paperOut: false,
      paperNearEnd: false,
      error: false,
    });
    await printer.print(RECEIPT);
    expect(sim.jobs).toHaveLength(1);
    const job = sim.jobs[0]!;
    expect(job.lines[0]).toEqual({ text: '演示门店 Demo Store', bold: true, size: 2, align: 1 });
    expect(job.lines[1]?.text).toBe('有机牛奶 Organic Milk 1L        ¥12.80');
    expect(job.lines[2]?.bold).toBe(true);
    expect(job.qr).toEqual(['https://receipts.example/r/R-0001']);
    expect(job.cut).toBe(true);
    expect(sim.unknownCommands).toBe(0);
  });

  it('refuses to print with the cover open or no paper, and says which', async () => {
    const { sim, printer } = await rig();
    sim.coverOpen = true;
    expect(await code(printer.print(RECEIPT))).toBe('COVER_OPEN');
    sim.coverOpen = false;
    sim.paperLines = 0;
    expect(await code(printer.print(RECEIPT))).toBe('PAPER_OUT');
    expect(sim.jobs).toHaveLength(0);
    sim.refill();
    expect(await code(printer.print(RECEIPT))).toBe('printed');
  });

  it('paper running out mid-receipt is reported, not taken for a printed receipt', async () => {
    const { sim, printer } = await rig();
    sim.paperLines = 3;
    expect(await code(printer.print(RECEIPT))).toBe('PAPER_OUT');
    expect(sim.jobs).toHaveLength(0);
    expect((await printer.status()).paperOut).toBe(true);
  });

  it('a printer that stops answering times out; one that vanishes disconnects and reconnects', async () => {
    const { sim, printer, port } = await rig(300);
    sim.mute = true;
    expect(await code(printer.status())).toBe('TIMEOUT');
    sim.mute = false;
    expect((await printer.status()).online).toBe(true);

    const states: string[] = [];
    printer.on('state', (s: string) => states.push(s));
    await sim.unplug();
    await waitFor('disconnected', () => (printer.state === 'disconnected' ? true : undefined), 3000);
    expect(await code(printer.print(RECEIPT))).toBe('OFFLINE');
    await expect(printer.open()).rejects.toThrow(/ECONNREFUSED/);
    await sim.listen(port);
    await printer.open();
    expect(await code(printer.print(RECEIPT))).toBe('printed');
    expect(states).toEqual(['disconnected', 'connecting', 'failed', 'connecting', 'ready']);
  });
});
