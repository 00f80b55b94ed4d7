// The daemon's last log lines, kept in memory for a support bundle: every line pino
// writes goes to its destination (stdout) and here, already redacted by the logger's
// redact paths. Flushing is the destination's, so nothing changes for a stop.
import type pino from 'pino';

export class LogRing {
  private lines: string[] = [];
  private bytes = 0;

  constructor(
    private readonly maxLines = 2000,
    private readonly maxBytes = 1024 * 1024,
  ) {}

  push(chunk: string): void {
    for (const line of chunk.split('\n')) {
      if (!line) continue;
      this.lines.push(line);
      this.bytes += line.length;
    }
    while (this.lines.length > this.maxLines || this.bytes > this.maxBytes)
      this.bytes -= this.lines.shift()!.length;
  }

  recent(): string[] {
    return [...this.lines];
  }

  /** A destination that writes to `dest` and keeps each line here. */
  tee(
    dest: pino.DestinationStream & { flush?: (cb?: (err?: Error) => void) => void; flushSync?: () => void },
  ) {
    return {
      write: (s: string) => {
        this.push(s);
        return dest.write(s);
      },
      flush: (cb?: (err?: Error) => void) => (dest.flush ? dest.flush(cb) : cb?.()),
      flushSync: () => dest.flushSync?.(),
    };
  }
}
