import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import Type, { type Static } from 'typebox';
import Value from 'typebox/value';
import { formatSchemaErrors } from '../../config/errors.js';

// A model is a manifest beside its ONNX file: where it came from, its licence, how to
// feed it and how to read it. The hash is checked at every load, so a truncated copy or
// a swapped file is refused before onnxruntime sees it.

export const ModelManifestSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' }),
    version: Type.String({ minLength: 1, maxLength: 64 }),
    file: Type.String({ pattern: '^[A-Za-z0-9._-]+\\.onnx$' }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    bytes: Type.Integer({ minimum: 1 }),
    architecture: Type.String(),
    license: Type.String({ minLength: 1 }),
    source: Type.Object({}, { additionalProperties: true }),
    input: Type.Object({
      name: Type.String({ minLength: 1 }),
      size: Type.Integer({ minimum: 32, maximum: 2048 }),
      layout: Type.Literal('NCHW'),
      channels: Type.Union([Type.Literal('RGB'), Type.Literal('BGR')]),
      mean: Type.Array(Type.Number(), { minItems: 3, maxItems: 3 }),
      std: Type.Array(Type.Number({ exclusiveMinimum: 0 }), { minItems: 3, maxItems: 3 }),
    }),
    decoder: Type.Union([Type.Literal('nanodet-gfl'), Type.Literal('centernet-ltrb')]),
    classes: Type.Array(Type.String(), { minItems: 1, maxItems: 1000 }),
    personClass: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

export type ModelManifest = Static<typeof ModelManifestSchema>;

export class ModelRejectedError extends Error {
  constructor(
    readonly modelId: string,
    reason: string,
  ) {
    super(`model ${modelId} refused: ${reason}`);
    this.name = 'ModelRejectedError';
  }
}

export function parseManifest(raw: unknown, label: string): ModelManifest {
  if (!Value.Check(ModelManifestSchema, raw)) {
    const why = formatSchemaErrors([...Value.Errors(ModelManifestSchema, raw)], raw).join('; ');
    throw new ModelRejectedError(label, `manifest invalid: ${why}`);
  }
  if (raw.personClass >= raw.classes.length)
    throw new ModelRejectedError(raw.id, 'manifest invalid: personClass is not a class index');
  return raw;
}

/** Reads a manifest and its model bytes, refusing a wrong size or hash. */
export async function readModel(manifestPath: string): Promise<{ manifest: ModelManifest; bytes: Buffer }> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch (err) {
    throw new ModelRejectedError(manifestPath, `manifest unreadable: ${(err as Error).message}`);
  }
  const manifest = parseManifest(raw, manifestPath);
  const bytes = await readFile(join(dirname(manifestPath), manifest.file)).catch((err: Error) => {
    throw new ModelRejectedError(manifest.id, `model file unreadable: ${err.message}`);
  });
  if (bytes.length !== manifest.bytes)
    throw new ModelRejectedError(manifest.id, `size ${bytes.length} bytes, manifest says ${manifest.bytes}`);
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== manifest.sha256)
    throw new ModelRejectedError(manifest.id, `sha256 ${sha} does not match the manifest`);
  return { manifest, bytes };
}
