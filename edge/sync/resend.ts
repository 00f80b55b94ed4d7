// HQ's resend command: HQ found a gap in this store's events and asks for a range again.
import type { CommandContext, SyncExtension } from './commands.js';
import type { OutboxPublisher } from './publisher.js';

export function resendCommand(c: CommandContext, publisher: OutboxPublisher): SyncExtension {
  return {
    start: (commands) =>
      commands.onCommand('resend', (body) => {
        const { fromSeq, toSeq } = body;
        if (
          Number.isSafeInteger(fromSeq) &&
          Number.isSafeInteger(toSeq) &&
          (fromSeq as number) <= (toSeq as number)
        )
          publisher.resend(fromSeq as number, toSeq as number);
        else c.log.warn({ body }, 'resend command with a bad range: ignored');
        return undefined;
      }),
  };
}
