import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../config/write-schema.js';

describe('config/schema.json', () => {
  it('is in step with config/schema.ts (run `npm run config:schema` after changing it)', () => {
    expect(readFileSync('config/schema.json', 'utf8')).toBe(configJsonSchema());
  });

  it('lets a file leave out what has a default', () => {
    const schema = JSON.parse(configJsonSchema());
    expect(schema.required).toBeUndefined();
    expect(schema.properties.devices.items.required).toEqual(['id', 'kind', 'driver']);
  });
});
