import type { Kysely } from 'kysely';

// Frozen once landed. A membership's role_source gains `default`: the role it was created with, that
// nobody chose since. Before, `manual` meant both "nobody chose" and "a person chose", told apart only by
// the role (a manual `member` counted as unchosen), so a group mapping re-raised an admin that an admin
// had demoted to member by hand. Existing manual members keep today's behaviour: they become `default`.
export async function up(db: Kysely<any>): Promise<void> {
  await db.updateTable('memberships').set({ role_source: 'default' }).where('role_source', '=', 'manual').where('role', '=', 'member').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.updateTable('memberships').set({ role_source: 'manual' }).where('role_source', '=', 'default').execute();
}
