// HQ asks a store for a support bundle (edge/support/bundle.ts) with a signed request on
// its command topic; the store answers on the response topic with the bundle, gzipped
// JSON in base64. Signed like a push, fresh (issued in the last 10 minutes, by the
// store's clock give or take) and answered once per request id: a copied request
// replayed later gets nothing.
import { createHash } from 'node:crypto';
import { openPush } from '../../sync/pushes.js';
import { packBundle, type SupportBundle } from '../support/bundle.js';
import type { CommandContext, SyncExtension } from './commands.js';

const FRESH_MS = 10 * 60_000;

export function supportRequests(c: CommandContext, build?: () => Promise<SupportBundle>): SyncExtension {
  const answered = new Set<number>();
  const refuse = (version: number | null, why: string) => {
    c.log.warn({ request: version, why }, 'support bundle request refused');
    return { dataset: 'support_bundle', version, status: 'rejected' as const, problems: [why] };
  };
  const handle = async (doc: unknown) => {
    const p = openPush('support_bundle', doc, c.hqKey);
    if ('status' in p) return refuse(p.version, p.problems?.join('; ') ?? 'not HQ’s');
    if (Math.abs(Date.now() - p.issuedAt) > FRESH_MS)
      return refuse(p.version, 'request is not fresh (issued over 10 minutes from now)');
    if (answered.has(p.version)) return refuse(p.version, `request ${p.version} was answered already`);
    if (!build) return refuse(p.version, 'this store builds no support bundles');
    answered.add(p.version);
    if (answered.size > 1000) answered.delete(answered.values().next().value as number);
    const gz = packBundle(await build());
    c.log.info({ request: p.version, bytes: gz.length }, 'support bundle sent to HQ');
    return {
      dataset: 'support_bundle',
      version: p.version,
      status: 'applied' as const,
      bundle: {
        bytes: gz.length,
        sha256: createHash('sha256').update(gz).digest('hex'),
        gzipBase64: gz.toString('base64'),
      },
    };
  };
  return { start: (commands) => commands.onCommand('support_bundle', handle) };
}
