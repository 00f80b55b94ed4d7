import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The bundled person detector's manifest, from the sources or from the built daemon in dist/. */
export function bundledModelManifest(): string {
  for (const rel of ['./nanodet-m-416.json', '../../../models/weights/nanodet-m-416.json']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error('bundled model models/weights/nanodet-m-416.json not found');
}
