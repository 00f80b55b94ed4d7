// A real RTSP camera for the tests: the sample clip encoded with Debian's ffmpeg as an
// IP camera sends it (H.264 or H.265, short GOP, MPEG-TS), served by GStreamer's RTSP
// server (test/helpers/rtsp-server.py) with digest authentication on a loopback port.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { visionFixture } from '../models/fixtures.js';

export const RTSP_USER = 'viewer';
/** Characters a password in a URL may carry unescaped; searched for in every log. */
export const RTSP_PASSWORD = 'Pw-7c1e9b4a';

/** Encodes `seconds` of the clip from `from` into `dir`/`name`; `scale` changes its size. */
export function encodeClip(
  dir: string,
  name: string,
  o: { codec: 'h264' | 'h265'; from?: number; seconds: number; scale?: string; tsOffset?: number },
): string {
  const out = join(dir, name);
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    ...(o.from ? ['-ss', String(o.from)] : []),
    '-i',
    visionFixture('vtest.avi'),
    '-t',
    String(o.seconds),
    '-an',
    ...(o.scale ? ['-vf', `scale=${o.scale}`] : []),
    '-c:v',
    o.codec === 'h264' ? 'libx264' : 'libx265',
    ...(o.codec === 'h265' ? ['-x265-params', 'log-level=error'] : []),
    '-preset',
    'ultrafast',
    '-g',
    '10',
    '-bf',
    '0',
    ...(o.tsOffset ? ['-output_ts_offset', String(o.tsOffset)] : []),
    '-f',
    'mpegts',
    out,
  ]);
  return out;
}

/** Whether this machine's ffmpeg has an H.265 encoder and decoder. */
export function ffmpegHasHevc(): boolean {
  const list = (what: string) => execFileSync('ffmpeg', ['-hide_banner', `-${what}`]).toString();
  return /\blibx265\b/.test(list('encoders')) && /\bhevc\b/.test(list('decoders'));
}

export interface RtspServer {
  port: number;
  /** rtsp://user:password@127.0.0.1:port/mount (the password given, or the right one) */
  url(mount: string, password?: string): string;
  /** SIGKILL: the camera loses power */
  kill(): Promise<void>;
}

/** Starts the server with `mounts` ({'/cam': [file, 'h264']}); resolves once it listens. */
export async function startRtspServer(
  port: number,
  mounts: Record<string, [string, 'h264' | 'h265']>,
): Promise<RtspServer> {
  const script = join(import.meta.dirname, 'rtsp-server.py');
  // Debian's python3 has the GStreamer bindings (python3-gi); a python3 earlier on PATH may not
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const args = Object.entries(mounts).map(([m, [file, codec]]) => `${m}=${file}:${codec}`);
  const proc: ChildProcess = spawn(python, [script, String(port), RTSP_USER, RTSP_PASSWORD, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let said = '';
  proc.stderr?.on('data', (d) => (said += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`rtsp server not ready in 15 s: ${said}`));
    }, 15_000);
    proc.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('READY')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`rtsp server exited (${code}): ${said}`));
    });
  });
  return {
    port,
    url: (mount, password = RTSP_PASSWORD) => `rtsp://${RTSP_USER}:${password}@127.0.0.1:${port}${mount}`,
    async kill() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = once(proc, 'exit');
      proc.kill('SIGKILL');
      await exited;
    },
  };
}
