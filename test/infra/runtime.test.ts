// The suites run on the Node.js the project ships (node-linux-<arch> from the npm
// registry, put first on PATH by npm), not on whatever Node ran `npm install`: Node 20
// reached end of life on 2026-04-30 and the daemon is supported on Node 24 LTS alone.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  engines: { node: string };
  optionalDependencies: Record<string, string>;
};

describe('runtime', () => {
  it('is the Node 24 LTS the project ships, within the engines range', () => {
    const shipped = pkg.optionalDependencies[`node-linux-${process.arch}`];
    expect(shipped).toMatch(/^24\.\d+\.\d+$/);
    expect(process.versions.node).toBe(shipped);
    expect(process.execPath).toContain(`node_modules/node-linux-${process.arch}/bin/node`);
    const [, minMajor, minMinor] = /^>=(\d+)\.(\d+) <(\d+)$/.exec(pkg.engines.node) ?? [];
    const [major, minor] = process.versions.node.split('.').map(Number);
    expect(major).toBe(Number(minMajor));
    expect(minor).toBeGreaterThanOrEqual(Number(minMinor));
  });

  it('loads the ABI-bound addon built for it (better-sqlite3 against its own headers)', () => {
    const Database = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');
    const db = new Database(':memory:');
    expect(db.prepare('select sqlite_version() as v').get()).toMatchObject({ v: expect.any(String) });
    db.close();
  });
});
