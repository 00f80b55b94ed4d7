// HQ's certificate pushes: checked like any push, then by the TLS part (chain, name,
// dates, key).
import { openPush, type PushResult } from '../../../sync/pushes.js';
import type { CommandContext, SyncExtension } from '../commands.js';
import { appliedVersion, writeSyncState } from '../state.js';
import { notNewer, recordPush } from './record.js';

/** Where certificate pushes go (the TLS part). */
export interface CertificateTarget {
  installCertificate(body: unknown): {
    status: 'applied' | 'unchanged' | 'rejected';
    problems?: string[];
    certificate?: Record<string, unknown>;
  };
}

export function certificatePushes(c: CommandContext, certificates?: CertificateTarget): SyncExtension {
  const push = (doc: unknown): PushResult => {
    const db = c.db();
    const opened = openPush('certificate', doc, c.hqKey);
    const result = ((): PushResult => {
      if ('status' in opened) return opened;
      const version = opened.version;
      if (!certificates)
        return {
          dataset: 'certificate',
          version,
          status: 'rejected',
          problems: ['this store serves no HTTPS'],
        };
      const stale = notNewer('certificate', version, appliedVersion(db, 'certificate'));
      if (stale) return stale;
      const r = certificates.installCertificate(opened.body);
      if (r.status !== 'rejected') writeSyncState(db, 'certificate', { version }, Date.now());
      return { dataset: 'certificate', version, ...r };
    })();
    recordPush(db, result, Date.now());
    return result;
  };
  return { start: (commands) => commands.onCommand('certificate', push) };
}
