// Cameras over RTSP, against a real RTSP server (GStreamer's, digest authentication)
// serving the sample clip as an IP camera does: frames read through the same ffmpeg
// source the daemon uses; the server killed and started again (the source reconnects,
// and /readyz and the staff dashboard in Chromium show the camera down and back); a
// wrong password (a state of its own, the password in no log); a stream whose
// resolution changes; H.265.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FfmpegSource } from '../../models/sources/ffmpeg-source.js';
import { freePort, waitFor } from '../helpers/ports.js';
import {
  encodeClip,
  ffmpegHasHevc,
  RTSP_PASSWORD,
  type RtspServer,
  startRtspServer,
} from '../helpers/rtsp.js';
import { VTEST_SCENE } from '../models/fixtures.js';
import { httpsStore, type PageSuite, stopHttpsStore } from '../ui/store.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read loosely in this end-to-end test
type J = any;

const dir = mkdtempSync(join(tmpdir(), 'storeedge-rtsp-'));
const hevc = ffmpegHasHevc();
let clips: { h264: string; resize: string; h265: string | null };
let server: RtspServer;
let port = 0;

const mounts = () => ({
  '/cam': [clips.h264, 'h264'] as [string, 'h264'],
  '/resize': [clips.resize, 'h264'] as [string, 'h264'],
  ...(clips.h265 ? { '/cam265': [clips.h265, 'h265'] as [string, 'h265'] } : {}),
});

beforeAll(async () => {
  // 40 s of the clip: long enough for the drill below; each RTSP session starts it afresh
  const h264 = encodeClip(dir, 'cam.ts', { codec: 'h264', seconds: 40 });
  // 4 s at the camera's 768×576, then 4 s at 384×288 in the same stream (in-band SPS change)
  const a = encodeClip(dir, 'a.ts', { codec: 'h264', seconds: 4 });
  const b = encodeClip(dir, 'b.ts', { codec: 'h264', from: 4, seconds: 4, scale: '384:288', tsOffset: 4 });
  const resize = join(dir, 'resize.ts');
  execFileSync('sh', ['-c', `cat "${a}" "${b}" > "${resize}"`]);
  const h265 = hevc ? encodeClip(dir, 'cam265.ts', { codec: 'h265', seconds: 6 }) : null;
  clips = { h264, resize, h265 };
  port = await freePort();
  server = await startRtspServer(port, mounts());
}, 60_000);

afterAll(async () => {
  await server?.kill();
});

const source = (url: string, errors: string[], size = { width: 320, height: 240 }) =>
  new FfmpegSource({
    kind: 'rtsp',
    input: url,
    fps: 5,
    ...size,
    loop: false,
    realtime: false,
    reconnect: { baseMs: 200, capMs: 1000 },
    onError: (m) => errors.push(m),
  });

/** Reads frames until `n` came or `ms` passed; the source stays open until then. */
async function read(src: FfmpegSource, n: number, ms: number) {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ms);
  const frames: { width: number; height: number; bytes: number; mean: number }[] = [];
  try {
    for await (const { frame } of src.frames(ac.signal)) {
      let sum = 0;
      for (let i = 0; i < frame.data.length; i += 97) sum += frame.data[i]!;
      frames.push({
        width: frame.width,
        height: frame.height,
        bytes: frame.data.length,
        mean: sum / Math.ceil(frame.data.length / 97),
      });
      if (frames.length >= n) break;
    }
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  return frames;
}

describe('an RTSP camera with a user and password', () => {
  it('streams H.264 frames at the size asked for, credentials kept out of its label', async () => {
    const errors: string[] = [];
    const src = source(server.url('/cam'), errors);
    expect(src.label).toBe(`rtsp:rtsp://***@127.0.0.1:${port}/cam`);
    const frames = await read(src, 15, 20_000);
    expect(frames).toHaveLength(15);
    expect(frames.every((f) => f.width === 320 && f.height === 240 && f.bytes === 320 * 240 * 3)).toBe(true);
    // real pictures, not a blank stream
    expect(frames.every((f) => f.mean > 20 && f.mean < 235)).toBe(true);
    expect(errors).toEqual([]);
  });

  it('a wrong password is a state of its own, and no message carries a password', async () => {
    const errors: string[] = [];
    const wrong = 'Wrong-pass-31337';
    const src = source(server.url('/cam', wrong), errors);
    const ac = new AbortController();
    const reading = (async () => {
      for await (const _ of src.frames(ac.signal)) throw new Error('a frame with the wrong password');
    })();
    await waitFor('refused', async () => (src.state() === 'unauthorized' ? true : undefined), 10_000);
    // it keeps trying on its backoff (the password may be put right at the camera), refused each time
    await waitFor('refused twice', async () => (errors.length >= 2 ? true : undefined), 10_000);
    ac.abort();
    await reading;
    expect(errors[0]).toMatch(/refused its user name or password/);
    for (const m of [...errors, src.label]) {
      expect(m).not.toContain(wrong);
      expect(m).not.toContain(RTSP_PASSWORD);
    }
  });

  it('a stream whose resolution changes keeps coming at the configured size, without a reconnect', async () => {
    // the file really changes size mid-stream
    const widths = execFileSync('ffprobe', [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-show_entries',
      'frame=width',
      '-of',
      'csv=p=0',
      clips.resize,
    ])
      .toString()
      .match(/\d+/g);
    expect(new Set(widths)).toEqual(new Set(['768', '384']));
    const errors: string[] = [];
    // 8 s of stream at 5 fps is 40 frames, the size changing after 20: 36 frames span both,
    // and end before the stream does (its end would be a reconnect)
    const frames = await read(source(server.url('/resize'), errors, { width: 384, height: 288 }), 36, 15_000);
    expect(frames).toHaveLength(36);
    expect(frames.every((f) => f.width === 384 && f.height === 288 && f.bytes === 384 * 288 * 3)).toBe(true);
    expect(errors).toEqual([]);
  });

  it.skipIf(!hevc)('streams H.265', async () => {
    const errors: string[] = [];
    const frames = await read(source(server.url('/cam265'), errors), 10, 20_000);
    expect(frames).toHaveLength(10);
    expect(frames.every((f) => f.mean > 20 && f.mean < 235)).toBe(true);
    expect(errors).toEqual([]);
  });
});

describe('the store with an RTSP camera that loses power', () => {
  let store: PageSuite;
  let page: Page;
  const camera = async (): Promise<J> => {
    const r = (await (await fetch(`${store.daemon.address}/readyz`)).json()) as J;
    return r.parts.find((p: J) => p.name === 'vision').details.cameras[0];
  };
  const dashboardState = () =>
    page.locator('#device-rows tr', { hasText: 'walkway' }).locator('span').getAttribute('data-state');

  beforeAll(async () => {
    store = await httpsStore(`vision: { flushSeconds: 1, stillScene: false }
cameras:
  - id: walkway
    source: { type: rtsp, url: "${server.url('/cam')}" }
    fps: 5
    frameSize: { width: 768, height: 576 }
    lines:
      - { id: path-west, a: ${JSON.stringify(VTEST_SCENE.pathWest.a)}, b: ${JSON.stringify(VTEST_SCENE.pathWest.b)} }
`);
    page = await store.browser.newPage({ viewport: { width: 1280, height: 900 } });
  }, 90_000);
  afterAll(async () => {
    if (store) await stopHttpsStore(store);
  });

  it('shows the camera down while its server is gone and streaming again once it is back', async () => {
    await waitFor('streaming', async () => ((await camera()).frames >= 10 ? true : undefined), 30_000);
    expect((await camera()).state).toBe('streaming');

    await page.goto(`${store.url}/ui/staff/`);
    await page.getByLabel('员工编号').fill('mgr-1');
    await page.getByLabel('密码').fill('1234');
    await page.getByRole('button', { name: '登录' }).click();
    await waitFor(
      'dashboard: camera up',
      async () => ((await dashboardState()) === 'streaming' ? true : undefined),
      20_000,
    );
    expect(await page.locator('#device-rows tr', { hasText: 'walkway' }).textContent()).toContain('正常');

    await server.kill();
    await waitFor(
      'camera down',
      async () => ((await camera()).state === 'reconnecting' ? true : undefined),
      20_000,
    );
    const down = await camera();
    expect(down.error).toMatch(/ffmpeg exited/);
    await waitFor(
      'dashboard: camera down',
      async () => ((await dashboardState()) === 'reconnecting' ? true : undefined),
      20_000,
    );
    expect(await page.locator('#device-rows tr', { hasText: 'walkway' }).textContent()).toContain(
      '断开，重连中',
    );
    // it keeps trying: each try fails while the camera is off
    const framesWhileDown = down.frames;

    server = await startRtspServer(port, mounts());
    await waitFor(
      'camera back',
      async () => {
        const c = await camera();
        return c.state === 'streaming' && c.frames > framesWhileDown + 5 ? true : undefined;
      },
      45_000,
    );
    expect((await camera()).error).toBeNull();
    await waitFor(
      'dashboard: camera back',
      async () => ((await dashboardState()) === 'streaming' ? true : undefined),
      20_000,
    );

    // the camera's password is in no log line, no stderr and no health answer
    const ready = await (await fetch(`${store.daemon.address}/readyz`)).text();
    for (const text of [JSON.stringify(store.daemon.logLines()), store.daemon.stderr(), ready])
      expect(text).not.toContain(RTSP_PASSWORD);
    expect(JSON.stringify(store.daemon.logLines())).toMatch(/camera source failed; reconnecting/);
  });
});
