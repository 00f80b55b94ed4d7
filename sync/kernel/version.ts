// The package version, read once from the nearest package.json above this file (works
// from the sources under tsx and from dist/ when built), for the store and HQ alike.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageJson(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the daemon');
    dir = up;
  }
  return join(dir, 'package.json');
}

export const VERSION: string = (
  JSON.parse(readFileSync(findPackageJson(dirname(fileURLToPath(import.meta.url))), 'utf8')) as {
    version: string;
  }
).version;
