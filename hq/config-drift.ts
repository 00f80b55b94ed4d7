// Config drift: whether each store runs the config HQ last pushed it. A store's birth
// message carries the digest of the values in effect at exactly the settings HQ's
// overlay sets (edge/sync/config-report.ts); HQ compares it and the overlay's version
// with what it last pushed that store (store_config_pushes). Read in SQL beside the
// store's row, so a fleet of 10,000 is filtered and paged by the database.

/** A store's config state, from `cp` (store_config_pushes), `s` (store_state) and the applied datasets. */
export const CONFIG_STATES = {
  local: 'HQ has pushed this store no config, and it runs none of HQ’s',
  in_sync: 'runs the config HQ last pushed it, every pushed value in effect',
  unreported: 'has not said which config it runs since HQ pushed it one',
  restart_pending: 'took HQ’s last push; it takes effect at its next start',
  behind: 'runs an older config than HQ last pushed it (the push is pending or was rejected)',
  not_applied: 'holds HQ’s last push but started without it: the push broke its local config',
  overridden: 'runs HQ’s last push, but a local setting wins over a pushed one',
  unexpected: 'runs an HQ config that HQ has no record of pushing it',
} as const;

export type ConfigState = keyof typeof CONFIG_STATES;
export const DRIFTED: ConfigState[] = [
  'unreported',
  'restart_pending',
  'behind',
  'not_applied',
  'overridden',
  'unexpected',
];

const hq = `(s.config_report -> 'hq')`;
const hqVersion = `(${hq} ->> 'version')::bigint`;

/** SQL for the state; `applied` is the SQL of the newest config version the store says it applied. */
export const configStateSql = (applied: string) => `CASE
    WHEN cp.version IS NULL AND (s.config_report IS NULL OR jsonb_typeof(${hq}) IS DISTINCT FROM 'object') THEN 'local'
    WHEN s.config_report IS NULL THEN 'unreported'
    WHEN cp.version IS NULL THEN 'unexpected'
    WHEN jsonb_typeof(${hq}) IS DISTINCT FROM 'object' OR ${hqVersion} < cp.version THEN
      CASE WHEN coalesce(${applied}, 0) >= cp.version THEN 'restart_pending' ELSE 'behind' END
    WHEN ${hqVersion} > cp.version THEN 'unexpected'
    WHEN (${hq} ->> 'applied') IS DISTINCT FROM 'true' THEN 'not_applied'
    WHEN (${hq} ->> 'digest') IS DISTINCT FROM cp.body_sha256 THEN 'overridden'
    ELSE 'in_sync' END`;
