// Builds the store box's release from this checkout:
//   - a self-contained bundle: the built daemon, its production node_modules (native
//     addons built for the bundled Node), the Node 24 runtime itself, the pages, the
//     model and its manifest, default config and a `storeedge` launcher, as a tarball
//     with its SHA-256 (what HQ pushes as a software update);
//   - a Debian package that installs it under /opt/storeedge/<version>, with the
//     systemd unit, udev rules, /etc/storeedge and a storeedge system user.
// npm run release [-- --out DIR] [--version X.Y.Z] [--no-deb]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compatibleFloor } from '../db/migrate.js';
import { migrations } from '../db/migrations/index.js';
import { bundledNode, ensureNativeAddons, unloadableAddons } from './native-addons.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');

export interface ReleaseOptions {
  out: string;
  /** defaults to package.json's */
  version?: string;
  deb?: boolean;
  log?: (line: string) => void;
}

export interface Release {
  version: string;
  arch: string;
  /** the unpacked bundle */
  dir: string;
  tarball: string;
  sha256: string;
  deb?: string;
}

const DEB_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };

function run(cmd: string, args: string[], cwd = root): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) {
    throw new Error(`release: ${cmd} ${args.join(' ')} failed (exit ${r.status}): ${r.stderr || r.stdout}`);
  }
  return r.stdout;
}

/** Files a box never needs: other platforms' binaries, addon sources and build leftovers. */
function pruned(arch: string): (rel: string) => boolean {
  const drop = [
    /^onnxruntime-node\/bin\/napi-v\d+\/(?!linux(\/|$))/,
    new RegExp(`^onnxruntime-node/bin/napi-v\\d+/linux/(?!${arch}(/|$))`),
    new RegExp(`^@serialport/bindings-cpp/prebuilds/(?!linux-${arch}(/|$))`),
    /^better-sqlite3\/(deps|src)(\/|$)/,
    /^(better-sqlite3|unix-dgram)\/build\/(deps|Release\/(obj|obj\.target|\.deps|test_extension\.node|sqlite3\.a))(\/|$)/,
    /^unix-dgram\/src(\/|$)/,
  ];
  return (rel) => !drop.some((re) => re.test(rel));
}

/** The production dependency tree, as folders relative to node_modules. */
function productionPackages(): string[] {
  const nm = join(root, 'node_modules') + sep;
  return run('npm', ['ls', '--omit=dev', '--all', '--parseable'])
    .split('\n')
    .filter((p) => p.startsWith(nm))
    .map((p) => relative(join(root, 'node_modules'), p))
    .filter((p) => !/^node-linux-/.test(p));
}

function sha256File(path: string): Promise<string> {
  return new Promise((res, rej) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('end', () => res(h.digest('hex')))
      .on('error', rej);
  });
}

function dirBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) n += statSync(join(e.parentPath, e.name)).size;
  }
  return n;
}

/** tar's options for a reproducible archive: names sorted, owner root, every mtime `epoch` */
export const reproducibleTar = (epoch: string | number) => [
  '--sort=name',
  '--owner=0',
  '--group=0',
  '--numeric-owner',
  `--mtime=@${epoch}`,
];

export async function buildRelease(opts: ReleaseOptions): Promise<Release> {
  const log = opts.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    description: string;
    engines: Record<string, string>;
  };
  const version = opts.version ?? pkg.version;
  if (!/^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/.test(version))
    throw new Error(`release: bad version ${version}`);
  const arch = process.arch;
  const node = bundledNode(root);
  if (!node) throw new Error(`release: no node-linux-${arch} in node_modules (run npm install)`);
  const out = resolve(opts.out);
  const name = `storeedge-${version}-linux-${arch}`;
  const dir = join(out, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });

  log(`release ${version}: building the daemon`);
  run(node.bin, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json']);
  const distOut = resolve(root, 'dist');
  for (const entry of readdirSync(distOut)) {
    // the output folder may sit inside dist/: never copy a release into itself
    if (out === join(distOut, entry) || out.startsWith(join(distOut, entry) + sep)) continue;
    cpSync(join(distOut, entry), join(dir, 'dist', entry), { recursive: true });
  }
  cpSync(join(root, 'edge/ui'), join(dir, 'edge/ui'), { recursive: true });
  mkdirSync(join(dir, 'models/weights'), { recursive: true });
  for (const f of readdirSync(join(root, 'models/weights'))) {
    if (/\.(onnx|json|md)$/.test(f))
      copyFileSync(join(root, 'models/weights', f), join(dir, 'models/weights', f));
  }
  mkdirSync(join(dir, 'config'), { recursive: true });
  copyFileSync(join(root, 'config/schema.json'), join(dir, 'config/schema.json'));
  copyFileSync(join(here, 'files/store.yaml'), join(dir, 'config/store.yaml'));

  log('release: production node_modules');
  // addons are built here, where their sources are: the bundle keeps only what loads
  const rebuilt = ensureNativeAddons(root, node.bin, node.nodedir);
  if (rebuilt.length) log(`release: rebuilt ${rebuilt.join(', ')} for the bundled Node`);
  const keep = pruned(arch);
  for (const p of productionPackages()) {
    const from = join(root, 'node_modules', p);
    cpSync(from, join(dir, 'node_modules', p), {
      recursive: true,
      filter: (src) =>
        // nested packages are copied on their own (dev ones never)
        !relative(from, src).split(sep).includes('node_modules') &&
        keep(relative(join(root, 'node_modules'), src).split(sep).join('/')),
    });
  }

  mkdirSync(join(dir, 'node/bin'), { recursive: true });
  copyFileSync(node.bin, join(dir, 'node/bin/node'));
  chmodSync(join(dir, 'node/bin/node'), 0o755);
  copyFileSync(join(node.nodedir, 'LICENSE'), join(dir, 'node/LICENSE'));
  mkdirSync(join(dir, 'bin'));
  copyFileSync(join(here, 'files/storeedge'), join(dir, 'bin/storeedge'));
  chmodSync(join(dir, 'bin/storeedge'), 0o755);
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: pkg.name, version, description: pkg.description, type: 'module', engines: pkg.engines, private: true }, null, 2)}\n`,
  );
  const model = JSON.parse(readFileSync(join(root, 'models/weights/nanodet-m-416.json'), 'utf8')) as {
    id: string;
    version: string;
    sha256: string;
  };
  writeFileSync(
    join(dir, 'RELEASE.json'),
    `${JSON.stringify(
      {
        version,
        arch,
        node: node.version,
        model: { id: model.id, version: model.version, sha256: model.sha256 },
        // the updater refuses a switch that the running version could not come back from
        schema: { version: migrations.length, lastCompatible: compatibleFloor(migrations) },
      },
      null,
      2,
    )}\n`,
  );

  // The bundle must run on its own Node: addons load, the default config checks out.
  const broken = unloadableAddons(dir, join(dir, 'node/bin/node'));
  if (broken.length) throw new Error(`release: ${broken.join(', ')} do not load in the bundle`);
  run(join(dir, 'bin/storeedge'), ['--check-config', '--config', join(dir, 'config/store.yaml')], dir);

  // Reproducible archives: names sorted, owner root, mtimes from the commit.
  const epoch = run('git', ['log', '-1', '--format=%ct']).trim() || '0';
  const tarball = join(out, `${name}.tar.gz`);
  log(`release: ${relative(root, tarball)} (${Math.round(dirBytes(dir) / 1e6)} MB unpacked)`);
  run('tar', [...reproducibleTar(epoch), '-czf', tarball, '-C', out, name]);
  const sha256 = await sha256File(tarball);
  writeFileSync(`${tarball}.sha256`, `${sha256}  ${name}.tar.gz\n`);
  const release: Release = { version, arch, dir, tarball, sha256 };

  if (opts.deb !== false) release.deb = buildDeb(out, dir, version, arch, pkg.description, epoch, log);
  log(`release ${version}: done`);
  return release;
}

function buildDeb(
  out: string,
  bundle: string,
  version: string,
  arch: string,
  description: string,
  epoch: string,
  log: (line: string) => void,
): string {
  const debArch = DEB_ARCH[arch];
  if (!debArch) throw new Error(`release: no Debian architecture for ${arch}`);
  const tree = join(out, `deb-${version}`);
  rmSync(tree, { recursive: true, force: true });
  const installed = `/opt/storeedge/${version}`;
  cpSync(bundle, join(tree, installed), { recursive: true });
  const put = (dest: string, text: string, mode = 0o644) => {
    mkdirSync(dirname(join(tree, dest)), { recursive: true });
    writeFileSync(join(tree, dest), text);
    chmodSync(join(tree, dest), mode);
  };
  const file = (name: string) => readFileSync(join(here, name), 'utf8');
  put(
    '/usr/lib/storeedge/storeedge-start',
    file('files/storeedge-start').replace('@INSTALLED@', installed),
    0o755,
  );
  put('/usr/lib/systemd/system/storeedge.service', file('files/storeedge.service'));
  put('/usr/lib/udev/rules.d/99-storeedge.rules', file('files/99-storeedge.rules'));
  put('/etc/storeedge/store.yaml', file('files/store.yaml'), 0o640);
  put('/usr/share/doc/storeedge/README.md', readFileSync(join(root, 'README.md'), 'utf8'));
  // what whoever runs the box reads there: install, the unit, updates, offline and support
  for (const page of ['store-box.md', 'config.md', 'storage.md'])
    put(`/usr/share/doc/storeedge/${page}`, readFileSync(join(root, 'docs', page), 'utf8'));
  const kib = Math.ceil(dirBytes(tree) / 1024);
  put(
    '/DEBIAN/control',
    [
      'Package: storeedge',
      `Version: ${version}`,
      `Architecture: ${debArch}`,
      'Maintainer: storeedge team <ops@storeedge.invalid>',
      `Installed-Size: ${kib}`,
      // ffmpeg decodes camera feeds; socat only carries simulated serial devices
      // zstd rebuilds a delta update against the release the box runs (without it: full bundles)
      'Depends: ffmpeg, passwd, zstd',
      'Recommends: socat',
      'Section: misc',
      'Priority: optional',
      `Description: ${description}`,
      ' One daemon per store: devices, offline checkout and coupons, on-device',
      ' people counting and heatmaps, and sync with HQ over MQTT. Runs on the',
      ' Node.js it ships in /opt/storeedge/<version>/node.',
      '',
    ].join('\n'),
  );
  put('/DEBIAN/conffiles', '/etc/storeedge/store.yaml\n');
  put('/DEBIAN/postinst', file('debian/postinst').replace('@VERSION@', version), 0o755);
  put('/DEBIAN/prerm', file('debian/prerm'), 0o755);
  put('/DEBIAN/postrm', file('debian/postrm'), 0o755);
  const deb = join(out, `storeedge_${version}_${debArch}.deb`);
  log(`release: ${relative(root, deb)}`);
  const r = spawnSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', tree, deb], {
    encoding: 'utf8',
    env: { ...process.env, SOURCE_DATE_EPOCH: epoch },
  });
  if (r.status !== 0) throw new Error(`release: dpkg-deb failed: ${r.stderr}`);
  rmSync(tree, { recursive: true, force: true });
  return deb;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: join(root, 'dist/release') },
      version: { type: 'string' },
      'no-deb': { type: 'boolean', default: false },
    },
  });
  if (!existsSync(join(root, 'node_modules'))) throw new Error('release: run npm install first');
  const r = await buildRelease({
    out: values.out,
    deb: !values['no-deb'],
    ...(values.version ? { version: values.version } : {}),
  });
  process.stdout.write(`${JSON.stringify({ ...r, dir: relative(root, r.dir) }, null, 2)}\n`);
}
