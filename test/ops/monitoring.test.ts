// The operations kit (config/monitoring): the alert rules pass `promtool check rules`
// and their unit tests (`promtool test rules`, Debian's prometheus package); the Grafana
// dashboards are well-formed; and every metric a rule or a panel names is served, with
// samples, by a real store daemon (the demo store: simulated devices, the sample clip,
// synced to HQ) and by HQ's /metrics.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createMetrics, type HealthView } from '../../edge/api/metrics.js';
import { startDemoStoreOn, startHq, type TestHq } from '../helpers/chain.js';
import type { RunningDaemon } from '../helpers/daemon.js';
import { waitFor } from '../helpers/ports.js';

const DIR = 'config/monitoring';
const RULES = { store: `${DIR}/store.rules.yml`, hq: `${DIR}/hq.rules.yml` };
// biome-ignore lint/suspicious/noExplicitAny: rule files and dashboards are read loosely
type J = any;

const promtool = (...args: string[]) =>
  execFileSync('promtool', args, { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });

/** metric names an expression uses (ours only: `up` is Prometheus' own) */
const metricsIn = (expr: string) =>
  [...expr.matchAll(/\b((?:storeedge|hq)_[a-z0-9_]+)/g)].map((m) =>
    m[1]!.replace(/_(bucket|sum|count)$/, ''),
  );

const ruleExprs = (file: string): string[] =>
  (parse(readFileSync(file, 'utf8')) as J).groups.flatMap((g: J) => g.rules.map((r: J) => r.expr as string));
const dashboardExprs = (file: string): string[] =>
  (JSON.parse(readFileSync(file, 'utf8')) as J).panels.flatMap((p: J) => p.targets.map((t: J) => t.expr));

/** names that have at least one sample in a Prometheus text scrape */
const sampled = (text: string) =>
  new Set(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(/[{ ]/)[0]!.replace(/_(bucket|sum|count)$/, '')),
  );

describe('alert rules', () => {
  it('pass promtool check rules', () => {
    const out = promtool('check', 'rules', RULES.store, RULES.hq);
    expect(out).toContain('SUCCESS: 9 rules found');
    expect(out).toContain('SUCCESS: 6 rules found');
  });

  it('pass their promtool unit tests, one or more per alert', () => {
    for (const [name, file] of Object.entries(RULES)) {
      const tests = readFileSync(file.replace('.rules.yml', '.rules.test.yml'), 'utf8');
      for (const r of (parse(readFileSync(file, 'utf8')) as J).groups[0].rules)
        expect(tests, `${name}: ${r.alert} has a unit test`).toContain(`alertname: ${r.alert}`);
      expect(promtool('test', 'rules', file.replace('.rules.yml', '.rules.test.yml'))).toContain('SUCCESS');
    }
  });

  it('fail promtool on a broken rule (the check is real)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'storeedge-rules-'));
    const bad = join(dir, 'bad.rules.yml');
    execFileSync('sh', [
      '-c',
      `printf 'groups:\\n  - name: x\\n    rules:\\n      - alert: X\\n        expr: sum(\\n' > ${bad}`,
    ]);
    expect(() => promtool('check', 'rules', bad)).toThrow(/parse error|unclosed/);
  });

  it('Grafana dashboards are JSON with a Prometheus datasource variable and a query per panel', () => {
    const files = readdirSync(DIR).filter((f) => f.startsWith('grafana-'));
    expect(files.sort()).toEqual(['grafana-hq.json', 'grafana-store.json']);
    for (const f of files) {
      const d = JSON.parse(readFileSync(join(DIR, f), 'utf8')) as J;
      expect(d.templating.list.find((v: J) => v.type === 'datasource')?.query).toBe('prometheus');
      expect(d.panels.length).toBeGreaterThanOrEqual(6);
      for (const p of d.panels) expect(p.targets.length, p.title).toBeGreaterThan(0);
    }
  });
});

it('an unknown figure is no series at all: no clock alert before HQ answered, no model alert without people counting', async () => {
  const scrape = async (health: HealthView) =>
    createMetrics(
      () => [],
      () => [],
      () => null,
      () => null,
      () => null,
      () => health,
    ).registry.metrics();
  const unknown = await scrape({ clockOffsetMs: null });
  expect(unknown).not.toMatch(/^storeedge_clock_offset_seconds/m);
  expect(unknown).not.toMatch(/^storeedge_vision_model_ready/m);
  const known = await scrape({ clockOffsetMs: -8000, visionModel: { id: null } });
  expect(known).toMatch(/^storeedge_clock_offset_seconds\{reference="hq"\} -8$/m);
  expect(known).toMatch(/^storeedge_vision_model_ready\{model="none"\} 0$/m);
  const running = await scrape({ clockOffsetMs: 12, visionModel: { id: 'nanodet-m-416' } });
  expect(running).toMatch(/^storeedge_vision_model_ready\{model="nanodet-m-416"\} 1$/m);
});

describe('every metric named in a rule or a dashboard is served', () => {
  let hq: TestHq;
  let store: RunningDaemon;
  beforeAll(async () => {
    hq = await startHq();
    store = await startDemoStoreOn(hq);
  }, 90_000);
  afterAll(async () => {
    await store?.stop();
    await hq?.stop();
  });

  it('by a store daemon synced to HQ, and by HQ with an event in quarantine', async () => {
    const wanted = {
      store: [...ruleExprs(RULES.store), ...dashboardExprs(`${DIR}/grafana-store.json`)].flatMap(metricsIn),
      hq: [...ruleExprs(RULES.hq), ...dashboardExprs(`${DIR}/grafana-hq.json`)].flatMap(metricsIn),
    };
    expect(new Set(wanted.store).size).toBeGreaterThanOrEqual(12);
    // the clock offset is measured once the store has asked HQ the time
    const scrape = async (url: string) => sampled(await (await fetch(`${url}/metrics`)).text());
    /** the wanted names /metrics at url does not serve, once it serves them all or the time is up */
    const missing = async (url: string, names: string[], ms: number) => {
      const seen = await waitFor(
        `every metric the rules use at ${url}`,
        async () => {
          const s = await scrape(url);
          return names.every((m) => s.has(m)) ? s : undefined;
        },
        ms,
      ).catch(() => scrape(url));
      return names.filter((m) => !seen.has(m));
    };
    expect(await missing(store.address, wanted.store, 30_000)).toEqual([]);

    // a broken event from the store's topic lands in HQ's quarantine, by reason
    const c = await mqtt.connectAsync(hq.broker.url, { protocolVersion: 5 });
    await c.publishAsync('storeedge/v1/demo-store-001/evt/sale.completed', 'not json', { qos: 1 });
    await c.endAsync();
    expect(await missing(hq.url, wanted.hq, 15_000)).toEqual([]);
  }, 90_000);
});
