// Builds the native addons that are tied to one Node ABI (better-sqlite3 and unix-dgram use V8's API,
// not N-API) against the Node runtime the project ships (the node-linux-<arch> package),
// so the daemon and its tests run on Node 24 whatever Node ran `npm install`.
// Run as the root package's postinstall, and by the release builder for the bundle.
// N-API addons (sharp, onnxruntime-node, @serialport/bindings-cpp) load on any Node.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ABI_BOUND = ['better-sqlite3', 'unix-dgram'];

/** The Node runtime shipped for this machine: its binary, its headers' folder, its version. */
export function bundledNode(root) {
  const pkg = `node-linux-${process.arch}`;
  const dir = join(root, 'node_modules', pkg);
  if (!existsSync(join(dir, 'package.json'))) return undefined;
  const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  return { bin: join(dir, 'bin', 'node'), nodedir: dir, version, pkg };
}

function loads(root, nodeBin, name) {
  const probe =
    name === 'better-sqlite3'
      ? "const D=require('better-sqlite3');new D(':memory:').close()"
      : `require(${JSON.stringify(name)})`;
  const r = spawnSync(nodeBin, ['-e', probe], { cwd: root, encoding: 'utf8' });
  return r.status === 0;
}

function nodeGyp() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) {
    return process.env.npm_config_node_gyp;
  }
  // Outside an npm script: npm's own copy, beside npm-cli.js.
  const npmCli = process.env.npm_execpath;
  if (npmCli) {
    const candidate = resolve(dirname(npmCli), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    if (existsSync(candidate)) return candidate;
  }
  try {
    return createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    throw new Error('native-addons: node-gyp not found (run this through npm)');
  }
}

/** The ABI-bound addons under `root` that do not load on `nodeBin`. */
export function unloadableAddons(root, nodeBin) {
  return ABI_BOUND.filter(
    (name) => existsSync(join(root, 'node_modules', name)) && !loads(root, nodeBin, name),
  );
}

/**
 * Makes every ABI-bound addon under `root` load on `nodeBin`, rebuilding from source
 * against `nodedir`'s headers where it does not. Returns the names it rebuilt.
 */
export function ensureNativeAddons(root, nodeBin, nodedir) {
  const rebuilt = [];
  for (const name of unloadableAddons(root, nodeBin)) {
    const dir = join(root, 'node_modules', name);
    console.log(`native-addons: building ${name} for ${nodeBin}`);
    const r = spawnSync(nodeBin, [nodeGyp(), 'rebuild', '--release', `--nodedir=${nodedir}`, '--jobs=max'], {
      cwd: dir,
      stdio: ['ignore', 'inherit', 'inherit'],
      // node-gyp must find Node's headers in nodedir, never download them.
      env: { ...process.env, npm_config_nodedir: nodedir },
    });
    if (r.status !== 0) throw new Error(`native-addons: building ${name} failed (exit ${r.status})`);
    if (!loads(root, nodeBin, name))
      throw new Error(`native-addons: ${name} still does not load on ${nodeBin}`);
    rebuilt.push(name);
  }
  return rebuilt;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const node = bundledNode(root);
  if (!node) {
    // No runtime package for this platform (not linux x64/arm64): build for the Node running npm.
    console.warn(`native-addons: no node-linux-${process.arch} package; building for ${process.version}`);
    ensureNativeAddons(
      root,
      process.execPath,
      process.env.npm_config_nodedir ?? dirname(dirname(process.execPath)),
    );
  } else {
    const rebuilt = ensureNativeAddons(root, node.bin, node.nodedir);
    console.log(
      `native-addons: Node ${node.version}: ${rebuilt.length ? `built ${rebuilt.join(', ')}` : 'all load'}`,
    );
  }
}
