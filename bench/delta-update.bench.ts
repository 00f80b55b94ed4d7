// Bytes a store downloads for a software update: the full bundle (the baseline) against a
// delta from the release it runs (hq/releases/deltas.ts makes it, edge/updates/delta.ts
// rebuilds the tar from the bundle the store kept), for a one-line change and for a
// dependency bump (fastify replaced by the version before it, fetched from the npm
// registry). Each delta is applied and checked against the new tar's SHA-256, and the
// rollout to 1,000 stores is worked out from the measured bytes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRelease, reproducibleTar } from '../edge/release/build.js';
import { rebuildFromDelta } from '../edge/updates/delta.js';
import { makeDelta } from '../hq/releases/deltas.js';

const STORES = 1000;
const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
const kb = (b: number) => `${(b / 1e3).toFixed(0)} KB`;

/** A new release made from `dir` (hard links, a changed file replaced), packed as releases are. */
function derive(work: string, dir: string, version: string, change: (d: string) => void): string {
  const name = `storeedge-${version}-linux-${process.arch}`;
  const d = join(work, name);
  execFileSync('cp', ['-al', dir, d]);
  const meta = join(d, 'RELEASE.json');
  const text = readFileSync(meta, 'utf8');
  rmSync(meta);
  writeFileSync(meta, JSON.stringify({ ...JSON.parse(text), version }, null, 2));
  change(d);
  const tarball = join(work, `${name}.tar.gz`);
  // as edge/release/build.ts packs: sorted names, owner root, one mtime: a later commit's,
  // so every tar header differs from the running release's as in a real next release
  const epoch =
    Number(execFileSync('git', ['log', '-1', '--format=%ct'], { encoding: 'utf8' }).trim()) + 3600;
  execFileSync('tar', [...reproducibleTar(epoch), '-czf', tarball, '-C', work, name]);
  rmSync(d, { recursive: true, force: true });
  return tarball;
}

function oneLine(d: string): void {
  const main = join(d, 'dist/edge/main.js');
  const text = readFileSync(main, 'utf8');
  rmSync(main);
  writeFileSync(main, `${text}\n// a one-line change\n`);
}

/** fastify replaced by the version published before the one in the bundle. */
function bumpFastify(work: string): (d: string) => void {
  const here = (d: string) => JSON.parse(readFileSync(join(d, 'node_modules/fastify/package.json'), 'utf8'));
  return (d) => {
    const now = here(d).version as string;
    const all = JSON.parse(
      execFileSync('npm', ['view', 'fastify', 'versions', '--json'], { encoding: 'utf8' }),
    ) as string[];
    const before = all.filter((v) => !v.includes('-'))[all.filter((v) => !v.includes('-')).indexOf(now) - 1];
    if (!before) throw new Error(`no fastify before ${now}`);
    const file = execFileSync('npm', ['pack', `fastify@${before}`, '--pack-destination', work, '--silent'], {
      encoding: 'utf8',
    }).trim();
    rmSync(join(d, 'node_modules/fastify'), { recursive: true });
    execFileSync('mkdir', ['-p', join(d, 'node_modules/fastify')]);
    execFileSync('tar', [
      '-xzf',
      join(work, file),
      '-C',
      join(d, 'node_modules/fastify'),
      '--strip-components=1',
    ]);
    console.log(`  dependency bump: fastify ${now} → ${before} (${file})`);
  };
}

async function measure(work: string, label: string, from: string, to: string): Promise<void> {
  const full = statSync(to).size;
  const patch = join(work, `${label}.zst`);
  let t = performance.now();
  const d = await makeDelta(from, to, patch);
  const makeS = (performance.now() - t) / 1000;
  t = performance.now();
  const out = join(work, `${label}.tar`);
  await rebuildFromDelta({ kept: from, patch, out, offer: { from: '0', url: 'http://x/', ...d } });
  const applyS = (performance.now() - t) / 1000;
  rmSync(out, { force: true });
  rmSync(patch, { force: true });
  console.log(
    `  ${label}: delta ${kb(d.bytes)} against the full bundle's ${mb(full)} → ${(d.bytes / full).toFixed(4)} of the baseline; ` +
      `made in ${makeS.toFixed(1)} s at HQ, rebuilt and checked in ${applyS.toFixed(1)} s at the store; ` +
      `a rollout to ${STORES} stores: ${mb(d.bytes * STORES)} instead of ${mb(full * STORES)}`,
  );
}

export async function run(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'storeedge-bench-delta-'));
  try {
    const r = await buildRelease({ out: work, deb: false, log: () => undefined });
    console.log(`  release ${r.version}: ${mb(statSync(r.tarball).size)} packed`);
    await measure(work, 'one-line change', r.tarball, derive(work, r.dir, '9.0.1', oneLine));
    await measure(work, 'dependency bump', r.tarball, derive(work, r.dir, '9.0.2', bumpFastify(work)));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
