// HQ's commands and pulls, dispatched by name. Each kind of push (and the resend command,
// and the pulls) is an extension that registers its handler when the sync part starts,
// as Zigbee2MQTT's extensions subscribe themselves in start(): adding a push kind adds a
// file, not a branch in the part's message handler.
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import type { Db } from '../db/open.js';

/** What a handler answers: sent to the message's response topic; undefined sends nothing. */
export type Answer = unknown;
export type CommandHandler = (body: Record<string, unknown>) => Answer | Promise<Answer>;
export type RequestHandler = (name: string, body: Record<string, unknown>) => Answer;

/** What the handlers share: the store's database, its log and HQ's push key. */
export interface CommandContext {
  db: () => Db;
  log: Logger;
  /** HQ's Ed25519 key that signs pushes; null: none configured (every push is refused) */
  hqKey: KeyObject | null;
  storeId: string;
}

export interface SyncExtension {
  start(commands: Commands): void;
}

export class Commands {
  private readonly commands = new Map<string, CommandHandler>();
  private requests: RequestHandler | null = null;

  onCommand(name: string, handler: CommandHandler): void {
    if (this.commands.has(name)) throw new Error(`command "${name}" has two handlers`);
    this.commands.set(name, handler);
  }

  onRequests(handler: RequestHandler): void {
    if (this.requests) throw new Error('pulls have two handlers');
    this.requests = handler;
  }

  /** Runs the handler for a command or pull and hands its answer to `reply` (at once when
   * the handler answers at once). False: no handler has that name. */
  dispatch(
    kind: 'cmd' | 'req',
    name: string,
    body: Record<string, unknown>,
    reply: (answer: unknown) => void,
  ): boolean {
    if (kind === 'req') {
      if (!this.requests) return false;
      reply(this.requests(name, body));
      return true;
    }
    const handler = this.commands.get(name);
    if (!handler) return false;
    const answer = handler(body);
    if (answer instanceof Promise) void answer.then((a) => a !== undefined && reply(a));
    else if (answer !== undefined) reply(answer);
    return true;
  }
}
