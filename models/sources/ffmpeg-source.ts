import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '../../device-drivers/core/backoff.js';
import type { FrameSource, SourceState, TimedFrame } from './source.js';

// Video files and network or local cameras through ffmpeg, as a child process writing
// raw RGB frames to a pipe: ffmpeg knows every container, codec and camera protocol,
// and a crash of a decoder cannot take the daemon down with it.

export type CameraKind = 'file' | 'rtsp' | 'http' | 'v4l2';

export interface FfmpegSourceOptions {
  kind: CameraKind;
  /** File path, rtsp:// or http(s):// URL (MJPEG), or /dev/videoN. */
  input: string;
  fps: number;
  width: number;
  height: number;
  /** Files: start again at the end (the demo store's sample feed). */
  loop: boolean;
  /** Files: play at their own speed rather than as fast as they decode. */
  realtime: boolean;
  reconnect: { baseMs: number; capMs: number };
  /**
   * Files only: stamp frames with their position in the recording from this epoch (ms),
   * rather than with the wall clock. Analysing footage after the fact needs this.
   */
  mediaEpoch?: number;
  ffmpegPath?: string;
  onError?: (message: string) => void;
}

export function ffmpegArgs(o: FfmpegSourceOptions): string[] {
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin'];
  if (o.kind === 'file') {
    if (o.realtime) args.push('-re');
    if (o.loop) args.push('-stream_loop', '-1');
  }
  if (o.kind === 'rtsp') args.push('-rtsp_transport', 'tcp', '-timeout', '5000000');
  if (o.kind === 'http') args.push('-rw_timeout', '5000000', '-reconnect', '1');
  if (o.kind === 'v4l2') args.push('-f', 'v4l2');
  args.push('-i', o.input, '-an', '-sn');
  args.push(
    '-vf',
    `fps=${o.fps},scale=${o.width}:${o.height}`,
    '-pix_fmt',
    'rgb24',
    '-f',
    'rawvideo',
    'pipe:1',
  );
  return args;
}

/** Camera URLs carry credentials (rtsp://user:pass@host): never into a log or /readyz. */
export const redactUrl = (s: string) => s.replace(/(\/\/)[^@/\s]*@/g, '$1***@');

/** ffmpeg's words when an RTSP DESCRIBE or an HTTP request is answered 401 or 403. */
const refusedCredentials = (stderr: string) =>
  /\b40[13] (Unauthorized|Forbidden)\b|authorization failed/i.test(stderr);

export class FfmpegSource implements FrameSource {
  private st: SourceState = 'connecting';
  private skipped = 0;
  readonly label: string;

  constructor(private readonly o: FfmpegSourceOptions) {
    this.label = `${o.kind}:${o.kind === 'file' ? o.input : redactUrl(o.input)}`;
  }

  state(): SourceState {
    return this.st;
  }

  dropped(): number {
    return this.skipped;
  }

  async *frames(signal: AbortSignal): AsyncIterable<TimedFrame> {
    const live = this.o.kind !== 'file';
    let attempt = 0;
    let index = 0;
    const frameBytes = this.o.width * this.o.height * 3;
    while (!signal.aborted) {
      // after a failure the state stays what that failure was until frames come
      if (attempt === 0) this.st = 'connecting';
      const proc = spawn(this.o.ffmpegPath ?? 'ffmpeg', ffmpegArgs(this.o), {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const stderr: string[] = [];
      proc.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
      const exited = new Promise<number | null>((res) => {
        proc.once('close', (code) => res(code));
        proc.once('error', (err) => {
          stderr.push(err.message);
          res(null);
        });
      });
      const kill = () => proc.kill('SIGKILL');
      signal.addEventListener('abort', kill, { once: true });
      try {
        // chunks are copied once, straight into the frame they belong to: a frame is one
        // allocation, not a concatenation of reads and then a copy out of it
        let cur = Buffer.allocUnsafe(frameBytes);
        let filled = 0;
        const ready: Buffer[] = [];
        for await (const chunk of proc.stdout! as AsyncIterable<Buffer>) {
          for (let off = 0; off < chunk.length; ) {
            const n = chunk.copy(cur, filled, off, Math.min(chunk.length, off + frameBytes - filled));
            off += n;
            filled += n;
            if (filled === frameBytes) {
              ready.push(cur);
              cur = Buffer.allocUnsafe(frameBytes);
              filled = 0;
            }
          }
          if (!ready.length) continue;
          // A live camera keeps only its newest frame when the pipeline lags: counting
          // wants the present, not a growing queue.
          const first = live ? ready.length - 1 : 0;
          this.skipped += first;
          const frames = ready.splice(0);
          for (let k = first; k < frames.length; k++) {
            this.st = 'streaming';
            attempt = 0;
            const t =
              !live && this.o.mediaEpoch !== undefined
                ? this.o.mediaEpoch + (index * 1000) / this.o.fps
                : Date.now();
            index++;
            yield { frame: { width: this.o.width, height: this.o.height, data: frames[k]! }, t };
            if (signal.aborted) return;
          }
        }
      } finally {
        signal.removeEventListener('abort', kill);
        if (proc.exitCode === null) kill();
      }
      const code = await exited;
      if (signal.aborted) break;
      if (!live && code === 0) break; // a recording ran to its end
      const said = stderr.join('').trim();
      const refused = live && refusedCredentials(said);
      this.st = refused ? 'unauthorized' : 'reconnecting';
      this.o.onError?.(
        refused
          ? 'the camera refused its user name or password (401/403): check the credentials in its URL'
          : redactUrl(`ffmpeg exited (${code}): ${said.slice(-300) || 'no message'}`),
      );
      const delay = backoffDelay(attempt++, this.o.reconnect);
      await sleep(delay, undefined, { signal }).catch(() => undefined);
    }
    this.st = 'ended';
  }
}
