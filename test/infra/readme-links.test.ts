// The README's relative links point at files that exist (the docs site's own links are
// checked by its build, `npm run docs:build`, which fails on a dead one).
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('README', () => {
  it('links only to files that exist, and stays short', () => {
    const text = readFileSync('README.md', 'utf8');
    const targets = [...text.matchAll(/\]\(([^)#]+)(#[^)]*)?\)/g)]
      .map((m) => m[1]!)
      .filter((t) => !/^[a-z]+:/.test(t));
    expect(targets.length).toBeGreaterThan(5);
    expect(targets.filter((t) => !existsSync(t))).toEqual([]);
    expect(text.split('\n').length).toBeLessThan(150);
    expect(text).not.toMatch(/\bissues? \d+/i);
  });
});
