// Release bundles HQ serves to its stores: uploaded by an operator (the tarball that
// `npm run release` writes), kept on disk under releases.dir, recorded with their SHA-256
// and size, which go into every signed software push. A store checks the bundle it
// downloads against those signed figures, so the download itself needs no credential.
import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { ApiError } from '../../sync/kernel/errors.js';

export interface Bundle {
  version: string;
  arch: string;
  sha256: string;
  bytes: number;
  schema: { version: number; lastCompatible: number } | null;
  uploadedBy: string;
  uploadedAt: string;
}

export const VERSION_PATTERN = '^\\d+\\.\\d+\\.\\d+([-+][0-9A-Za-z.-]+)?$';
export const ARCH_PATTERN = '^(x64|arm64)$';

export const bundleName = (version: string, arch: string) => `storeedge-${version}-linux-${arch}`;

export class Bundles {
  constructor(
    private readonly pool: pg.Pool,
    private readonly dir: string,
    private readonly maxBytes: number,
  ) {}

  file(version: string, arch: string): string {
    return join(this.dir, `${bundleName(version, arch)}.tar.gz`);
  }

  /**
   * Takes an uploaded tarball: streamed to disk with a byte limit, hashed, and checked to
   * be the release it claims (one folder storeedge-<version>-linux-<arch> whose
   * RELEASE.json says so). The same bytes again are fine; other bytes for a version are not.
   */
  async upload(by: string, version: string, arch: string, body: Readable): Promise<Bundle> {
    mkdirSync(this.dir, { recursive: true });
    const tmp = join(this.dir, `.upload-${randomUUID()}`);
    const hash = createHash('sha256');
    let bytes = 0;
    const max = this.maxBytes;
    try {
      await pipeline(
        body,
        new Transform({
          transform(chunk: Buffer, _e, done) {
            bytes += chunk.length;
            if (bytes > max)
              return done(new ApiError(413, 'BUNDLE_TOO_LARGE', `a bundle is at most ${max} bytes`));
            hash.update(chunk);
            done(null, chunk);
          },
        }),
        createWriteStream(tmp),
      );
      const meta = readMeta(tmp, version, arch);
      const sha256 = hash.digest('hex');
      const file = this.file(version, arch);
      const ins = await this.pool.query(
        `INSERT INTO releases (version, arch, sha256, bytes, file, schema, uploaded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (version, arch) DO NOTHING RETURNING version`,
        [version, arch, sha256, bytes, file, meta.schema ? JSON.stringify(meta.schema) : null, by],
      );
      if (!ins.rows.length) {
        const had = await this.get(version, arch);
        if (had.sha256 !== sha256)
          throw new ApiError(
            409,
            'RELEASE_EXISTS',
            `${version} for ${arch} was uploaded already, with other bytes`,
          );
        return had;
      }
      renameSync(tmp, file);
      return this.get(version, arch);
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  async get(version: string, arch: string): Promise<Bundle> {
    const r = (
      await this.pool.query('SELECT * FROM releases WHERE version = $1 AND arch = $2', [version, arch])
    ).rows[0];
    if (!r) throw new ApiError(404, 'RELEASE_NOT_FOUND', `no release ${version} for ${arch}`);
    return toBundle(r);
  }

  async list(): Promise<Bundle[]> {
    return (await this.pool.query('SELECT * FROM releases ORDER BY uploaded_at DESC, version DESC')).rows.map(
      toBundle,
    );
  }
}

function toBundle(r: Record<string, unknown>): Bundle {
  return {
    version: r.version as string,
    arch: r.arch as string,
    sha256: r.sha256 as string,
    bytes: Number(r.bytes),
    schema: (r.schema as Bundle['schema']) ?? null,
    uploadedBy: r.uploaded_by as string,
    uploadedAt: new Date(r.uploaded_at as string).toISOString(),
  };
}

/** RELEASE.json of a tarball, read without unpacking it; the tarball must be the release it claims. */
function readMeta(tarball: string, version: string, arch: string): { schema?: Bundle['schema'] } {
  const name = bundleName(version, arch);
  const list = spawnSync('tar', ['-tzf', tarball], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (list.status !== 0) throw new ApiError(422, 'NOT_A_BUNDLE', 'not a gzip tarball');
  const stray = list.stdout.split('\n').find((p) => p && p !== `${name}/` && !p.startsWith(`${name}/`));
  if (stray !== undefined)
    throw new ApiError(422, 'NOT_A_BUNDLE', `everything must sit in ${name}/ (found ${stray})`);
  const r = spawnSync('tar', ['-xzOf', tarball, `${name}/RELEASE.json`], { encoding: 'utf8' });
  let meta: { version?: unknown; arch?: unknown; schema?: Bundle['schema'] };
  try {
    meta = JSON.parse(r.stdout) as typeof meta;
  } catch {
    throw new ApiError(422, 'NOT_A_BUNDLE', `${name}/RELEASE.json missing or not JSON`);
  }
  if (meta.version !== version || meta.arch !== arch)
    throw new ApiError(
      422,
      'NOT_A_BUNDLE',
      `RELEASE.json says ${String(meta.version)} for ${String(meta.arch)}`,
    );
  return meta.schema ? { schema: meta.schema } : {};
}
