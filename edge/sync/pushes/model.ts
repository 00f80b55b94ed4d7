// HQ's model pushes: checked like any push, then handed to the vision part to load and try.
import { openPush, type PushResult } from '../../../sync/pushes.js';
import type { CommandContext, SyncExtension } from '../commands.js';
import { recordPush } from './record.js';

/** Where model pushes go (the vision part). */
export interface ModelTarget {
  installModel(
    version: number,
    body: unknown,
  ): Promise<{ status: 'applied' | 'rejected'; problems?: string[]; model?: Record<string, unknown> }>;
}

export function modelPushes(c: CommandContext, models?: ModelTarget): SyncExtension {
  const push = async (doc: unknown): Promise<PushResult> => {
    const opened = openPush('model', doc, c.hqKey);
    let result: PushResult;
    if ('status' in opened) result = opened;
    else if (!models)
      result = {
        dataset: 'model',
        version: opened.version,
        status: 'rejected',
        problems: ['this store runs no vision'],
      };
    else {
      const r = await models.installModel(opened.version, opened.body);
      result = {
        dataset: 'model',
        version: opened.version,
        status: r.status,
        ...(r.problems ? { problems: r.problems } : {}),
        ...(r.model ? { model: r.model } : {}),
      };
    }
    recordPush(c.db(), result, Date.now());
    c.log[result.status === 'rejected' ? 'warn' : 'info']({ ...result }, `HQ model push ${result.status}`);
    return result;
  };
  return { start: (commands) => commands.onCommand('model', push) };
}
