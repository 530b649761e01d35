import { sql } from 'kysely';
import type { Executor } from '../../db/database.ts';
import { escapeLike } from '../../db/like.ts';
import { personName } from './activity-names.ts';

/** More matches than this and the filter asks for a narrower search instead of listing everyone. */
export const MAX_PEOPLE = 25;

export interface MatchedPerson {
  id: string;
  name: string;
  email: string;
}

/**
 * The org's people (members in any state) whose email, first, last or full name contains `q`, folded
 * by the database's lower() on both sides as the user search does. Members only: typing another org's
 * member's address finds nobody here.
 */
export async function findPeople(db: Executor, organizationId: string, q: string): Promise<{ people: MatchedPerson[]; more: boolean }> {
  const pattern = `%${escapeLike(q)}%`;
  const fullName = sql`coalesce(${sql.ref('users.first_name')}, '') || ' ' || coalesce(${sql.ref('users.last_name')}, '')`;
  const like = (value: typeof fullName) => sql<boolean>`lower(${value}) like lower(${pattern}) escape '\\'`;
  const rows = await db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['users.id', 'users.email', 'users.first_name', 'users.last_name'])
    .where('memberships.organization_id', '=', organizationId)
    .where((eb) => eb.or([like(sql`${sql.ref('users.email')}`), like(sql`${sql.ref('users.first_name')}`), like(sql`${sql.ref('users.last_name')}`), like(fullName)]))
    .orderBy('users.email')
    .limit(MAX_PEOPLE + 1)
    .execute();
  return { people: rows.slice(0, MAX_PEOPLE).map((row) => ({ id: row.id, name: personName(row), email: row.email })), more: rows.length > MAX_PEOPLE };
}
