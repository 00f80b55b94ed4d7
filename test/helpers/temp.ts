// Temporary folders for a test file's brokers, databases, clusters and bundles, removed
// when its process ends (vitest runs each file in a fork of its own). Left behind, one
// suite run leaves gigabytes in /tmp (the release drill's bundles, PostgreSQL clusters),
// and soak runs fill the disk until the store's own low-disk guard trips tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dirs = new Set<string>();

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (dirs.size === 0) process.once('exit', removeAll);
  dirs.add(dir);
  return dir;
}

function removeAll(): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}
