// HQ's database URL in libpq's multi-host form: what it names, and a clear refusal of a bad one.
import { describe, expect, it } from 'vitest';
import { parsePgUrl } from '../../hq/db/targets.js';

describe('database URL with several servers', () => {
  it('names each server, the role wanted, and a single-host URL for node-postgres', () => {
    expect(
      parsePgUrl(
        'postgres://hq:pw@10.0.0.1:5433,10.0.0.2/hq?target_session_attrs=prefer-standby&application_name=x',
      ),
    ).toEqual({
      targets: [
        { host: '10.0.0.1', port: 5433 },
        { host: '10.0.0.2', port: 5432 },
      ],
      attrs: 'prefer-standby',
      single: 'postgres://hq:pw@10.0.0.1:5433/hq?application_name=x',
    });
    // several servers and no role named: the primary, as HQ writes
    expect(parsePgUrl('postgresql://hq@[::1]:6000,127.0.0.1:6001/postgres').attrs).toBe('read-write');
    expect(parsePgUrl('postgresql://hq@[::1]:6000,127.0.0.1:6001/postgres').single).toBe(
      'postgresql://hq@[::1]:6000/postgres',
    );
    expect(parsePgUrl('postgres://hq@127.0.0.1:5432/postgres')).toMatchObject({
      attrs: 'any',
      targets: [{ port: 5432 }],
    });
  });

  it('refuses a bad port or an unknown role with a clear error', () => {
    expect(() => parsePgUrl('postgres://hq@a:99999,b/x')).toThrow(/bad host in database URL: a:99999/);
    expect(() => parsePgUrl('postgres://hq@a,b/x?target_session_attrs=standby')).toThrow(
      /target_session_attrs=standby/,
    );
    expect(() => parsePgUrl('mysql://a/b')).toThrow(/not a postgres/);
  });
});
