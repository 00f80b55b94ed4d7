// Several PostgreSQL servers behind one URL, the way libpq takes them:
//   postgres://hq@10.0.0.1:5432,10.0.0.2:5432/hq?target_session_attrs=read-write
// node-postgres connects to one host only, so a pool gets a Client class that finds the
// server with the role it needs (the primary, or a standby for reads) before it connects,
// and checks that role once connected, as libpq does. After a failover the dead primary's
// connections fail, the next connection asks again and finds the promoted standby: the
// caller retries as it does after any lost connection.
import pg from 'pg';

export type SessionTarget = 'any' | 'read-write' | 'prefer-standby';

export interface PgTarget {
  host: string;
  port: number;
}

export interface PgUrl {
  targets: PgTarget[];
  /** target_session_attrs, default any (read-write where there are several hosts and none is named) */
  attrs: SessionTarget;
  /** the URL with its first host only and without target_session_attrs: what node-postgres parses */
  single: string;
}

const TARGETS = new Set<SessionTarget>(['any', 'read-write', 'prefer-standby']);

export function parsePgUrl(url: string): PgUrl {
  const m = /^(postgres(?:ql)?:\/\/)([^@/?]*@)?([^/?]*)(.*)$/.exec(url);
  if (!m) throw new Error('not a postgres:// URL');
  const [, scheme, auth = '', hosts = '', rest = ''] = m;
  const targets = hosts
    .split(',')
    .filter(Boolean)
    .map((h): PgTarget => {
      const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(h);
      const [host, port] = v6 ? [v6[1], v6[2]] : h.split(':');
      const p = port === undefined || port === '' ? 5432 : Number(port);
      if (!host || !Number.isInteger(p) || p < 1 || p > 65535)
        throw new Error(`bad host in database URL: ${h}`);
      return { host, port: p };
    });
  if (targets.length === 0) targets.push({ host: 'localhost', port: 5432 });
  const [path, query = ''] = rest.split('?');
  const params = new URLSearchParams(query);
  const named = params.get('target_session_attrs');
  params.delete('target_session_attrs');
  if (named !== null && !TARGETS.has(named as SessionTarget))
    throw new Error(`target_session_attrs=${named}: this HQ knows any, read-write, prefer-standby`);
  const attrs = (named as SessionTarget | null) ?? (targets.length > 1 ? 'read-write' : 'any');
  const first = targets[0]!;
  const hostPart = first.host.includes(':') ? `[${first.host}]` : first.host;
  const q = params.toString();
  return { targets, attrs, single: `${scheme}${auth}${hostPart}:${first.port}${path}${q ? `?${q}` : ''}` };
}

/** Where the servers stand, shared by a pool's connections: the last good server, asked again when it fails. */
export class TargetFinder {
  private known: PgTarget | null = null;
  private asking: Promise<PgTarget> | null = null;
  constructor(
    private readonly targets: readonly PgTarget[],
    private readonly attrs: SessionTarget,
    private readonly config: pg.ClientConfig,
  ) {}

  async pick(): Promise<PgTarget> {
    if (this.known) return this.known;
    this.asking ??= this.ask().finally(() => {
      this.asking = null;
    });
    return this.asking;
  }

  forget(t: PgTarget): void {
    if (this.known && this.known.host === t.host && this.known.port === t.port) this.known = null;
  }

  get attrsAny(): boolean {
    return this.attrs === 'any';
  }

  /** only the primary will do: a connection checks its server's role (prefer-standby takes either) */
  get needsPrimary(): boolean {
    return this.attrs === 'read-write';
  }

  private async ask(): Promise<PgTarget> {
    const roles = await Promise.all(this.targets.map((t) => this.role(t)));
    const at = (want: (r: boolean) => boolean) =>
      this.targets.find((_, i) => roles[i] !== null && want(roles[i]!));
    const found =
      this.attrs === 'read-write'
        ? at((standby) => !standby)
        : this.attrs === 'prefer-standby'
          ? (at((standby) => standby) ?? at(() => true))
          : at(() => true);
    if (!found) {
      const seen = this.targets.map(
        (t, i) => `${t.host}:${t.port} ${roles[i] === null ? 'down' : roles[i] ? 'standby' : 'primary'}`,
      );
      throw new Error(`no ${this.attrs} PostgreSQL server: ${seen.join(', ')}`);
    }
    // a primary taken for want of a standby is not kept: the next connection looks for one again
    const standby = roles[this.targets.indexOf(found)];
    if (this.attrs !== 'prefer-standby' || standby) this.known = found;
    return found;
  }

  /** true: a standby; false: a primary; null: not answering */
  private async role(t: PgTarget): Promise<boolean | null> {
    const c = new pg.Client({ ...this.config, connectionTimeoutMillis: 2000 });
    // set after construction: the URL's own host would win over a host in the config
    c.host = t.host;
    c.port = t.port;
    c.on('error', () => undefined);
    try {
      await c.connect();
      return (await c.query('SELECT pg_is_in_recovery() AS standby')).rows[0].standby as boolean;
    } catch {
      return null;
    } finally {
      await c.end().catch(() => undefined);
    }
  }
}

/** A pg.Client class for a pool (its documented `Client` option) that connects where the finder says. */
export function targetedClient(finder: TargetFinder): typeof pg.Client {
  class TargetedClient extends pg.Client {
    // the pool calls connect(callback); our own code awaits connect()
    // biome-ignore lint/suspicious/noExplicitAny: pg's overloads (promise or callback) in one body
    override connect(callback?: any): any {
      const done = this.connectTargeted();
      if (!callback) return done;
      done.then(
        () => callback(null, this),
        (err) => callback(err),
      );
    }

    private async connectTargeted(): Promise<this> {
      const t = await finder.pick();
      this.host = t.host;
      this.port = t.port;
      try {
        await super.connect();
      } catch (err) {
        finder.forget(t);
        throw err;
      }
      if (finder.attrsAny) return this;
      // the role can change between asking and connecting (a promotion, a demotion)
      if (
        finder.needsPrimary &&
        ((await this.query('SELECT pg_is_in_recovery() AS standby')).rows[0].standby as boolean)
      ) {
        finder.forget(t);
        await this.end().catch(() => undefined);
        throw new Error(`${t.host}:${t.port} is a standby now, not the primary`);
      }
      // a server lost later (killed, demoted) is asked about again
      this.on('error', () => finder.forget(t));
      return this;
    }
  }
  return TargetedClient;
}
