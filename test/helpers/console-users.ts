import { sql } from 'kysely';
import { expect } from 'vitest';
import type { MembershipSource } from '../../src/db/schema.ts';
import { ensureMembership, upsertUser } from '../../src/users/provisioning.ts';
import type { ConsolePerson } from './console.ts';
import { type Page, text } from './http-browser.ts';
import type { LiveApp } from './live-app.ts';

export const FORGED_CSRF = 'forged-token-forged-token-forged-token-xxxx';

/** The page with every form's CSRF field replaced by a forged value. */
export const forge = (page: Page): Page => ({ ...page, html: page.html.replace(/name="_csrf" value="[^"]*"/g, `name="_csrf" value="${FORGED_CSRF}"`) });

/** The text of each row of the page's first table body; like a phone, each cell's data-label before it. */
export function rows(html: string): string[] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => text(m[1]!.replace(/<td[^>]*data-label="([^"]+)"[^>]*>/g, ' $1: ')));
}

/** What the console Users tests read and set up on a live Gatehouse. */
export function usersKit(live: LiveApp) {
  const at = (path: string) => `${live.url}${path}`;
  return {
    at,
    get: (person: ConsolePerson, path: string) => person.browser.get(at(path)),

    /** The page a change redirected to (303), with its one-time message. */
    async after(person: ConsolePerson, page: Page): Promise<Page> {
      expect(page.status, page.html.slice(0, 500)).toBe(303);
      return person.browser.get(page.location!);
    },

    /** People straight through the one writer (provisioning.ts), as the API or a directory would add them. */
    addMembers(organizationId: string, people: Array<{ email: string; first?: string; last?: string; source?: MembershipSource }>): Promise<string[]> {
      return live.app.uow(async (trx) => {
        const ids: string[] = [];
        for (const p of people) {
          const { user } = await upsertUser(trx, live.call, { email: p.email, first_name: p.first ?? null, last_name: p.last ?? null });
          await ensureMembership(trx, live.call, { organizationId, userId: user.id, role: 'member', source: p.source ?? 'api' });
          ids.push(user.id);
        }
        return ids;
      });
    },

    membership: (organizationId: string, userId: string) =>
      live.app.db.selectFrom('memberships').selectAll().where('organization_id', '=', organizationId).where('user_id', '=', userId).executeTakeFirstOrThrow(),

    async assignments(organizationId: string, userId: string) {
      return (await live.api('GET', `/users/${userId}/site_assignments?organization_id=${organizationId}`)).body.data as Array<{ site_id: string; site_name: string; role: string }>;
    },

    async events(organizationId: string, type: string) {
      return (await live.api('GET', `/events?organization_id=${organizationId}&types=${type}&limit=100`)).body.data as Array<{ actor: { type: string; id: string }; data: Record<string, unknown> }>;
    },

    createSite: async (organizationId: string, name: string) => (await live.api('POST', `/organizations/${organizationId}/sites`, { name })).body.id as string,

    /** Everything a Users form could change in an org, to show that a refused request changed none of it. */
    async orgState(organizationId: string) {
      const db = live.app.db;
      return {
        memberships: await db.selectFrom('memberships').select(['id', 'role', 'role_source', 'state', 'disabled_by', 'updated_at']).where('organization_id', '=', organizationId).orderBy('id').execute(),
        assignments: await db.selectFrom('site_assignments').select(['id', 'site_id', 'user_id', 'role', 'source']).where('organization_id', '=', organizationId).orderBy('id').execute(),
        invitations: await db.selectFrom('invitations').select(['id', 'email', 'state']).where('organization_id', '=', organizationId).orderBy('id').execute(),
        events: (await db.selectFrom('events').select(sql<number>`count(*)`.as('n')).where('organization_id', '=', organizationId).executeTakeFirstOrThrow()).n,
      };
    },
  };
}
