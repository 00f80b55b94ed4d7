import type { Migration } from '../migrate.js';

// A store holds HQ's figure only for the members it follows (sync/member-follow.ts):
// when the member was last seen here, when HQ was last asked for them and last answered
// (the follow's renewal), and whether they were enrolled here (never let go). Housekeeping
// removes a replica nobody here used for MEMBER_FOLLOW_DAYS and that nothing here refers to.
//
// Additive: an older build ignores the new columns. Rows it writes meanwhile keep
// enrolled_here at 0, and they have no hq_version until HQ sends a figure (which sets
// enrolled_here from the figure's enrolledStore), so none is let go for it.
export const m0020MemberFollow: Migration = {
  version: 20,
  name: 'member_follow',
  additive: true,
  up(db) {
    db.exec(`
      ALTER TABLE members ADD COLUMN seen_at INTEGER;
      ALTER TABLE members ADD COLUMN hq_asked_at INTEGER;
      ALTER TABLE members ADD COLUMN hq_followed_at INTEGER;
      ALTER TABLE members ADD COLUMN enrolled_here INTEGER NOT NULL DEFAULT 0;
      -- before this build a member with a name, or without HQ's figure, was enrolled here
      UPDATE members SET enrolled_here = 1 WHERE name IS NOT NULL OR hq_version IS NULL;
      UPDATE members SET seen_at = updated_at;
      CREATE INDEX members_replicas_seen ON members(seen_at) WHERE enrolled_here = 0;
      -- what housekeeping asks of each replica it would let go
      CREATE INDEX IF NOT EXISTS carts_member ON carts(member_id) WHERE member_id IS NOT NULL;
    `);
  },
};
