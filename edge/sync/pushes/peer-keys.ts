// Other stores' member-card keys, signed by HQ; added to what the store knows. They come
// as a command when HQ learns a new key, and as the answer to the store's own request
// each time its link comes up.
import { openPush } from '../../../sync/pushes.js';
import { addPeerKeys } from '../../coupons/codes.js';
import type { CommandContext, SyncExtension } from '../commands.js';

export function applyPeerKeys(c: CommandContext, doc: unknown): void {
  const opened = openPush('peer_keys', doc, c.hqKey);
  if ('status' in opened) {
    c.log.warn({ problems: opened.problems }, 'store keys from HQ refused');
    return;
  }
  const keys = (opened.body as { keys?: unknown })?.keys;
  const ok =
    Array.isArray(keys) &&
    keys.every(
      (k) =>
        typeof k?.storeId === 'string' &&
        typeof k?.kid === 'string' &&
        typeof k?.publicKeyBase64 === 'string',
    );
  try {
    if (!ok) throw new Error('/body/keys: a list of {storeId, kid, publicKeyBase64}');
    addPeerKeys(c.db(), keys as { storeId: string; kid: string; publicKeyBase64: string }[], Date.now());
  } catch (err) {
    c.log.warn({ err: (err as Error).message }, 'store keys from HQ refused');
  }
}

export function peerKeyPushes(c: CommandContext): SyncExtension {
  return {
    start: (commands) =>
      commands.onCommand('peer_keys', (doc) => {
        applyPeerKeys(c, doc);
        return undefined;
      }),
  };
}
