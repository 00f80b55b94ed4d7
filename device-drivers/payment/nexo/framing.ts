// Frames nexo messages on a TCP stream: a 4-byte big-endian length, then the message as
// UTF-8 JSON. A frame over the size limit or not JSON is a protocol error: the caller
// drops the connection, since nothing after it can be trusted to line up.
export const MAX_FRAME = 64 * 1024;

export function frame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
}

export class FrameError extends Error {}

export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  /** Returns the whole messages in the bytes so far; throws FrameError on a bad frame. */
  push(chunk: Buffer): unknown[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: unknown[] = [];
    while (this.buf.length >= 4) {
      const len = this.buf.readUInt32BE(0);
      if (len === 0 || len > MAX_FRAME) throw new FrameError(`frame length ${len} out of range`);
      if (this.buf.length < 4 + len) break;
      const body = this.buf.subarray(4, 4 + len).toString('utf8');
      this.buf = this.buf.subarray(4 + len);
      try {
        out.push(JSON.parse(body));
      } catch {
        throw new FrameError('frame is not JSON');
      }
    }
    return out;
  }
}
