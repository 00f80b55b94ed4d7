// Reconnect delays: exponential, capped, with full jitter so a store's devices (and a
// chain's stores) do not retry in lockstep.

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
}

/** Delay before retry number `attempt` (0-based): uniform in [0, min(cap, base·2^attempt)]. */
export function backoffDelay(
  attempt: number,
  opts: BackoffOptions,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(opts.capMs, opts.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
