// Counting and hashing a stream against what a signed push says it is (a bundle, a delta,
// the tar a delta rebuilds): one Transform for a download and for a file on disk alike.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Signed size and SHA-256 of something the store takes in. */
export interface Signed {
  sha256: string;
  bytes: number;
}

export class DigestMismatch extends Error {}

/**
 * A pass-through that counts and hashes, failing as soon as more than `expected.bytes`
 * pass (a forged size cannot fill the disk); `check()` after the stream ends.
 */
export function digestCheck(expected: Signed, what: string) {
  const hash = createHash('sha256');
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > expected.bytes)
        return done(new DigestMismatch(`${what} is larger than the signed ${expected.bytes} bytes`));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const check = () => {
    if (bytes !== expected.bytes || hash.digest('hex') !== expected.sha256)
      throw new DigestMismatch(`${what} does not match the signed SHA-256 and size: corrupted or forged`);
  };
  return { stream, check };
}

/** Checks a file on disk against its signed size and SHA-256; throws DigestMismatch. */
export async function checkFile(file: string, expected: Signed, what: string): Promise<void> {
  const d = digestCheck(expected, what);
  const sink = new Writable({ write: (_c, _e, done) => done() });
  await pipeline(createReadStream(file), d.stream, sink);
  d.check();
}
