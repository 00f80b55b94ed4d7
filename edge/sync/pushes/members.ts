// HQ's figure for a member (signed like a push; the newest version wins). A bad one is
// logged and changes nothing; members are too many to answer each in the outbox, so
// nothing is answered.
import { openPush } from '../../../sync/pushes.js';
import { applyReplica, readReplica } from '../../members/replica.js';
import type { CommandContext, SyncExtension } from '../commands.js';

export function memberUpdates(c: CommandContext): SyncExtension {
  const update = (doc: unknown): undefined => {
    const opened = openPush('member', doc, c.hqKey);
    if ('status' in opened) {
      c.log.warn({ problems: opened.problems }, 'member update from HQ refused');
      return;
    }
    try {
      applyReplica(c.db(), readReplica(opened.body), opened.version, c.storeId, Date.now());
    } catch (err) {
      c.log.warn({ err: (err as Error).message }, 'member update from HQ refused');
    }
  };
  return { start: (commands) => commands.onCommand('member', update) };
}
