// Per-driver device settings: checked when the config loads (so a typo names its path
// and stops the start), and read with their defaults when the devices are built.
import type { Static } from 'typebox';
import Value from 'typebox/value';
import { formatSchemaErrors } from './errors.js';
import { type DeviceConfig, DRIVER_KIND, DriverOptions } from './schema.js';

export type DriverName = keyof typeof DriverOptions;
export type OptionsOf<D extends DriverName> = Static<(typeof DriverOptions)[D]>;

/** Problems with one device entry, as "<pointer>: reason" lines. */
export function deviceProblems(d: DeviceConfig, at: string): string[] {
  const problems: string[] = [];
  if (DRIVER_KIND[d.driver] !== d.kind)
    problems.push(`${at}/driver: "${d.driver}" drives a ${DRIVER_KIND[d.driver]}, not a ${d.kind}`);
  if (d.simulate && d.driver === 'evdev-scanner')
    problems.push(
      `${at}/simulate: evdev-scanner has no simulator; use serial-scanner for a simulated scanner`,
    );
  if (
    !d.simulate &&
    (d.driver === 'escpos' || d.driver === 'nexo') &&
    d.path &&
    !/^[^:\s]+:\d{1,5}$/.test(d.path)
  )
    problems.push(`${at}/path: a network device is "host:port"`);
  const schema = DriverOptions[d.driver];
  const withDefaults = Value.Default(schema, structuredClone(d.options));
  if (!Value.Check(schema, withDefaults))
    for (const line of formatSchemaErrors(Value.Errors(schema, withDefaults), withDefaults))
      problems.push(`${at}/options${line.startsWith('/:') ? line.slice(1) : line}`);
  return problems;
}

export function driverOptions<D extends DriverName>(d: DeviceConfig & { driver: D }): OptionsOf<D> {
  return Value.Default(DriverOptions[d.driver], structuredClone(d.options)) as OptionsOf<D>;
}
