import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import sharp from 'sharp';
import type { FrameSource, SourceState, TimedFrame } from './source.js';

// A folder of still images (a camera that uploads snapshots, or a test set), in name
// order, each scaled to the camera's frame size; time advances by 1/fps per image.

const IMAGE = new Set(['.jpg', '.jpeg', '.png', '.webp']);

export class FolderSource implements FrameSource {
  private st: SourceState = 'connecting';
  readonly label: string;

  constructor(
    private readonly dir: string,
    private readonly o: { fps: number; width: number; height: number; onError?: (m: string) => void },
  ) {
    this.label = `folder:${dir}`;
  }

  state(): SourceState {
    return this.st;
  }

  dropped(): number {
    return 0;
  }

  async *frames(signal: AbortSignal): AsyncIterable<TimedFrame> {
    const names = (await readdir(this.dir)).filter((n) => IMAGE.has(extname(n).toLowerCase())).sort();
    let index = 0;
    for (const name of names) {
      if (signal.aborted) break;
      let data: Buffer;
      try {
        data = await sharp(join(this.dir, name))
          .removeAlpha()
          .resize(this.o.width, this.o.height, { fit: 'fill' })
          .raw()
          .toBuffer();
      } catch (err) {
        this.o.onError?.(`${name}: not a readable image (${(err as Error).message})`);
        continue;
      }
      this.st = 'streaming';
      yield { frame: { width: this.o.width, height: this.o.height, data }, t: (index++ * 1000) / this.o.fps };
    }
    this.st = 'ended';
  }
}
