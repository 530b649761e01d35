/**
 * Seeding and assertions for the API tests. Users and memberships arrive by JIT, SCIM or invitation, never
 * through the API, so they are written here through the one writer (provisioning) as the operator;
 * organizations and sites go through the API like any caller's.
 */
import { expect } from 'vitest';
import type { MembershipSource, OrgRole } from '../../src/db/schema.ts';
import { ensureMembership, upsertUser } from '../../src/users/provisioning.ts';
import type { TestApp } from './test-app.ts';

/** Syntactically valid ids that name nothing. */
export const UNKNOWN = {
  org: 'org_01M8T247H71E8T82MXYZ8V2G2J',
  user: 'user_01M8T247H71E8T82MXYZ8V2G2J',
  mem: 'mem_01M8T247H71E8T82MXYZ8V2G2J',
  site: 'site_01M8T247H71E8T82MXYZ8V2G2J',
} as const;

/** What expectProblem reads of an answer (a supertest Response fits). */
export type ApiResponse = { status: number; headers: Record<string, string>; body: any };

export async function createOrg(t: TestApp, name: string): Promise<string> {
  const res = await t.api.post('/api/v1/organizations', { name }).expect(201);
  return res.body.id as string;
}

export async function createSite(t: TestApp, orgId: string, name: string): Promise<string> {
  const res = await t.api.post(`/api/v1/organizations/${orgId}/sites`, { name }).expect(201);
  return res.body.id as string;
}

export interface SeedPerson {
  email: string;
  first_name?: string | null;
  last_name?: string | null;
}

/** Creates (or finds) the person, and a membership in the org when one is given. */
export async function seedMember(
  t: TestApp,
  orgId: string | null,
  person: SeedPerson,
  options: { role?: OrgRole; source?: MembershipSource } = {},
): Promise<{ userId: string; membershipId: string | null }> {
  return t.app.uow(async (trx) => {
    const { user } = await upsertUser(trx, t.call, person);
    if (!orgId) return { userId: user.id, membershipId: null };
    const { membership } = await ensureMembership(trx, t.call, {
      organizationId: orgId,
      userId: user.id,
      role: options.role ?? 'member',
      source: options.source ?? 'sso',
    });
    return { userId: user.id, membershipId: membership.id };
  });
}

/** Every event in the log (oldest first), read straight from the table. */
export async function allEvents(t: TestApp): Promise<Array<{ type: string; organization_id: string | null; data: Record<string, unknown>; actor_type: string }>> {
  const rows = await t.app.db.selectFrom('events').selectAll().orderBy('id').execute();
  return rows.map((r) => ({ type: r.type, organization_id: r.organization_id, data: JSON.parse(r.data) as Record<string, unknown>, actor_type: r.actor_type }));
}

/** The events written since `before` (a count from a previous allEvents). */
export async function eventsSince(t: TestApp, before: number) {
  return (await allEvents(t)).slice(before);
}

/** An org's events as GET /api/v1/events answers them (oldest first). */
export async function eventsOf(t: TestApp, orgId: string): Promise<Array<{ type: string; data: unknown; actor: { type: string } }>> {
  return (await t.api.get(`/api/v1/events?organization_id=${orgId}`).expect(200)).body.data;
}

/**
 * A problem+json answer with this status and code, and, when `detail` is given, exactly that detail.
 * `label` names the case in a failure message.
 */
export function expectProblem(res: ApiResponse, status: number, code: string, detail?: string, label?: string): void {
  expect(res.status, label).toBe(status);
  expect(res.headers['content-type'], label).toMatch(/^application\/problem\+json/);
  expect(res.body, label).toMatchObject({ type: `https://gatehouse.dev/problems/${code}`, title: code, status, ...(detail === undefined ? {} : { detail }) });
}
