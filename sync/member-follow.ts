// Which stores hold a member's figure, agreed by both sides. A store follows a member it
// enrolled, moved points for, or looked up at HQ (`hq/req/member`); HQ sends a member's
// changed figure on `{prefix}/{store}/cmd/member` to the stores following, never to the
// whole chain. A follow lapses MEMBER_FOLLOW_DAYS after the store last saw the member,
// and the store lets an unused replica go after as long (see edge/members/follow.ts).

/** how long after a store last saw a member HQ goes on sending it the member's figure */
export const MEMBER_FOLLOW_DAYS = 30;

/** a store renews its follow (a lookup at HQ, not waited for) when the last is this old */
export const MEMBER_REFRESH_MS = 86_400_000;

/** a store waits on a lookup at most once this often for a member HQ has not answered for */
export const MEMBER_RETRY_MS = 60_000;
