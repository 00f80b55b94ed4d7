import sharp from 'sharp';
import { applyHomography, invertHomography, type Point } from '../../models/analytics/geometry.js';
import type { StaticObject } from '../../models/analytics/stillness.js';
import type { Frame } from '../../models/detector/letterbox.js';

// Pictures for the staff dashboard, drawn on request from memory and never stored:
// the heatmap over the floor plan, and the camera's still scene with what it counts
// and what it ignores. The scene is the camera's running median (models/analytics/
// background.ts), so people walking by are not in it.

/** What a camera's pictures are drawn from. */
export interface CameraScene {
  cameraId: string;
  /** The still scene, or undefined before the camera's first frame. */
  image: Frame | undefined;
  lines: { id: string; a: Point; b: Point }[];
  zones: { id: string; polygon: readonly Point[] }[];
  ignore: { id: string; polygon: readonly Point[] }[];
  staticObjects: StaticObject[];
  floor?: { homography: readonly number[]; widthM: number; depthM: number; cellM: number };
}

/** The colour scale, shared with the dashboard's legend: share of the busiest cell → RGBA. */
export const HEAT_STOPS: readonly [number, [number, number, number]][] = [
  [0, [49, 54, 149]],
  [0.35, [69, 117, 180]],
  [0.6, [254, 224, 144]],
  [0.8, [244, 109, 67]],
  [1, [165, 0, 38]],
];

/** v is the square root of the share of the maximum, so one busy spot does not wash out the rest. */
function colour(v: number): [number, number, number, number] {
  if (v <= 0) return [0, 0, 0, 0];
  for (let i = 1; i < HEAT_STOPS.length; i++) {
    const [p1, c1] = HEAT_STOPS[i]!;
    const [p0, c0] = HEAT_STOPS[i - 1]!;
    if (v <= p1) {
      const k = (v - p0) / (p1 - p0);
      return [
        Math.round(c0[0] + k * (c1[0] - c0[0])),
        Math.round(c0[1] + k * (c1[1] - c0[1])),
        Math.round(c0[2] + k * (c1[2] - c0[2])),
        Math.round(110 + 130 * v),
      ];
    }
  }
  return [165, 0, 38, 240];
}

type Grid = { cols: number; rows: number; cellM: number; cells: number[] };

function heatLayer(grid: Grid, cellPx: number): Promise<Buffer> {
  const max = Math.max(0, ...grid.cells);
  const raw = Buffer.alloc(grid.cols * grid.rows * 4);
  grid.cells.forEach((v, i) => {
    raw.set(colour(max > 0 ? Math.sqrt(v / max) : 0), i * 4);
  });
  return sharp(raw, { raw: { width: grid.cols, height: grid.rows, channels: 4 } })
    .resize(grid.cols * cellPx, grid.rows * cellPx, { kernel: 'nearest' })
    .png()
    .toBuffer();
}

const esc = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pts = (ps: readonly Point[]) => ps.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ');

/** A camera's zones (dashed, named) and counting lines (named), through `project` into picture pixels. */
function zonesAndLines(
  scene: CameraScene,
  project: (p: Point) => Point,
  style: { font: number; line: string; halo: boolean },
): string {
  const gap = style.font / 4;
  const halo = style.halo ? ' stroke="#000" stroke-width="0.6"' : '';
  let svg = '';
  for (const z of scene.zones) {
    const poly = z.polygon.map(project);
    svg += `<polygon points="${pts(poly)}" fill="none" stroke="#1f4fd1" stroke-width="3" stroke-dasharray="10 6"/>`;
    svg += `<text x="${poly[0]![0] + gap}" y="${poly[0]![1] + style.font + gap}" font-family="sans-serif" font-size="${style.font}" fill="#1f4fd1">${esc(z.id)}</text>`;
  }
  for (const l of scene.lines) {
    const [a, b] = [project(l.a), project(l.b)];
    svg += `<line x1="${a[0]}" y1="${a[1]}" x2="${b[0]}" y2="${b[1]}" stroke="${style.line}" stroke-width="4"/>`;
    svg += `<text x="${a[0] + gap}" y="${a[1] - gap}" font-family="sans-serif" font-size="${style.font}" fill="${style.line}"${halo}>${esc(l.id)}</text>`;
  }
  return svg;
}

/**
 * The heatmap drawn over the floor plan: the camera's still scene seen from above (each
 * floor point looked up through the inverse homography; grey where the camera does not
 * see), a one-metre grid, the zones and lines as they lie on the floor, then the heat.
 * Without a scene or floor plan it is the bare grid on the metre grid.
 */
export async function renderHeatmapPng(grid: Grid, scene?: CameraScene, cellPx = 24): Promise<Buffer> {
  const width = grid.cols * cellPx;
  const height = grid.rows * cellPx;
  const pxPerM = cellPx / grid.cellM;
  const base = Buffer.alloc(width * height * 3, 236);
  const floor = scene?.floor;
  const inv = floor ? invertHomography(floor.homography) : undefined;
  const img = scene?.image;
  if (inv && img) {
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const [u, v] = applyHomography(inv, [(x + 0.5) / pxPerM, (y + 0.5) / pxPerM]);
        if (!(u >= 0 && u < 1 && v >= 0 && v < 1)) continue;
        const s = (Math.floor(v * img.height) * img.width + Math.floor(u * img.width)) * 3;
        const o = (y * width + x) * 3;
        // the scene a little washed out, so the heat reads above it
        for (let c = 0; c < 3; c++) base[o + c] = 96 + ((img.data[s + c]! * 5) >> 3);
      }
  }
  const toFloor = (p: Point): Point => {
    const [mx, my] = applyHomography(floor!.homography, p);
    return [mx * pxPerM, my * pxPerM];
  };
  let svg = '';
  for (let m = 1; m * pxPerM < width; m++)
    svg += `<line x1="${m * pxPerM}" y1="0" x2="${m * pxPerM}" y2="${height}" stroke="#000" stroke-opacity="${m % 5 ? 0.1 : 0.25}"/>`;
  for (let m = 1; m * pxPerM < height; m++)
    svg += `<line x1="0" y1="${m * pxPerM}" x2="${width}" y2="${m * pxPerM}" stroke="#000" stroke-opacity="${m % 5 ? 0.1 : 0.25}"/>`;
  if (floor && scene) svg += zonesAndLines(scene, toFloor, { font: 20, line: '#111', halo: false });
  // a 5 m scale bar, bottom left
  const bar = 5 * pxPerM;
  svg += `<rect x="10" y="${height - 38}" width="${bar + 20}" height="30" fill="#fff" fill-opacity="0.85"/>`;
  svg += `<line x1="20" y1="${height - 14}" x2="${20 + bar}" y2="${height - 14}" stroke="#000" stroke-width="4"/>`;
  svg += `<text x="${20 + bar / 2}" y="${height - 20}" text-anchor="middle" font-family="sans-serif" font-size="16">5 m</text>`;
  return sharp(base, { raw: { width, height, channels: 3 } })
    .composite([
      { input: await heatLayer(grid, cellPx) },
      {
        input: Buffer.from(
          `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${svg}</svg>`,
        ),
      },
    ])
    .png()
    .toBuffer();
}

/** The camera's still scene with its lines, zones, drawn ignore regions and the static objects it ignores. */
export async function renderScenePng(scene: CameraScene, width = 768): Promise<Buffer | undefined> {
  const img = scene.image;
  if (!img) return undefined;
  const height = Math.round((width * img.height) / img.width);
  const px = (p: Point): Point => [p[0] * width, p[1] * height];
  let svg = '';
  for (const r of scene.ignore)
    svg += `<polygon points="${pts(r.polygon.map(px))}" fill="#555" fill-opacity="0.45" stroke="#222" stroke-width="2"/>`;
  svg += zonesAndLines(scene, px, { font: 16, line: '#fff', halo: true });
  for (const o of scene.staticObjects) {
    const [x1, y1] = px([o.box.x1, o.box.y1]);
    const [x2, y2] = px([o.box.x2, o.box.y2]);
    svg += `<rect x="${x1 - 3}" y="${y1 - 3}" width="${x2 - x1 + 6}" height="${y2 - y1 + 6}" fill="none" stroke="#ff7a00" stroke-width="3" stroke-dasharray="${o.present ? '0' : '5 4'}"/>`;
  }
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(width, height)
    .composite([
      {
        input: Buffer.from(
          `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${svg}</svg>`,
        ),
      },
    ])
    .png()
    .toBuffer();
}
