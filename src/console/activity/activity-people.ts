import type { Executor } from '../../db/database.ts';
import { searchMembers } from '../../users/users.repository.ts';
import { personName } from './activity-names.ts';

/** More matches than this and the filter asks for a narrower search instead of listing everyone. */
export const MAX_PEOPLE = 25;

export interface MatchedPerson {
  id: string;
  name: string;
  email: string;
}

/**
 * The org's people (members in any state) whose email, first, last or full name contains `q`: the
 * Users list's member search. Members only: typing another org's member's address finds nobody here.
 */
export async function findPeople(db: Executor, organizationId: string, q: string): Promise<{ people: MatchedPerson[]; more: boolean }> {
  const found = await searchMembers(db, organizationId, { q, limit: MAX_PEOPLE });
  return { people: found.rows.map(({ user }) => ({ id: user.id, name: personName(user), email: user.email })), more: found.next !== null };
}
