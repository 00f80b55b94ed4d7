// Frame sources against real peers: an HTTP MJPEG camera (a multipart/x-mixed-replace
// server on loopback serving JPEGs made by sharp) that goes away and comes back, and
// a folder of still images with a broken file among them.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { FfmpegSource, ffmpegArgs, redactUrl } from '../../models/sources/ffmpeg-source.js';
import { FolderSource } from '../../models/sources/folder-source.js';
import { waitFor } from '../helpers/ports.js';

const jpeg = (r: number) =>
  sharp({ create: { width: 160, height: 120, channels: 3, background: { r, g: 40, b: 90 } } })
    .jpeg()
    .toBuffer();

/** An MJPEG camera: sends a frame every 100 ms to each client until closed. */
async function mjpegCamera(port = 0): Promise<{ server: Server; url: string }> {
  const frame = await jpeg(200);
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=frame' });
    const timer = setInterval(() => {
      res.write(`--frame\r\ncontent-type: image/jpeg\r\ncontent-length: ${frame.length}\r\n\r\n`);
      res.write(frame);
      res.write('\r\n');
    }, 100);
    res.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/video` };
}

const close = (s: Server) =>
  new Promise<void>((r) => {
    s.closeAllConnections();
    s.close(() => r());
  });

describe('ffmpeg frame source', () => {
  it('reads an HTTP MJPEG camera, and reconnects with backoff when it drops', async () => {
    let cam = await mjpegCamera();
    const port = Number(new URL(cam.url).port);
    const errors: string[] = [];
    const source = new FfmpegSource({
      kind: 'http',
      input: cam.url,
      fps: 5,
      width: 64,
      height: 48,
      loop: false,
      realtime: true,
      reconnect: { baseMs: 100, capMs: 400 },
      onError: (m) => errors.push(m),
    });
    const ac = new AbortController();
    const seen: { t: number; red: number }[] = [];
    const reading = (async () => {
      for await (const f of source.frames(ac.signal)) seen.push({ t: f.t, red: f.frame.data[0]! });
    })();
    await waitFor('first frames', () => (seen.length >= 3 ? true : undefined), 15_000);
    expect(seen[0]!.red).toBeGreaterThan(150); // the camera's red-ish frame, decoded
    expect(source.state()).toBe('streaming');

    await close(cam.server);
    await waitFor('reconnecting', () => (source.state() === 'reconnecting' ? true : undefined), 15_000);
    const before = seen.length;
    cam = await mjpegCamera(port);
    await waitFor('frames again', () => (seen.length > before + 2 ? true : undefined), 20_000);
    expect(errors.length).toBeGreaterThan(0);
    ac.abort();
    await reading;
    await close(cam.server);
    expect(source.state()).toBe('ended');
  }, 60_000);

  it('builds ffmpeg arguments per camera kind, and keeps credentials out of labels', () => {
    const base = {
      fps: 5,
      width: 640,
      height: 480,
      loop: false,
      realtime: false,
      reconnect: { baseMs: 1, capMs: 2 },
    };
    expect(ffmpegArgs({ ...base, kind: 'rtsp', input: 'rtsp://cam/1' })).toEqual(
      expect.arrayContaining(['-rtsp_transport', 'tcp', '-i', 'rtsp://cam/1']),
    );
    expect(ffmpegArgs({ ...base, kind: 'v4l2', input: '/dev/video0' }).slice(4, 6)).toEqual(['-f', 'v4l2']);
    expect(ffmpegArgs({ ...base, kind: 'file', input: 'a.mp4', loop: true, realtime: true })).toEqual(
      expect.arrayContaining(['-re', '-stream_loop', '-1']),
    );
    expect(ffmpegArgs({ ...base, kind: 'file', input: 'a.mp4' }).join(' ')).toContain('fps=5,scale=640:480');
    const s = new FfmpegSource({ ...base, kind: 'rtsp', input: 'rtsp://admin:s3cret@10.0.0.21/stream1' });
    expect(s.label).toBe('rtsp:rtsp://***@10.0.0.21/stream1');
    expect(redactUrl('could not open rtsp://admin:s3cret@10.0.0.21/x')).not.toContain('s3cret');
  });

  it('a missing file is retried, not a crash', async () => {
    const errors: string[] = [];
    const source = new FfmpegSource({
      kind: 'file',
      input: '/nonexistent/clip.mp4',
      fps: 5,
      width: 64,
      height: 48,
      loop: false,
      realtime: false,
      reconnect: { baseMs: 50, capMs: 100 },
      onError: (m) => errors.push(m),
    });
    const ac = new AbortController();
    const reading = (async () => {
      for await (const _ of source.frames(ac.signal)) throw new Error('no frames expected');
    })();
    await waitFor('two failures', () => (errors.length >= 2 ? true : undefined), 10_000);
    expect(errors[0]).toMatch(/No such file/);
    ac.abort();
    await reading;
  });
});

describe('folder source', () => {
  it('reads images in name order at the camera size, skipping one that is not an image', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'storeedge-folder-'));
    writeFileSync(join(dir, 'a.jpg'), await jpeg(10));
    writeFileSync(join(dir, 'b.jpg'), Buffer.from('not a jpeg'));
    writeFileSync(
      join(dir, 'c.png'),
      await sharp(await jpeg(250))
        .png()
        .toBuffer(),
    );
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    const errors: string[] = [];
    const source = new FolderSource(dir, { fps: 2, width: 32, height: 24, onError: (m) => errors.push(m) });
    const frames = [];
    for await (const f of source.frames(new AbortController().signal)) frames.push(f);
    expect(frames.map((f) => [f.t, f.frame.width, f.frame.height, f.frame.data.length])).toEqual([
      [0, 32, 24, 32 * 24 * 3],
      [500, 32, 24, 32 * 24 * 3],
    ]);
    expect(frames[0]!.frame.data[0]!).toBeLessThan(60);
    expect(frames[1]!.frame.data[0]!).toBeGreaterThan(200);
    expect(errors).toEqual([expect.stringMatching(/^b\.jpg: not a readable image/)]);
    expect(source.state()).toBe('ended');
  });
});
