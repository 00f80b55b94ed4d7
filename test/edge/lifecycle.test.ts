import { describe, expect, it } from 'vitest';
import { Lifecycle, type Part, StartError } from '../../sync/kernel/lifecycle.js';
import { memoryLogger } from '../helpers/log.js';

function recorder() {
  const events: string[] = [];
  const part = (name: string, over: Partial<Part> = {}): Part => ({
    name,
    start: () => {
      events.push(`start ${name}`);
    },
    stop: () => {
      events.push(`stop ${name}`);
    },
    ...over,
  });
  return { events, part };
}

describe('lifecycle', () => {
  it('starts parts in order and stops them in reverse', async () => {
    const { events, part } = recorder();
    const lc = new Lifecycle(memoryLogger().log);
    lc.add(part('config')).add(part('db')).add(part('devices')).add(part('http'));
    expect(lc.ready()).toBe(false);
    await lc.start();
    expect(lc.ready()).toBe(true);
    expect(await lc.stop()).toBe(true);
    expect(events).toEqual([
      'start config',
      'start db',
      'start devices',
      'start http',
      'stop http',
      'stop devices',
      'stop db',
      'stop config',
    ]);
    expect(lc.status().map((s) => s.state)).toEqual(['stopped', 'stopped', 'stopped', 'stopped']);
  });

  it('a part that fails to start is reported with its reason; the parts before it are stopped', async () => {
    const { events, part } = recorder();
    const { log, lines } = memoryLogger();
    const lc = new Lifecycle(log);
    lc.add(part('db'))
      .add(
        part('devices', {
          start: async () => {
            throw new Error('/dev/ttyUSB0: permission denied');
          },
        }),
      )
      .add(part('http'));
    const err = await lc.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartError);
    expect((err as StartError).part).toBe('devices');
    expect((err as StartError).message).toBe(
      'part "devices" failed to start: /dev/ttyUSB0: permission denied',
    );
    expect(events).toEqual(['start db', 'stop db']);
    expect(lc.status()).toMatchObject([
      { name: 'db', state: 'stopped' },
      { name: 'devices', state: 'failed', error: '/dev/ttyUSB0: permission denied' },
      { name: 'http', state: 'pending' },
    ]);
    expect(lines().some((l) => l.level === 'error' && l.part === 'devices')).toBe(true);
  });

  it('a part that hangs on stop is abandoned at the timeout and the others still stop', async () => {
    const { events, part } = recorder();
    const lc = new Lifecycle(memoryLogger().log, { stopTimeoutMs: 200 });
    lc.add(part('db')).add(part('sync', { stop: () => new Promise<void>(() => {}) }));
    await lc.start();
    const t0 = Date.now();
    expect(await lc.stop()).toBe(false);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(events).toContain('stop db');
    expect(lc.status()[1]).toMatchObject({
      state: 'failed',
      error: 'stop of sync did not finish within 200 ms',
    });
  });

  it('a part that hangs on start fails at the start timeout', async () => {
    const { part } = recorder();
    const lc = new Lifecycle(memoryLogger().log, { startTimeoutMs: 100 });
    lc.add(part('vision', { start: () => new Promise<void>(() => {}) }));
    await expect(lc.start()).rejects.toThrow('start of vision did not finish within 100 ms');
  });

  it('stop is idempotent and details are reported only for ready parts', async () => {
    const { events, part } = recorder();
    const lc = new Lifecycle(memoryLogger().log);
    lc.add(part('db', { details: () => ({ schemaVersion: 2 }) }));
    await lc.start();
    expect(lc.status()[0]?.details).toEqual({ schemaVersion: 2 });
    await Promise.all([lc.stop(), lc.stop()]);
    expect(events.filter((e) => e === 'stop db')).toHaveLength(1);
    expect(lc.status()[0]?.details).toBeUndefined();
  });

  it('refuses two parts with one name', () => {
    const { part } = recorder();
    const lc = new Lifecycle(memoryLogger().log);
    lc.add(part('db'));
    expect(() => lc.add(part('db'))).toThrow(/duplicate part/);
  });
});
