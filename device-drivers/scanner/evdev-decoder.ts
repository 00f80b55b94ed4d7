// Decodes Linux evdev input_event structs from a keyboard-wedge scanner into reads.
// On 64-bit Linux an input_event is 24 bytes: struct timeval (two 64-bit words), then
// u16 type, u16 code, s32 value, little-endian. A wedge scanner "types" each read and
// presses Enter (or Tab) at the end; GS (FNC1 in GS1 codes) arrives as Ctrl+].
import { KEY, US_KEYMAP } from './evdev-keymap.js';

export const INPUT_EVENT_SIZE = 24;
const EV_KEY = 1;

export interface InputEvent {
  sec: number;
  usec: number;
  type: number;
  code: number;
  value: number;
}

export function decodeInputEvent(b: Buffer, offset = 0): InputEvent {
  return {
    sec: Number(b.readBigInt64LE(offset)),
    usec: Number(b.readBigInt64LE(offset + 8)),
    type: b.readUInt16LE(offset + 16),
    code: b.readUInt16LE(offset + 18),
    value: b.readInt32LE(offset + 20),
  };
}

export function encodeInputEvent(e: InputEvent): Buffer {
  const b = Buffer.alloc(INPUT_EVENT_SIZE);
  b.writeBigInt64LE(BigInt(e.sec), 0);
  b.writeBigInt64LE(BigInt(e.usec), 8);
  b.writeUInt16LE(e.type, 16);
  b.writeUInt16LE(e.code, 18);
  b.writeInt32LE(e.value, 20);
  return b;
}

export class EvdevDecoder {
  private pending = Buffer.alloc(0);
  private shift = 0;
  private ctrl = 0;
  private caps = false;
  private read = '';

  constructor(
    private readonly onRead: (data: string, atMs: number) => void,
    private readonly maxLength = 512,
  ) {}

  /** Feeds bytes as they come from the device node; events may straddle chunks. */
  push(chunk: Buffer): void {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let off = 0;
    for (; off + INPUT_EVENT_SIZE <= buf.length; off += INPUT_EVENT_SIZE)
      this.event(decodeInputEvent(buf, off));
    buf = buf.subarray(off);
    this.pending = Buffer.from(buf);
  }

  private event(e: InputEvent): void {
    if (e.type !== EV_KEY) return; // EV_SYN, EV_MSC scancodes: nothing to type
    const down = e.value !== 0; // 1 press, 2 autorepeat, 0 release
    switch (e.code) {
      case KEY.LEFTSHIFT:
      case KEY.RIGHTSHIFT:
        this.shift = Math.max(0, this.shift + (e.value === 1 ? 1 : e.value === 0 ? -1 : 0));
        return;
      case KEY.LEFTCTRL:
      case KEY.RIGHTCTRL:
        this.ctrl = Math.max(0, this.ctrl + (e.value === 1 ? 1 : e.value === 0 ? -1 : 0));
        return;
      case KEY.CAPSLOCK:
        if (e.value === 1) this.caps = !this.caps;
        return;
    }
    if (!down) return;
    if (e.code === KEY.ENTER || e.code === KEY.KPENTER || e.code === KEY.TAB) {
      const data = this.read;
      this.read = '';
      if (data) this.onRead(data, e.sec * 1000 + Math.floor(e.usec / 1000));
      return;
    }
    if (this.ctrl > 0) {
      if (e.code === KEY.RIGHTBRACE) this.type('\x1d');
      return;
    }
    const chars = US_KEYMAP.get(e.code);
    if (!chars) return;
    let ch = chars[this.shift > 0 ? 1 : 0];
    if (this.caps && /[a-z]/i.test(ch)) ch = this.shift > 0 ? ch.toLowerCase() : ch.toUpperCase();
    this.type(ch);
  }

  private type(ch: string): void {
    // a read that never ends (a stuck key) is dropped rather than grown without bound
    this.read = this.read.length >= this.maxLength ? '' : this.read + ch;
  }
}
