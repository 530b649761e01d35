/**
 * SCIM test helpers: a directory with its bearer token, a client that sends SCIM requests the way IdPs
 * do (application/scim+json, a string body), the Acme directory the SCIM server tests start from, the
 * activity log read through the management API step by step, and the RFC 7644 §3.12 error assertion.
 */
import { expect } from 'vitest';
import type supertest from 'supertest';
import { type ApiResponse, createOrg } from './api.ts';
import { createTestApp, type TestApp } from './test-app.ts';

export const SCHEMA = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  enterprise: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  list: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  patchOp: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  error: 'urn:ietf:params:scim:api:messages:2.0:Error',
} as const;

export interface TestDirectory {
  id: string;
  organizationId: string;
  token: string;
  /** `/scim/v2/<id>`: the path part of scim_base_url. */
  path: string;
  scimBaseUrl: string;
}

/** POST /api/v1/organizations/:id/directories, as an operator would. */
export async function createDirectory(t: TestApp, organizationId: string, provider = 'generic'): Promise<TestDirectory> {
  const res = await t.api.post(`/api/v1/organizations/${organizationId}/directories`, { provider }).expect(201);
  const scimBaseUrl = res.body.scim_base_url as string;
  return { id: res.body.id, organizationId, token: res.body.bearer_token, path: new URL(scimBaseUrl).pathname, scimBaseUrl };
}

/** Adds the domain to the org and verifies it manually (operator: ownership known). */
export async function verifyDomain(t: TestApp, organizationId: string, domain: string): Promise<string> {
  const created = await t.api.post(`/api/v1/organizations/${organizationId}/domains`, { domain }).expect(201);
  await t.api.post(`/api/v1/domains/${created.body.id}/verify`, { method: 'manual' }).expect(200);
  return created.body.id as string;
}

export interface ScimClient {
  get(path: string): supertest.Test;
  post(path: string, body: unknown): supertest.Test;
  put(path: string, body: unknown): supertest.Test;
  patch(path: string, body: unknown): supertest.Test;
  delete(path: string): supertest.Test;
}

/**
 * Requests under the directory's base path with its token (or `authorization` when given: another
 * token, a JWT, or '' for none). Bodies go as JSON text with Content-Type application/scim+json.
 */
export function scimClient(t: TestApp, dir: Pick<TestDirectory, 'path' | 'token'>, authorization?: string): ScimClient {
  const auth = (test: supertest.Test) => {
    const header = authorization ?? `Bearer ${dir.token}`;
    return header ? test.set('Authorization', header) : test;
  };
  const url = (path: string) => `${dir.path}${path}`;
  const withBody = (test: supertest.Test, body: unknown) =>
    auth(test).set('Content-Type', 'application/scim+json; charset=utf-8').send(typeof body === 'string' ? body : JSON.stringify(body));
  return {
    get: (path) => auth(t.http.get(url(path)).set('Accept', 'application/scim+json')),
    post: (path, body) => withBody(t.http.post(url(path)), body),
    put: (path, body) => withBody(t.http.put(url(path)), body),
    patch: (path, body) => withBody(t.http.patch(url(path)), body),
    delete: (path) => auth(t.http.delete(url(path))),
  };
}

/** A User on acme.example: userName and primary work email `<local>@acme.example`, a name made from `local`, active. */
export const userBody = (local: string, extra: Record<string, unknown> = {}) => ({
  schemas: [SCHEMA.user],
  userName: `${local}@acme.example`,
  name: { givenName: local[0]!.toUpperCase() + local.slice(1), familyName: 'Tester' },
  emails: [{ value: `${local}@acme.example`, type: 'work', primary: true }],
  active: true,
  ...extra,
});

/** The member ids of a Group resource, in its order. */
export const memberIds = (group: { members?: Array<{ value: string }> }) => (group.members ?? []).map((m) => m.value);

/** A fresh test app with the org Acme (acme.example verified) and a generic directory: where the SCIM server tests start. */
export interface AcmeDirectory {
  t: TestApp;
  org: string;
  dir: TestDirectory;
  /** The directory's client, with its token. */
  scim: ScimClient;
  /** POST /Users of userBody(local, extra), expecting 201: the created User. */
  createUser(local: string, extra?: Record<string, unknown>): Promise<Record<string, any>>;
  /** POST /Groups with these member ids, expecting 201: the created Group. */
  createGroup(displayName: string, members?: string[]): Promise<Record<string, any>>;
}

export async function acmeDirectory(): Promise<AcmeDirectory> {
  const t = await createTestApp();
  const org = await createOrg(t, 'Acme');
  await verifyDomain(t, org, 'acme.example');
  const dir = await createDirectory(t, org);
  const scim = scimClient(t, dir);
  return {
    t,
    org,
    dir,
    scim,
    createUser: async (local, extra = {}) => (await scim.post('/Users', userBody(local, extra)).expect(201)).body,
    createGroup: async (displayName, members = []) =>
      (await scim.post('/Groups', { schemas: [SCHEMA.group], displayName, members: members.map((value) => ({ value })) }).expect(201)).body,
  };
}

/** `filter=<expression>` with the expression percent-encoded as IdPs send it (spaces as %20). */
export const filterQuery = (expression: string) => `filter=${encodeURIComponent(expression)}`;

export const patchOp = (...Operations: unknown[]) => ({ schemas: [SCHEMA.patchOp], Operations });

/** An RFC 7644 §3.12 error: the status (also as a string in the body), the scimType when given, scim+json. */
export function expectScimError(res: ApiResponse, status: number, scimType?: string, label?: string): void {
  expect(res.status, label).toBe(status);
  expect(res.headers['content-type'], label).toMatch(/^application\/scim\+json/);
  expect(res.body, label).toEqual({ schemas: [SCHEMA.error], status: String(status), ...(scimType ? { scimType } : {}), detail: expect.any(String) });
}

export interface LoggedEvent {
  type: string;
  actor: { type: string; id: string | null };
  data: Record<string, unknown>;
}

/**
 * The org's activity log through GET /api/v1/events, read step by step: each call answers the events
 * written since the previous call (oldest first).
 */
export function eventLog(t: TestApp, organizationId: string): () => Promise<LoggedEvent[]> {
  let after: string | null = null;
  return async () => {
    const out: LoggedEvent[] = [];
    for (;;) {
      const res = await t.api.get(`/api/v1/events?organization_id=${organizationId}&limit=100${after ? `&after=${after}` : ''}`).expect(200);
      const page = res.body as { data: Array<LoggedEvent & { id: string }>; list_metadata: { after: string | null } };
      for (const { type, actor, data } of page.data) out.push({ type, actor, data });
      if (page.data.length) after = page.data[page.data.length - 1]!.id;
      if (!page.list_metadata.after) return out;
    }
  };
}

/** The org's membership of the person with this email, as GET /api/v1/organizations/:id/memberships answers it. */
export async function membershipOf(t: TestApp, organizationId: string, email: string): Promise<Record<string, any> | undefined> {
  const res = await t.api.get(`/api/v1/organizations/${organizationId}/memberships?limit=100`).expect(200);
  return (res.body.data as Array<Record<string, any>>).find((m) => m.user.email === email.toLowerCase());
}

/** GET /api/v1/users?email= : the person, or undefined. */
export async function userByEmail(t: TestApp, email: string): Promise<Record<string, any> | undefined> {
  const res = await t.api.get(`/api/v1/users?email=${encodeURIComponent(email)}`).expect(200);
  expect(res.body.data.length).toBeLessThanOrEqual(1);
  return res.body.data[0];
}

/**
 * t.snapshot() plus the directory tables (directories without last_request_at, which any authenticated
 * request may touch), to prove a refused SCIM request changed nothing.
 */
export async function scimSnapshot(t: TestApp): Promise<Record<string, unknown[]>> {
  const db = t.app.db;
  return {
    ...(await t.snapshot()),
    directories: (await db.selectFrom('directories').selectAll().orderBy('id').execute()).map(({ last_request_at: _, ...d }) => d),
    scim_users: await db.selectFrom('scim_users').selectAll().orderBy('id').execute(),
    scim_user_emails: await db.selectFrom('scim_user_emails').selectAll().orderBy('scim_user_id').orderBy('position').execute(),
    scim_groups: await db.selectFrom('scim_groups').selectAll().orderBy('id').execute(),
    scim_group_members: await db.selectFrom('scim_group_members').selectAll().orderBy('group_id').orderBy('scim_user_id').execute(),
    group_mappings: await db.selectFrom('group_mappings').selectAll().orderBy('id').execute(),
  };
}
