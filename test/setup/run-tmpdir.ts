// One temporary folder per test run, set as TMPDIR before the test processes start, and
// removed when the run ends: every broker, PostgreSQL cluster, pty, page-test store and
// release bundle the tests make goes under it. Left behind, one run leaves gigabytes in
// /tmp (the release drill's bundles, the clusters), and repeated runs fill the disk until
// the store's own low-disk guard fails tests.
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'storeedge-run-';
/** a run folder this old is from a run killed before its teardown, not one in progress */
const STALE_MS = 6 * 3600_000;

export default function setup(): () => void {
  const base = tmpdir();
  for (const name of readdirSync(base)) {
    if (!name.startsWith(PREFIX)) continue;
    const p = join(base, name);
    try {
      if (Date.now() - statSync(p).mtimeMs > STALE_MS) rmSync(p, { recursive: true, force: true });
    } catch {
      // another run removed it meanwhile
    }
  }
  const dir = mkdtempSync(join(base, PREFIX));
  // PostgreSQL runs as a non-root user when the tests run as root: it must reach its folder
  chmodSync(dir, 0o711);
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
