import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Real images and the clip from Debian packages (test/setup/vision-fixtures.sh, run by `npm test`). */
export function visionFixture(name: string): string {
  const p = fileURLToPath(new URL(`../fixtures/vision/.cache/${name}`, import.meta.url));
  if (!existsSync(p)) throw new Error(`${p} missing: run bash test/setup/vision-fixtures.sh`);
  return p;
}

export const MODEL_MANIFEST = fileURLToPath(
  new URL('../../models/weights/nanodet-m-416.json', import.meta.url),
);
