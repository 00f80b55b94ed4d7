import type { Frame } from '../detector/letterbox.js';

// The camera's still scene: a running approximate median of its frames at a small size
// (each pixel steps one grey level towards the current frame). People walking by cover
// a pixel for a few frames and vanish from it; shelves, floor and a traffic cone stay.
// It lives in memory only and is what staff are shown to see what the camera ignores
// and to read the heatmap against. Something that stands still in view for longer than
// about a minute shows in it, as it would to anyone looking at the camera.

/** Width of the kept scene; its height follows the frame's aspect. */
const WIDTH = 320;

export class Background {
  private data: Uint8Array | undefined;
  private w = 0;
  private h = 0;
  private frameW = 0;
  private frameH = 0;
  private map: Int32Array | undefined;
  private frames = 0;

  /** Takes one frame into the running median. */
  add(f: Frame): void {
    if (!this.data || f.width !== this.frameW || f.height !== this.frameH) this.reset(f);
    const d = this.data!;
    const map = this.map!;
    const src = f.data;
    if (this.frames === 0) {
      for (let i = 0; i < map.length; i++) {
        const s = map[i]!;
        d[i * 3] = src[s]!;
        d[i * 3 + 1] = src[s + 1]!;
        d[i * 3 + 2] = src[s + 2]!;
      }
    } else {
      for (let i = 0; i < map.length; i++) {
        const s = map[i]!;
        for (let c = 0; c < 3; c++) {
          const v = src[s + c]!;
          const o = i * 3 + c;
          const b = d[o]!;
          if (v > b) d[o] = b + 1;
          else if (v < b) d[o] = b - 1;
        }
      }
    }
    this.frames++;
  }

  private reset(f: Frame): void {
    this.frameW = f.width;
    this.frameH = f.height;
    this.w = Math.min(WIDTH, f.width);
    this.h = Math.max(1, Math.round((this.w * f.height) / f.width));
    this.data = new Uint8Array(this.w * this.h * 3);
    // where each kept pixel samples the frame (nearest), computed once per frame size
    this.map = new Int32Array(this.w * this.h);
    for (let y = 0; y < this.h; y++) {
      const sy = Math.min(f.height - 1, Math.floor(((y + 0.5) * f.height) / this.h));
      for (let x = 0; x < this.w; x++) {
        const sx = Math.min(f.width - 1, Math.floor(((x + 0.5) * f.width) / this.w));
        this.map[y * this.w + x] = (sy * f.width + sx) * 3;
      }
    }
    this.frames = 0;
  }

  /** A copy of the scene (RGB), or undefined before the first frame. */
  snapshot(): Frame | undefined {
    if (!this.data || this.frames === 0) return undefined;
    return { width: this.w, height: this.h, data: Buffer.from(this.data) };
  }
}
