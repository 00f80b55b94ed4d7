// A floor plan drawing for the demo and the tests: the floor's outline, the door and the
// shelves, drawn as SVG here and rendered to PNG by sharp (HQ takes raster images only),
// at 40 px per metre so the image spans the floor config's width × depth.
import sharp from 'sharp';

export interface Shelf {
  /** metres from the floor's top-left corner */
  x: number;
  y: number;
  w: number;
  h: number;
  label: string;
}

export async function floorPlanPng(widthM: number, depthM: number, shelves: Shelf[]): Promise<Buffer> {
  const px = 40;
  const W = Math.round(widthM * px);
  const H = Math.round(depthM * px);
  const esc = (s: string) => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">
  <rect width="${W}" height="${H}" fill="#f7f7f2" stroke="#333" stroke-width="6"/>
  ${shelves
    .map(
      (
        s,
      ) => `<rect x="${s.x * px}" y="${s.y * px}" width="${s.w * px}" height="${s.h * px}" fill="#c9d6df" stroke="#556"/>
  <text x="${(s.x + s.w / 2) * px}" y="${(s.y + s.h / 2) * px + 5}" font-size="16" text-anchor="middle" font-family="sans-serif" fill="#223">${esc(s.label)}</text>`,
    )
    .join('\n  ')}
</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** The virtual stores' floor (20 × 12 m; see virtual-store.ts): door on the left, three shelves. */
export const FLEET_SHELVES: Shelf[] = [
  { x: 0, y: 4, w: 0.5, h: 4, label: 'door' },
  { x: 4, y: 0.5, w: 4, h: 1, label: 'dairy' },
  { x: 10, y: 0.5, w: 4, h: 1, label: 'snacks' },
  { x: 18, y: 5, w: 1.5, h: 4, label: 'drinks' },
];
