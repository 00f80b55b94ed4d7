import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, validateConfig } from '../../config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'storeedge-config-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('config loading', () => {
  it('an empty file is the demo defaults, with paths resolved against the file', () => {
    const { config, sha256 } = loadConfig({ file: file('empty.yaml', '') });
    expect(config.store.id).toBe('demo-store-001');
    expect(config.http.port).toBe(8080);
    expect(config.db.path).toBe(join(dir, 'var/storeedge.db'));
    expect(sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('the shipped demo store config is valid', () => {
    const { config } = loadConfig({ file: 'config/demo-store.yaml' });
    expect(config.seed.catalog).toMatch(/config\/demo\/catalog\.json$/);
    expect(config.devices.length).toBeGreaterThan(0);
  });

  it('reads JSON as well as YAML', () => {
    const { config } = loadConfig({
      file: file('c.json', '{"store":{"id":"sh-0042"},"http":{"port":9001}}'),
    });
    expect(config.store.id).toBe('sh-0042');
    expect(config.http.port).toBe(9001);
  });

  it('names the exact path and reason of each problem', () => {
    const problems = problemsOf(() =>
      loadConfig({
        file: file(
          'bad.yaml',
          [
            'http:',
            '  port: 99999',
            '  prot: 1',
            'devices:',
            '  - { id: s1, kind: toaster, driver: x, simulate: true }',
            '  - { id: s1, kind: scale, driver: cas }',
            'logging: { level: loud }',
          ].join('\n'),
        ),
      }),
    );
    expect(problems).toContain('/http/port: must be <= 65535 (got 99999)');
    expect(problems).toContain('/http/prot: unknown setting (check its spelling and section)');
    expect(problems).toContain(
      '/devices/0/kind: must be one of "scanner", "scale", "printer", "payment-terminal", "face-pay" (got "toaster")',
    );
    expect(problems.some((p) => p.startsWith('/logging/level: must be one of'))).toBe(true);
  });

  it('reports missing required fields', () => {
    const problems = problemsOf(() => validateConfig({ devices: [{ kind: 'scale' }] }));
    expect(problems).toContain('/devices/0/id: required');
    expect(problems).toContain('/devices/0/driver: required');
  });

  it('checks what the schema cannot: duplicate ids, barcode layouts, paired TLS files', () => {
    const problems = problemsOf(() =>
      validateConfig({
        devices: [
          { id: 'a', kind: 'scale', driver: 'mt-sics', simulate: true },
          { id: 'a', kind: 'scanner', driver: 'serial-scanner' },
        ],
        barcodes: { variableMeasure: [{ prefix: '22', kind: 'price', itemDigits: 5, valueDigits: 4 }] },
        mqtt: { tls: { certFile: 'client.pem' } },
      }),
    );
    expect(problems).toContain('/devices/1/id: duplicate id "a"');
    expect(problems).toContain('/devices/1/path: required unless "simulate" is true');
    expect(problems.some((p) => p.startsWith('/barcodes/variableMeasure/0: prefix(2)'))).toBe(true);
    expect(problems).toContain('/mqtt/tls: certFile and keyFile go together (client certificate)');
  });

  it('checks cameras: a line of zero length, a singular floor homography, polygons, fps', () => {
    const problems = problemsOf(() =>
      validateConfig({
        cameras: [
          {
            id: 'door',
            source: { type: 'rtsp', url: 'rtsp://10.0.0.21/1' },
            fps: 60,
            lines: [{ id: 'l', a: [0.5, 0.1], b: [0.5, 0.1] }],
            zones: [
              {
                id: 'z',
                polygon: [
                  [0, 0],
                  [1, 1],
                ],
              },
            ],
            floorPlan: { homography: [1, 2, 3, 2, 4, 6, 0, 0, 1], widthM: 10, depthM: 5 },
          },
        ],
      }),
    );
    expect(problems).toContain('/cameras/0/fps: must be <= 30 (got 60)');
    expect(problems.some((p) => p.startsWith('/cameras/0/zones/0/polygon'))).toBe(true);
    const geometry = problemsOf(() =>
      validateConfig({
        cameras: [
          {
            id: 'door',
            source: { type: 'rtsp', url: 'rtsp://10.0.0.21/1' },
            lines: [{ id: 'l', a: [0.5, 0.1], b: [0.5, 0.1] }],
            floorPlan: { homography: [1, 2, 3, 2, 4, 6, 0, 0, 1], widthM: 10, depthM: 5 },
          },
        ],
      }),
    );
    expect(geometry).toContain('/cameras/0/lines/0: a and b are the same point');
    expect(geometry).toContain('/cameras/0/floorPlan/homography: singular (maps the image onto a line)');
  });

  it("checks each device: driver for its kind, network paths, and the driver's options", () => {
    const problems = problemsOf(() =>
      validateConfig({
        devices: [
          { id: 'p', kind: 'printer', driver: 'mt-sics', simulate: true },
          { id: 't', kind: 'payment-terminal', driver: 'nexo', path: '/dev/ttyUSB0' },
          {
            id: 's',
            kind: 'scanner',
            driver: 'serial-scanner',
            simulate: true,
            options: { suffix: 'tab', baud: 1 },
          },
          { id: 'e', kind: 'scanner', driver: 'evdev-scanner', simulate: true },
        ],
      }),
    );
    expect(problems).toContain('/devices/0/driver: "mt-sics" drives a scale, not a printer');
    expect(problems).toContain('/devices/1/path: a network device is "host:port"');
    expect(problems.some((p) => p.startsWith('/devices/2/options/suffix:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('/devices/2/options') && p.includes('baud'))).toBe(true);
    expect(problems.some((p) => p.startsWith('/devices/3/simulate:'))).toBe(true);
    // the driver name itself is checked by the schema
    expect(
      problemsOf(() =>
        validateConfig({ devices: [{ id: 'x', kind: 'scale', driver: 'cas', simulate: true }] }),
      )[0],
    ).toMatch(/^\/devices\/0\/driver/);
  });

  it('rejects YAML syntax errors and non-mapping documents', () => {
    expect(problemsOf(() => loadConfig({ file: file('syntax.yaml', 'http: [1, 2\n') }))[0]).toMatch(
      /^syntax:/,
    );
    expect(problemsOf(() => loadConfig({ file: file('list.yaml', '- 1\n- 2\n') }))).toEqual([
      '/: must be a mapping of settings',
    ]);
    expect(problemsOf(() => loadConfig({ file: file('dupkey.yaml', 'http: {}\nhttp: {}\n') }))[0]).toMatch(
      /^syntax:/,
    );
  });

  it('says so when the file cannot be read', () => {
    expect(problemsOf(() => loadConfig({ file: join(dir, 'nope.yaml') }))).toEqual([
      'cannot read file: ENOENT',
    ]);
  });
});

describe('env overrides', () => {
  it('override file values by path, typed by the schema', () => {
    const { config } = loadConfig({
      file: file(
        'base.yaml',
        'store: { id: "001" }\nhttp: { port: 8080 }\ndevices:\n  - { id: s1, kind: scanner, driver: serial-scanner, path: /dev/ttyS0 }\n',
      ),
      env: {
        STOREEDGE_HTTP__PORT: '9090',
        STOREEDGE_STORE__ID: '0042',
        STOREEDGE_HTTP__BODY_LIMIT_BYTES: '4096',
        STOREEDGE_MQTT__TLS__CA_FILE: '/etc/storeedge/ca.pem',
        STOREEDGE_DEVICES__0__PATH: '/dev/ttyUSB0',
        STOREEDGE_MQTT__ENABLED: 'true',
        STOREEDGE_CONFIG: 'ignored-here',
        UNRELATED: 'x',
      },
    });
    expect(config.http.port).toBe(9090);
    expect(config.store.id).toBe('0042'); // a string stays a string
    expect(config.http.bodyLimitBytes).toBe(4096);
    expect(config.mqtt.tls.caFile).toBe('/etc/storeedge/ca.pem');
    expect(config.devices[0]?.path).toBe('/dev/ttyUSB0');
    expect(config.mqtt.enabled).toBe(true);
  });

  it('an unknown or mistyped override is an error naming the variable', () => {
    expect(problemsOf(() => loadConfig({ env: { STOREEDGE_HTTP__PROT: '1' } }))).toEqual([
      'STOREEDGE_HTTP__PROT: no setting "PROT" under /http',
    ]);
    expect(problemsOf(() => loadConfig({ env: { STOREEDGE_HTTP__PORT: 'eighty' } }))).toEqual([
      'STOREEDGE_HTTP__PORT: /http/port: expected integer, got "eighty"',
    ]);
    expect(problemsOf(() => loadConfig({ env: { STOREEDGE_HTTP__PORT: '70000' } }))).toEqual([
      '/http/port: must be <= 65535 (got 70000)',
    ]);
  });
});
