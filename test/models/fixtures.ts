import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FfmpegSource } from '../../models/sources/ffmpeg-source.js';

/** Real images and the clip from Debian packages (test/setup/vision-fixtures.sh, run by `npm test`). */
export function visionFixture(name: string): string {
  const p = fileURLToPath(new URL(`../fixtures/vision/.cache/${name}`, import.meta.url));
  if (!existsSync(p)) throw new Error(`${p} missing: run bash test/setup/vision-fixtures.sh`);
  return p;
}

export const MODEL_MANIFEST = fileURLToPath(
  new URL('../../models/weights/nanodet-m-416.json', import.meta.url),
);

/** The sample clip as a recording analysed as fast as it decodes, on its own timeline (t = 0 at its start). */
export function vtestSource(fps: number, size = { width: 768, height: 576 }): FfmpegSource {
  return new FfmpegSource({
    kind: 'file',
    input: visionFixture('vtest.avi'),
    fps,
    width: size.width,
    height: size.height,
    loop: false,
    realtime: false,
    mediaEpoch: 0,
    reconnect: { baseMs: 100, capMs: 1000 },
  });
}

/** The sample clip's scene as the demo camera is set up over it: the labelled line
 * across the path, the zone round the lamp post, and the floor plan (normalised image
 * coordinates; the homography maps them to floor metres). */
export const VTEST_SCENE = {
  pathWest: { id: 'path-west', a: [0.25, 0.2257] as [number, number], b: [0.25, 0.6597] as [number, number] },
  lampPost: [
    [0.45, 0.3],
    [0.72, 0.3],
    [0.72, 0.62],
    [0.45, 0.62],
  ] as [number, number][],
  floorPlan: { homography: [20, 0, 0, 0, 14, 0, 0, 0.5, 0.75], widthM: 27, depthM: 12, cellM: 0.5 },
};

/** The floor plan as the pipeline takes it: its grid in cells. */
export const VTEST_FLOOR = {
  homography: VTEST_SCENE.floorPlan.homography,
  cellM: VTEST_SCENE.floorPlan.cellM,
  cols: Math.ceil(VTEST_SCENE.floorPlan.widthM / VTEST_SCENE.floorPlan.cellM),
  rows: Math.ceil(VTEST_SCENE.floorPlan.depthM / VTEST_SCENE.floorPlan.cellM),
};

/** A daemon config's camera over the sample clip: the labelled line, a zone, a floor plan;
 * `startedAt` stamps the recording as made then, `zoneType` names the zone's kind for HQ. */
export function vtestCameraYaml(o: { startedAt?: string; zoneType?: string } = {}): string {
  return `cameras:
  - id: walkway
    # analysed as fast as it decodes, on the recording's own timeline
    source: { type: file, url: ${visionFixture('vtest.avi')}, realtime: false${o.startedAt ? `, startedAt: "${o.startedAt}"` : ''} }
    fps: 5
    frameSize: { width: 768, height: 576 }
    lines:
      - { id: path-west, a: ${JSON.stringify(VTEST_SCENE.pathWest.a)}, b: ${JSON.stringify(VTEST_SCENE.pathWest.b)} }
    zones:
      - { id: lamp-post, ${o.zoneType ? `type: ${o.zoneType}, ` : ''}polygon: ${JSON.stringify(VTEST_SCENE.lampPost)}, minDwellSeconds: 1, categories: [dairy] }
    floorPlan: ${JSON.stringify(VTEST_SCENE.floorPlan)}
`;
}
