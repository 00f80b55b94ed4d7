// HQ's software pushes: checked like any push, then handed to the updater, which reports
// each step.
import { openPush } from '../../../sync/pushes.js';
import { reportSoftware, versionOf } from '../../updates/report.js';
import type { CommandContext, SyncExtension } from '../commands.js';
import { recordPush } from './record.js';

/** Where software pushes go (the updater). */
export interface SoftwareTarget {
  install(rollout: number, body: unknown): Promise<{ status: string; problems?: string[] }>;
}

export function softwarePushes(c: CommandContext, software?: SoftwareTarget): SyncExtension {
  const push = async (doc: unknown): Promise<unknown> => {
    const opened = openPush('software', doc, c.hqKey);
    if ('status' in opened) {
      // not HQ's: recorded as a rejected push, but its rollout number is not to be trusted
      recordPush(c.db(), opened, Date.now());
      c.log.warn({ ...opened }, 'HQ software push rejected');
      return opened;
    }
    if (!software) {
      const why = 'this box takes no software updates (updates.dir is not set)';
      // HQ's rollout counts this store as failed instead of waiting on it
      reportSoftware(
        c.db(),
        {
          rollout: opened.version,
          version: versionOf(opened.body),
          state: 'rejected',
          reason: why,
        },
        Date.now(),
      );
      c.log.warn({ rollout: opened.version }, why);
      return { dataset: 'software', version: opened.version, status: 'rejected', problems: [why] };
    }
    return software.install(opened.version, opened.body);
  };
  return { start: (commands) => commands.onCommand('software', push) };
}
