// `storeedge support-bundle [--out FILE]` on the box: the same bundle HQ can ask for, built
// from the config, the database (read-only), the running daemon's /readyz on loopback
// (parts and devices; absent when it is not running) and the journal's last lines of the
// service (when the box runs it under systemd).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { LoadedConfig } from '../../config/load.js';
import { VERSION } from '../../sync/kernel/version.js';
import { buildSupportBundle, migrationState, packBundle } from './bundle.js';

async function live(loaded: LoadedConfig): Promise<unknown> {
  const h = loaded.config.http;
  const host = !h.host || h.host === '0.0.0.0' || h.host === '::' ? '127.0.0.1' : h.host;
  try {
    const r = await fetch(`http://${host.includes(':') ? `[${host}]` : host}:${h.port}/readyz`, {
      signal: AbortSignal.timeout(3000),
    });
    return await r.json();
  } catch (err) {
    return { running: false, note: `no daemon answered on ${host}:${h.port}: ${(err as Error).message}` };
  }
}

function journal(): { source: string; lines: string[] } {
  const r = spawnSync('journalctl', ['-u', 'storeedge', '-n', '2000', '-o', 'cat', '--no-pager'], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (r.status !== 0 || r.error)
    return {
      source: 'no systemd journal here (the daemon’s own lines come with a bundle HQ asks for)',
      lines: [],
    };
  return { source: 'journalctl -u storeedge -n 2000', lines: r.stdout.split('\n').filter(Boolean) };
}

export async function supportBundleCommand(
  loaded: LoadedConfig,
  out: string | undefined,
  say: (line: string, ok: boolean) => void,
): Promise<number> {
  let migrations: unknown;
  try {
    const db = new Database(loaded.config.db.path, { readonly: true, fileMustExist: true });
    try {
      migrations = migrationState(db);
    } finally {
      db.close();
    }
  } catch (err) {
    migrations = { error: (err as Error).message };
  }
  const bundle = await buildSupportBundle({
    loaded,
    version: VERSION,
    migrations,
    live: await live(loaded),
    logs: journal(),
  });
  const stamp = bundle.createdAt.replace(/[-:]/g, '').replace(/\..*$/, '');
  const file = out ?? `storeedge-support-${bundle.storeId}-${stamp}.json.gz`;
  try {
    writeFileSync(file, packBundle(bundle), { mode: 0o600 });
  } catch (err) {
    say(`storeedge: cannot write ${file}: ${(err as Error).message}`, false);
    return 1;
  }
  say(`storeedge: support bundle written to ${file} (gzipped JSON; secrets redacted)`, true);
  return 0;
}
