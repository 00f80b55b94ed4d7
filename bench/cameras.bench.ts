// Cameras on this machine, measured in the daemon itself: the demo store started with k
// cameras, each an ffmpeg decoding the sample clip at its own speed (realtime) and the
// detector behind the motion gate, as a store runs them. "People in view half the time":
// each camera's feed alternates 10 s of the walking clip with 10 s of one still frame of
// it (an empty moment: nothing moves, the gate lets a frame through only every maxSkip).
// After a warm-up, frames analysed per camera per second over a window, the CPU of the
// daemon and of its ffmpeg children, and the daemon's RSS; with no camera as the baseline.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { VTEST_SCENE } from '../test/models/fixtures.js';
import { rssMB, startDaemon, stopDaemon } from './daemon.js';

const FPS = 5;
const WARM_S = Number(process.env.CAMERAS_WARM_SECONDS ?? 15);
const WINDOW_S = Number(process.env.CAMERAS_WINDOW_SECONDS ?? 30);
const CLIP = resolve('test/fixtures/vision/.cache/vtest.avi');
const HALF_STILL = resolve('test/fixtures/vision/.cache/vtest-half-still.avi');

/** 10 s of the clip, then its first frame held for 10 s: 20 s, looped by the camera. */
function halfStillClip(): string {
  if (existsSync(HALF_STILL)) return HALF_STILL;
  execFileSync('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y', '-i', CLIP],
    '-filter_complex',
    '[0:v]trim=duration=10,setpts=PTS-STARTPTS[a];[0:v]trim=end_frame=1,setpts=PTS-STARTPTS,loop=loop=99:size=1:start=0,setpts=N/10/TB[b];[a][b]concat=n=2:v=1[out]',
    ...['-map', '[out]', '-r', '10', '-c:v', 'mpeg4', '-q:v', '4', HALF_STILL],
  ]);
  return HALF_STILL;
}

function cameras(k: number, url: string): string {
  return JSON.stringify(
    Array.from({ length: k }, (_, i) => ({
      id: `cam${i}`,
      source: { type: 'file', url, loop: true, realtime: true },
      fps: FPS,
      frameSize: { width: 768, height: 576 },
      lines: [{ ...VTEST_SCENE.pathWest, inSide: 'left' }],
      zones: [{ id: 'lamp-post', polygon: VTEST_SCENE.lampPost, minDwellSeconds: 2, categories: ['dairy'] }],
      floorPlan: VTEST_SCENE.floorPlan,
    })),
  );
}

const ticks = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime, clock ticks (100 a second)
};
const children = (pid: number): number[] =>
  readdirSync(`/proc/${pid}/task`).flatMap((t) =>
    readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
  );

interface Status {
  cameras: { id: string; frames: number; inferred: number; dropped: number }[];
}

async function measure(k: number, url: string) {
  const dir = mkdtempSync(join(tmpdir(), 'storeedge-cameras-'));
  const { proc, address } = await startDaemon(join(dir, 'store.db'), { STOREEDGE_CAMERAS: cameras(k, url) });
  const pid = proc.pid!;
  try {
    const signIn = await fetch(`${address}/api/v1/staff/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ staffId: 'sup-1', pin: '5678' }),
    }).then((r) => r.json() as Promise<{ token: string }>);
    const status = () =>
      fetch(`${address}/api/v1/vision/status`, { headers: { 'x-staff-token': signIn.token } }).then(
        (r) => r.json() as Promise<Status>,
      );
    await new Promise((r) => setTimeout(r, WARM_S * 1000));
    const kids = children(pid);
    const a = await status();
    const t0 = performance.now();
    const cpu0 = ticks(pid);
    const kid0 = kids.reduce((s, c) => s + ticks(c), 0);
    await new Promise((r) => setTimeout(r, WINDOW_S * 1000));
    const b = await status();
    const seconds = (performance.now() - t0) / 1000;
    const cpu = (ticks(pid) - cpu0) / seconds; // % of one core
    const ffmpegCpu = (kids.reduce((s, c) => s + ticks(c), 0) - kid0) / seconds;
    const fps = b.cameras.map((c) => {
      const before = a.cameras.find((x) => x.id === c.id)!;
      return {
        fps: (c.frames - before.frames) / seconds,
        inferred: (c.inferred - before.inferred) / Math.max(1, c.frames - before.frames),
        dropped: c.dropped - before.dropped,
      };
    });
    return {
      k,
      minFps: Math.min(...fps.map((f) => f.fps), k ? Number.POSITIVE_INFINITY : 0),
      meanFps: k ? fps.reduce((s, f) => s + f.fps, 0) / k : 0,
      inferred: k ? fps.reduce((s, f) => s + f.inferred, 0) / k : 0,
      dropped: fps.reduce((s, f) => s + f.dropped, 0),
      daemonCpu: cpu,
      ffmpegCpu,
      rss: rssMB(pid),
    };
  } finally {
    await stopDaemon(proc);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  const url = halfStillClip();
  const counts = (process.env.CAMERAS ?? '0,4,8').split(',').map(Number);
  console.log(
    `the demo daemon with k cameras at ${FPS} fps (768×576 4:3 feeds, people in view half the time), ${WARM_S} s warm-up, ${WINDOW_S} s window:`,
  );
  console.log(
    '| cameras | fps per camera (min / mean) | frames inferred | frames dropped | daemon CPU | ffmpeg CPU (all) | daemon RSS |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const k of counts) {
    const r = await measure(k, url);
    console.log(
      `| ${k} | ${r.minFps.toFixed(2)} / ${r.meanFps.toFixed(2)} | ${(r.inferred * 100).toFixed(0)}% | ${r.dropped} | ${r.daemonCpu.toFixed(0)}% | ${r.ffmpegCpu.toFixed(0)}% | ${r.rss.toFixed(0)} MB |`,
    );
  }
}
