// Writes config/schema.json, the JSON Schema of the daemon's config, for editors and
// for HQ tooling that generates store configs. A test keeps the file in step.
//   npm run config:schema
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigSchema } from './schema.js';

/** Properties with a default are optional to whoever writes the file; drop them from
 * `required` so editors do not demand them. */
function optionalDefaults(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(optionalDefaults);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = optionalDefaults(v);
  const props = out.properties as Record<string, { default?: unknown }> | undefined;
  if (Array.isArray(out.required) && props) {
    out.required = (out.required as string[]).filter((k) => props[k]?.default === undefined);
    if ((out.required as string[]).length === 0) delete out.required;
  }
  return out;
}

export function configJsonSchema(): string {
  return `${JSON.stringify(
    {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: 'https://storeedge.local/schemas/config.json',
      title: 'storeedge daemon config',
      ...(optionalDefaults(ConfigSchema) as object),
    },
    null,
    2,
  )}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(fileURLToPath(new URL('./schema.json', import.meta.url)), configJsonSchema());
}
