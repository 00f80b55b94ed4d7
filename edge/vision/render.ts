import sharp from 'sharp';

// The heatmap as a picture for the dashboard: each floor cell a square, coloured from
// transparent (nobody) through blue and yellow to red (the busiest cell). The scale is
// the square root of the share of the maximum, so one busy spot does not wash out the rest.

function colour(v: number): [number, number, number, number] {
  if (v <= 0) return [0, 0, 0, 0];
  const stops: [number, [number, number, number]][] = [
    [0, [49, 54, 149]],
    [0.35, [69, 117, 180]],
    [0.6, [254, 224, 144]],
    [0.8, [244, 109, 67]],
    [1, [165, 0, 38]],
  ];
  for (let i = 1; i < stops.length; i++) {
    const [p1, c1] = stops[i]!;
    const [p0, c0] = stops[i - 1]!;
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

export async function renderHeatmapPng(
  grid: { cols: number; rows: number; cells: number[] },
  cellPx = 24,
): Promise<Buffer> {
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
