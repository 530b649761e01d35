import { sql } from 'kysely';
import type { Executor } from '../db/database.ts';
import type { Membership, SiteAssignment, User } from '../db/schema.ts';
import { notFound } from '../http/errors.ts';
import { escapeLike } from '../db/like.ts';

export interface UserView {
  id: string;
  email: string;
  email_verified: boolean;
  first_name: string | null;
  last_name: string | null;
  name: string | null;
  created_at: string;
  updated_at: string;
}

/** "Ada Lovelace": first and last name as a person reads them; null when the user has neither. */
export const fullName = (user: { first_name: string | null; last_name: string | null }): string | null =>
  [user.first_name, user.last_name].filter(Boolean).join(' ') || null;

/** A user as views see it: never the password hash. */
export type UserProfile = Omit<User, 'password_hash' | 'password_set_at'>;

export function toUserView(row: UserProfile): UserView {
  return {
    id: row.id,
    email: row.email,
    email_verified: row.email_verified === 1,
    first_name: row.first_name,
    last_name: row.last_name,
    name: fullName(row),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export interface MembershipView {
  id: string;
  organization_id: string;
  user_id: string;
  role: Membership['role'];
  state: Membership['state'];
  disabled_by: Membership['disabled_by'];
  disabled_at: string | null;
  source: Membership['source'];
  user: UserView;
  created_at: string;
  updated_at: string;
}

export function toMembershipView(row: Membership, user: UserProfile): MembershipView {
  return {
    id: row.id,
    organization_id: row.organization_id,
    user_id: row.user_id,
    role: row.role,
    state: row.state,
    disabled_by: row.disabled_by,
    disabled_at: row.disabled_at,
    source: row.source,
    user: toUserView(user),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export interface SiteAssignmentView {
  id: string;
  organization_id: string;
  site_id: string;
  site_name: string;
  user_id: string;
  role: string;
  source: SiteAssignment['source'];
  created_at: string;
  updated_at: string;
}

export const toSiteAssignmentView = (row: SiteAssignment & { site_name: string }): SiteAssignmentView => ({
  id: row.id,
  organization_id: row.organization_id,
  site_id: row.site_id,
  site_name: row.site_name,
  user_id: row.user_id,
  role: row.role,
  source: row.source,
  created_at: row.created_at,
  updated_at: row.updated_at,
});

export async function findUserByEmail(db: Executor, email: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
}

export async function getUser(db: Executor, id: string): Promise<User> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('user', id);
  return row;
}

export async function listUsers(
  db: Executor,
  filter: { organizationId?: string; email?: string; q?: string; after?: string; limit: number },
): Promise<User[]> {
  let query = db.selectFrom('users').selectAll('users').orderBy('users.id').limit(filter.limit + 1);
  if (filter.organizationId) {
    query = query.innerJoin('memberships', 'memberships.user_id', 'users.id').where('memberships.organization_id', '=', filter.organizationId);
  }
  // `?email=` given empty matches nobody: an exact lookup with a blank field must not answer everyone
  // (a caller taking data[0] would get someone else).
  if (filter.email !== undefined) query = query.where('users.email', '=', filter.email.trim().toLowerCase());
  if (filter.q) {
    const pattern = `%${escapeLike(filter.q)}%`;
    // SQLite's LIKE has no escape character unless one is named: without ESCAPE the backslashes above
    // are literal and `%` / `_` in q stay wildcards. `ESCAPE '\'` means the same on PostgreSQL.
    // Both sides go through the database's lower(): SQLite's folds ASCII only, so lowering q in JS
    // ('Émile' -> 'émile') kept a name from matching even when typed exactly as stored.
    const like = (column: 'users.email' | 'users.first_name' | 'users.last_name') =>
      sql<boolean>`lower(${sql.ref(column)}) like lower(${pattern}) escape '\\'`;
    query = query.where((eb) => eb.or([like('users.email'), like('users.first_name'), like('users.last_name')]));
  }
  if (filter.after) query = query.where('users.id', '>', filter.after);
  return query.execute();
}

export async function getMembership(db: Executor, id: string): Promise<Membership> {
  const row = await db.selectFrom('memberships').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('membership', id);
  return row;
}

export async function findMembership(db: Executor, organizationId: string, userId: string): Promise<Membership | undefined> {
  return db.selectFrom('memberships').selectAll().where('organization_id', '=', organizationId).where('user_id', '=', userId).executeTakeFirst();
}

export async function listMemberships(db: Executor, organizationId: string, page: { after?: string; limit: number }): Promise<Array<{ membership: Membership; user: UserProfile }>> {
  let query = db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .selectAll('memberships')
    .select(['users.email', 'users.email_verified', 'users.first_name', 'users.last_name', 'users.created_at as user_created_at', 'users.updated_at as user_updated_at'])
    .where('memberships.organization_id', '=', organizationId)
    .orderBy('memberships.id')
    .limit(page.limit + 1);
  if (page.after) query = query.where('memberships.id', '>', page.after);
  const rows = await query.execute();
  return rows.map(({ email, email_verified, first_name, last_name, user_created_at, user_updated_at, ...membership }) => ({
    membership,
    user: { id: membership.user_id, email, email_verified, first_name, last_name, created_at: user_created_at, updated_at: user_updated_at },
  }));
}

export async function listSiteAssignments(db: Executor, userId: string, organizationId?: string) {
  let query = db
    .selectFrom('site_assignments')
    .innerJoin('sites', 'sites.id', 'site_assignments.site_id')
    .selectAll('site_assignments')
    .select('sites.name as site_name')
    .where('site_assignments.user_id', '=', userId)
    .orderBy('site_assignments.id');
  if (organizationId) query = query.where('site_assignments.organization_id', '=', organizationId);
  return query.execute();
}

/** A member of an org with their profile: one row of the console's Users list. */
export interface MemberRow {
  membership: Membership;
  user: UserProfile;
}

/** One page of members, with the cursors (membership ids) of the pages before and after it. */
export interface MemberPage {
  rows: MemberRow[];
  previous: string | null;
  next: string | null;
}

/**
 * An org's members ordered by email, optionally searched in email, first, last and full name, a page
 * at a time in either direction (`after` / `before` a membership id). Cursors are membership ids, not
 * emails, so no address ends up in a URL or an access log; an unknown cursor starts from the top.
 */
export async function searchMembers(
  db: Executor,
  organizationId: string,
  page: { q?: string; after?: string; before?: string; limit: number },
): Promise<MemberPage> {
  const matching = () => {
    let query = db.selectFrom('memberships').innerJoin('users', 'users.id', 'memberships.user_id').where('memberships.organization_id', '=', organizationId);
    if (page.q) {
      const pattern = `%${escapeLike(page.q)}%`;
      // Same folding and ESCAPE as listUsers; the full name lets "Grace Hopper" find Grace Hopper.
      const fullName = sql`coalesce(${sql.ref('users.first_name')}, '') || ' ' || coalesce(${sql.ref('users.last_name')}, '')`;
      const like = (value: ReturnType<typeof sql.ref> | typeof fullName) => sql<boolean>`lower(${value}) like lower(${pattern}) escape '\\'`;
      query = query.where((eb) => eb.or([like(sql.ref('users.email')), like(sql.ref('users.first_name')), like(sql.ref('users.last_name')), like(fullName)]));
    }
    return query;
  };
  const cursorId = page.before ?? page.after;
  // idor check: a cursor only counts when it is a membership of this org.
  const cursor = cursorId
    ? await db.selectFrom('memberships').innerJoin('users', 'users.id', 'memberships.user_id').select('users.email')
      .where('memberships.id', '=', cursorId).where('memberships.organization_id', '=', organizationId).executeTakeFirst()
    : undefined;
  const backwards = Boolean(page.before && cursor);
  let query = matching()
    .selectAll('memberships')
    .select(['users.email', 'users.email_verified', 'users.first_name', 'users.last_name', 'users.created_at as user_created_at', 'users.updated_at as user_updated_at'])
    .orderBy('users.email', backwards ? 'desc' : 'asc')
    .limit(page.limit + 1);
  if (cursor) query = query.where('users.email', backwards ? '<' : '>', cursor.email);
  const found = await query.execute();
  const more = found.length > page.limit;
  const pageRows = found.slice(0, page.limit);
  if (backwards) pageRows.reverse();
  const rows = pageRows.map(({ email, email_verified, first_name, last_name, user_created_at, user_updated_at, ...membership }) => ({
    membership,
    user: { id: membership.user_id, email, email_verified, first_name, last_name, created_at: user_created_at, updated_at: user_updated_at },
  }));
  const first = rows[0];
  const last = rows.at(-1);
  if (!first || !last) return { rows, previous: null, next: null };
  const anyBeyond = async (direction: '<' | '>', email: string) =>
    Boolean(await matching().select('memberships.id').where('users.email', direction, email).limit(1).executeTakeFirst());
  const previous = backwards ? more : Boolean(cursor) && (await anyBeyond('<', first.user.email));
  const next = backwards ? await anyBeyond('>', last.user.email) : more;
  return { rows, previous: previous ? first.membership.id : null, next: next ? last.membership.id : null };
}

/** The site assignments (with site names) these people hold in one org, for a page of the Users list. */
export async function listMembersSiteAssignments(db: Executor, organizationId: string, userIds: string[]) {
  if (userIds.length === 0) return [];
  return db
    .selectFrom('site_assignments')
    .innerJoin('sites', 'sites.id', 'site_assignments.site_id')
    .selectAll('site_assignments')
    .select('sites.name as site_name')
    .where('site_assignments.organization_id', '=', organizationId)
    .where('site_assignments.user_id', 'in', userIds)
    .orderBy('sites.name')
    .execute();
}
