// storeedge-start, the service's start command, on its own (the release drills run it
// with real bundles): it runs the version `current` names, counts the starts of a
// version on trial, and after MAX_STARTS of them points `current` back at `previous`
// before starting; with no usable `current` it runs the version the package installed.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_STARTS, ReleaseSlots } from '../../edge/updates/slots.js';

/** A state folder with versions a (installed by the package), b and c; each launcher prints its name. */
function box(): {
  state: string;
  start: string;
  run: () => { out: string; err: string; code: number | null };
} {
  const root = mkdtempSync(join(tmpdir(), 'storeedge-loader-'));
  const state = join(root, 'state');
  for (const v of ['a', 'b', 'c']) {
    const dir = v === 'a' ? join(root, 'opt', 'a') : join(state, 'releases', v);
    mkdirSync(join(dir, 'bin'), { recursive: true });
    writeFileSync(
      join(dir, 'bin/storeedge'),
      `#!/bin/sh\necho "${v} $*"\n[ "${v}" = b ] && exit 3\nexit 0\n`,
    );
    chmodSync(join(dir, 'bin/storeedge'), 0o755);
    writeFileSync(
      join(dir, 'RELEASE.json'),
      JSON.stringify({ version: v === 'a' ? '1.0.0' : v === 'b' ? '1.1.0' : '1.2.0' }),
    );
  }
  const start = join(root, 'storeedge-start');
  writeFileSync(
    start,
    readFileSync('edge/release/files/storeedge-start', 'utf8').replace('@INSTALLED@', join(root, 'opt', 'a')),
  );
  chmodSync(start, 0o755);
  const run = () => {
    const r = spawnSync(start, ['--config', 'x.yaml'], {
      encoding: 'utf8',
      env: { ...process.env, STATE_DIRECTORY: state },
    });
    return { out: r.stdout.trim(), err: r.stderr.trim(), code: r.status };
  };
  return { state, start, run };
}

describe('storeedge-start', () => {
  it('runs current, and the installed version when current is missing or broken', () => {
    const b = box();
    expect(b.run()).toMatchObject({ out: 'a --config x.yaml', code: 0 });
    expect(b.run().err).toMatch(/is not a version; running .*opt\/a/);
    symlinkSync('releases/c', join(b.state, 'current'));
    expect(b.run()).toMatchObject({ out: 'c --config x.yaml', code: 0, err: '' });
  });

  it(`switches back to previous after ${MAX_STARTS} starts on trial, and leaves the trial for the report`, () => {
    const b = box();
    symlinkSync('releases/c', join(b.state, 'current'));
    const slots = new ReleaseSlots(b.state);
    slots.switchTo('b', 7, 1000);
    expect(slots.describe()).toEqual({ current: 'releases/b', previous: 'releases/c' });
    for (let n = 1; n <= MAX_STARTS; n++) {
      expect(b.run()).toMatchObject({ out: 'b --config x.yaml', code: 3 });
      expect(readFileSync(join(b.state, 'update-attempts'), 'utf8').trim()).toBe(String(n));
    }
    slots.recordStartError('part "db" failed to start: boom');
    const back = b.run();
    expect(back).toMatchObject({ out: 'c --config x.yaml', code: 0 });
    expect(back.err).toMatch(/failed 3 starts on trial; switched back to releases\/c/);
    expect(readlinkSync(join(b.state, 'current'))).toBe('releases/c');
    expect(existsSync(join(b.state, 'update-trial'))).toBe(false);
    expect(existsSync(join(b.state, 'update-attempts'))).toBe(false);
    // what the version back in service reports to HQ, once
    expect(slots.takeRolledBack()).toMatchObject({
      version: 'b',
      rollout: 7,
      reason: `did not stay up: ${MAX_STARTS} starts of b failed (last: part "db" failed to start: boom); back on 1.2.0`,
    });
    expect(slots.takeRolledBack()).toBeNull();
    // later starts are plain ones
    expect(b.run()).toMatchObject({ out: 'c --config x.yaml', err: '' });
  });

  it('a version kept before its starts ran out stays, and a garbled counter counts as none', () => {
    const b = box();
    symlinkSync('releases/c', join(b.state, 'current'));
    const slots = new ReleaseSlots(b.state);
    slots.switchTo('b', 8, 1000);
    writeFileSync(join(b.state, 'update-attempts'), 'garbage\n');
    expect(b.run().out).toBe('b --config x.yaml');
    expect(readFileSync(join(b.state, 'update-attempts'), 'utf8').trim()).toBe('1');
    slots.commit();
    for (let n = 0; n < MAX_STARTS + 2; n++) expect(b.run().out).toBe('b --config x.yaml');
    expect(readlinkSync(join(b.state, 'current'))).toBe('releases/b');
  });
});
