// npm run docs:contracts: renders the store's and HQ's OpenAPI documents and the MQTT
// AsyncAPI document into pages of the docs site (docs/reference/, generated, not kept in
// git), so the site always shows the contracts the code serves.
import { mkdirSync, writeFileSync } from 'node:fs';
import { asyncApiDocument } from '../../../sync/asyncapi.js';
import { hqDocument, storeDocument } from './generate.js';

// biome-ignore lint/suspicious/noExplicitAny: the documents are parsed JSON
type J = any;
const OUT = 'docs/reference';

/** Text safe in VitePress markdown (Vue reads `{{` and tags outside code). */
const text = (s: unknown) =>
  String(s ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/\{/g, '&#123;')
    .replace(/\|/g, '\\|')
    .replace(/\n+/g, ' ');
const code = (s: unknown) => `\`${String(s).replace(/`/g, "'")}\``;
const schemaBlock = (title: string, schema: unknown) =>
  schema
    ? [
        `<details><summary>${title}</summary>`,
        '',
        '```json',
        JSON.stringify(schema, null, 2),
        '```',
        '',
        '</details>',
        '',
      ]
    : [];

function openApiPage(doc: J, title: string, intro: string): string {
  const out = [`# ${title}`, '', intro, '', `OpenAPI ${doc.openapi}, version ${doc.info?.version}.`, ''];
  const byTag = new Map<string, string[]>();
  for (const [path, ops] of Object.entries<J>(doc.paths ?? {}))
    for (const [method, op] of Object.entries<J>(ops)) {
      if (!['get', 'put', 'post', 'delete', 'patch'].includes(method)) continue;
      const tag = op.tags?.[0] ?? 'other';
      const lines = [`### ${method.toUpperCase()} ${code(path)}`, ''];
      if (op.summary) lines.push(text(op.summary), '');
      if (op.description && op.description !== op.summary) lines.push(text(op.description), '');
      const params = (op.parameters ?? []) as J[];
      if (params.length) {
        lines.push('| parameter | in | required | schema |', '| --- | --- | --- | --- |');
        for (const p of params)
          lines.push(
            `| ${code(p.name)} | ${p.in} | ${p.required ? 'yes' : 'no'} | ${text(JSON.stringify(p.schema ?? {}))} |`,
          );
        lines.push('');
      }
      const body = op.requestBody?.content?.['application/json']?.schema;
      lines.push(...schemaBlock('request body', body));
      lines.push('| status | meaning |', '| --- | --- |');
      for (const [status, r] of Object.entries<J>(op.responses ?? {}))
        lines.push(`| ${status} | ${text(r.description)} |`);
      lines.push('');
      const list = byTag.get(tag) ?? [];
      list.push(lines.join('\n'));
      byTag.set(tag, list);
    }
  for (const [tag, ops] of [...byTag].sort(([a], [b]) => a.localeCompare(b)))
    out.push(`## ${text(tag)}`, '', ...ops);
  return `${out.join('\n').trimEnd()}\n`;
}

function asyncApiPage(doc: J): string {
  const out = [
    '# MQTT topics and messages',
    '',
    `Rendered from the AsyncAPI ${doc.asyncapi} document (\`sync/asyncapi.ts\`), version ${doc.info?.version}. Every message the test suites see on the wire is checked against it.`,
    '',
    text(doc.info?.description),
    '',
  ];
  for (const [id, ch] of Object.entries<J>(doc.channels ?? {})) {
    out.push(`## ${text(ch.title ?? id)}`, '', `Topic: ${code(ch.address)}`, '', text(ch.description), '');
    const ops = Object.values<J>(doc.operations ?? {}).filter((o) => o.channel?.$ref === `#/channels/${id}`);
    for (const o of ops)
      out.push(`- **${o.action}**: ${text(o.summary)} (QoS ${o.bindings?.mqtt?.qos ?? '–'})`);
    if (ops.length) out.push('');
    for (const [name, m] of Object.entries<J>(ch.messages ?? {})) {
      const msg = m.$ref ? doc.components?.messages?.[m.$ref.split('/').pop()] : m;
      out.push(`### ${text(msg?.name ?? name)}`, '', text(msg?.summary ?? msg?.description), '');
      out.push(...schemaBlock('payload', msg?.payload));
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

mkdirSync(OUT, { recursive: true });
writeFileSync(
  `${OUT}/store-api.md`,
  openApiPage(
    await storeDocument(),
    "The store's HTTP API",
    'Rendered from the OpenAPI document the daemon serves at `/docs/json` (`edge/api/store-openapi.ts`); every answer the test suites get is checked against it.',
  ),
);
writeFileSync(
  `${OUT}/hq-api.md`,
  openApiPage(
    await hqDocument(),
    "HQ's HTTP API",
    "Rendered from the OpenAPI document HQ's API serves at `/docs/json` (`hq/api/hq-openapi.ts`).",
  ),
);
writeFileSync(`${OUT}/events.md`, asyncApiPage(asyncApiDocument()));
console.log(`wrote ${OUT}/store-api.md, hq-api.md, events.md`);
