import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseManifest } from '../../models/detector/manifest.js';

// Models HQ pushed, kept beside the database: one folder per model version (manifest
// and .onnx as pushed), and `active.json` naming the one in service, so a restart
// comes back on the model that was running. Folders are written whole under a
// temporary name and renamed, so a crash never leaves a half-written model in place.

export interface PushedModel {
  manifest: unknown;
  /** The .onnx file, base64. */
  onnxBase64: string;
}

export class ModelStore {
  constructor(private readonly dir: string) {}

  private activePath(): string {
    return join(this.dir, 'active.json');
  }

  /** The manifest of the pushed model in service, if any. */
  active(): { version: number; manifestPath: string } | undefined {
    try {
      const a = JSON.parse(readFileSync(this.activePath(), 'utf8')) as {
        version: number;
        manifestPath: string;
      };
      return existsSync(a.manifestPath) ? a : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Writes a pushed model to disk after checking it against its own manifest; returns
   * the manifest's path. Throws with the reason when the push is malformed.
   */
  stage(version: number, body: unknown): string {
    const b = body as Partial<PushedModel> | null;
    if (!b || typeof b !== 'object' || typeof b.onnxBase64 !== 'string')
      throw new Error('/body: {manifest, onnxBase64} expected');
    const manifest = parseManifest(b.manifest, 'pushed model');
    const bytes = Buffer.from(b.onnxBase64, 'base64');
    if (bytes.length !== manifest.bytes)
      throw new Error(`/body/onnxBase64: ${bytes.length} bytes, manifest says ${manifest.bytes}`);
    const sha = createHash('sha256').update(bytes).digest('hex');
    if (sha !== manifest.sha256) throw new Error('/body/onnxBase64: sha256 does not match the manifest');
    const final = join(this.dir, `v${version}-${manifest.id}`);
    const tmp = `${final}.${process.pid}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    writeFileSync(join(tmp, manifest.file), bytes);
    writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2));
    rmSync(final, { recursive: true, force: true });
    renameSync(tmp, final);
    return join(final, 'manifest.json');
  }

  /** Records the model in service for the next start. */
  activate(version: number, manifestPath: string): void {
    mkdirSync(this.dir, { recursive: true });
    const tmp = `${this.activePath()}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ version, manifestPath }));
    renameSync(tmp, this.activePath());
  }

  /** Removes a staged model that was refused. */
  discard(manifestPath: string): void {
    rmSync(join(manifestPath, '..'), { recursive: true, force: true });
  }
}
