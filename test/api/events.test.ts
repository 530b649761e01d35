import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiRouter } from '../../src/api/api.router.ts';
import { EVENT_TYPES } from '../../src/events/catalogue.ts';
import { createSite as createSiteService } from '../../src/orgs/sites.service.ts';
import { createOrg, createSite, expectProblem, seedMember, UNKNOWN } from '../helpers/api.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { IDP } from '../helpers/saml.ts';

type Event = { id: string; type: string; organization_id: string | null; actor: { type: string; id: string | null }; data: Record<string, unknown>; created_at: string };
const types = (res: { body: { data: Event[] } }) => res.body.data.map((e) => e.type);

describe('events API', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(async () => t.close());

  /** Every event through the API, following the cursor. */
  async function readAll(query = ''): Promise<Event[]> {
    const out: Event[] = [];
    let after: string | null = null;
    do {
      const res = await t.api.get(`/api/v1/events?limit=100${query}${after ? `&after=${after}` : ''}`).expect(200);
      const page = res.body as { data: Event[]; list_metadata: { after: string | null } };
      out.push(...page.data);
      after = page.list_metadata.after;
    } while (after);
    return out;
  }

  it('lists events oldest first with their full shape', async () => {
    const acme = await createOrg(t, 'Acme');
    t.clock.advance(1000);
    const site = await createSite(t, acme, 'HQ');
    const res = await t.api.get('/api/v1/events').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(types(res)).toEqual(['api_key.created', 'organization.created', 'site.created']);
    const keyId = res.body.data[0].data.api_key_id;
    expect(keyId).toMatch(/^key_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(res.body.data[0]).toEqual({ id: expect.stringMatching(/^evt_[0-9A-HJKMNP-TV-Z]{26}$/), type: 'api_key.created', organization_id: null, actor: { type: 'operator', id: null }, data: { api_key_id: keyId, name: 'test' }, created_at: '2026-12-01T09:00:00.000Z' });
    expect(res.body.data[2]).toEqual({ id: expect.stringMatching(/^evt_/), type: 'site.created', organization_id: acme, actor: { type: 'api_key', id: keyId }, data: { site_id: site, name: 'HQ' }, created_at: '2026-12-01T09:00:01.000Z' });
    expect(res.body.list_metadata).toEqual({ after: null });
    const ids = res.body.data.map((e: Event) => e.id);
    expect([...ids].sort()).toEqual(ids);
  });

  it('filters by organization_id and by comma-separated types', async () => {
    const acme = await createOrg(t, 'Acme');
    const globex = await createOrg(t, 'Globex');
    const hq = await createSite(t, acme, 'HQ');
    await createSite(t, globex, 'G1');
    await t.api.patch(`/api/v1/sites/${hq}`, { name: 'Head Office' }).expect(200);
    await seedMember(t, acme, { email: 'ada@acme.example' });
    await t.api.delete(`/api/v1/sites/${hq}`).expect(204);

    expect(types(await t.api.get(`/api/v1/events?organization_id=${acme}`).expect(200))).toEqual([
      'organization.created', 'site.created', 'site.updated', 'membership.created', 'site.deleted',
    ]);
    // user.created belongs to no org, so only the unfiltered log has it.
    expect(types(await t.api.get(`/api/v1/events?organization_id=${globex}`).expect(200))).toEqual(['organization.created', 'site.created']);
    expect(types(await t.api.get('/api/v1/events?types=site.created,site.deleted').expect(200))).toEqual(['site.created', 'site.created', 'site.deleted']);
    expect(types(await t.api.get(`/api/v1/events?types=${encodeURIComponent(' site.created , user.created ')}`).expect(200))).toEqual(['site.created', 'site.created', 'user.created']);
    expect(types(await t.api.get(`/api/v1/events?types=site.created&organization_id=${globex}`).expect(200))).toEqual(['site.created']);
    expect((await t.api.get('/api/v1/events?types=invitation.accepted').expect(200)).body).toEqual({ data: [], list_metadata: { after: null } });
    expect((await t.api.get(`/api/v1/events?organization_id=${UNKNOWN.org}`).expect(200)).body.data).toEqual([]);
  });

  it('refuses an unknown event type with 422 unknown_event_type, and other bad queries with 400', async () => {
    await createOrg(t, 'Acme');
    const before = await t.snapshot();
    const one = await t.api.get('/api/v1/events?types=site.created,site.exploded');
    expectProblem(one, 422, 'validation_failed');
    expect(one.body.errors).toEqual([{ field: 'types', code: 'unknown_event_type', message: 'Unknown event type: site.exploded.' }]);
    const two = await t.api.get('/api/v1/events?types=Site.Created,*');
    expect(two.body.errors[0]).toMatchObject({ code: 'unknown_event_type', message: 'Unknown event types: Site.Created, *.' });
    for (const [label, query, field] of [
      ['bad organization_id', 'organization_id=acme', 'organization_id'],
      ['bad cursor', 'after=42', 'after'],
      ['limit too big', 'limit=1000', 'limit'],
      ['types too long', `types=${'a'.repeat(4001)}`, 'types'],
    ] as const) {
      const res = await t.api.get(`/api/v1/events?${query}`);
      expectProblem(res, 400, 'invalid_query', undefined, label);
      expect(res.body.errors.map((e: { field: string }) => e.field), label).toEqual([field]);
    }
    expect(await t.snapshot()).toEqual(before);
  });

  it('pages after a cursor: only newer events, each exactly once, and none before a new one arrives', async () => {
    const acme = await createOrg(t, 'Acme');
    for (const name of ['A', 'B', 'C', 'D', 'E', 'F']) await createSite(t, acme, name);
    const all = (await t.api.get('/api/v1/events').expect(200)).body.data as Event[];
    expect(all).toHaveLength(8);

    const page1 = await t.api.get('/api/v1/events?limit=3').expect(200);
    expect(page1.body.data).toEqual(all.slice(0, 3));
    expect(page1.body.list_metadata.after).toBe(all[2]!.id);
    const page2 = await t.api.get(`/api/v1/events?limit=3&after=${page1.body.list_metadata.after}`).expect(200);
    expect(page2.body.data).toEqual(all.slice(3, 6));
    const page3 = await t.api.get(`/api/v1/events?limit=3&after=${page2.body.list_metadata.after}`).expect(200);
    expect(page3.body).toEqual({ data: all.slice(6), list_metadata: { after: null } });

    // A consumer polls after the last id it has seen: nothing, then only what is new.
    const last = all.at(-1)!.id;
    expect((await t.api.get(`/api/v1/events?after=${last}`).expect(200)).body.data).toEqual([]);
    await createSite(t, acme, 'G');
    expect(types(await t.api.get(`/api/v1/events?after=${last}`).expect(200))).toEqual(['site.created']);
    // From the middle, with a filter.
    const fromMiddle = await t.api.get(`/api/v1/events?types=site.created&after=${all[4]!.id}`).expect(200);
    expect(fromMiddle.body.data.map((e: Event) => e.data.name)).toEqual(['D', 'E', 'F', 'G']);
    // Reading everything with the cursor gives each event once, in order.
    const read = await readAll();
    expect(read.map((e) => e.id)).toEqual([...all.map((e) => e.id), read.at(-1)!.id]);
  });

  it('every API change writes exactly one event (covering every mutating route)', async () => {
    const acme = await createOrg(t, 'Acme');
    const { userId, membershipId } = await seedMember(t, acme, { email: 'ada@acme.example' });
    let site = '';
    let domain = '';
    let contact = '';
    let invitation = '';
    let client = '';
    let directory = '';
    let webhook = '';
    let connection = '';
    let portalLink = '';
    const steps: Array<[route: string, send: () => Promise<{ body: any }>, event: string]> = [
      ['post /organizations', () => t.api.post('/api/v1/organizations', { name: 'Globex' }).expect(201), 'organization.created'],
      ['patch /organizations/:id', () => t.api.patch(`/api/v1/organizations/${acme}`, { name: 'Acme Inc' }).expect(200), 'organization.updated'],
      ['post /organizations/:id/domains', async () => { const r = await t.api.post(`/api/v1/organizations/${acme}/domains`, { domain: 'acme.example' }).expect(201); domain = r.body.id; return r; }, 'domain.created'],
      ['post /domains/:id/verify', () => t.api.post(`/api/v1/domains/${domain}/verify`, { method: 'manual' }).expect(200), 'domain.verified'],
      ['delete /domains/:id', () => t.api.delete(`/api/v1/domains/${domain}`).expect(204), 'domain.deleted'],
      ['post /organizations/:id/it_contacts', async () => { const r = await t.api.post(`/api/v1/organizations/${acme}/it_contacts`, { email: 'it@acme.example' }).expect(201); contact = r.body.id; return r; }, 'it_contact.created'],
      ['delete /it_contacts/:id', () => t.api.delete(`/api/v1/it_contacts/${contact}`).expect(204), 'it_contact.deleted'],
      ['post /organizations/:id/sites', async () => { const r = await t.api.post(`/api/v1/organizations/${acme}/sites`, { name: 'HQ' }).expect(201); site = r.body.id; return r; }, 'site.created'],
      ['patch /sites/:id', () => t.api.patch(`/api/v1/sites/${site}`, { name: 'Head Office' }).expect(200), 'site.updated'],
      ['patch /memberships/:id', () => t.api.patch(`/api/v1/memberships/${membershipId}`, { role: 'admin' }).expect(200), 'membership.updated'],
      ['post /memberships/:id/disable', () => t.api.post(`/api/v1/memberships/${membershipId}/disable`).expect(200), 'membership.disabled'],
      ['post /memberships/:id/enable', () => t.api.post(`/api/v1/memberships/${membershipId}/enable`).expect(200), 'membership.enabled'],
      ['put /sites/:siteId/assignments/:userId', () => t.api.put(`/api/v1/sites/${site}/assignments/${userId}`, { role: 'member' }).expect(200), 'site_assignment.created'],
      ['put /sites/:siteId/assignments/:userId', () => t.api.put(`/api/v1/sites/${site}/assignments/${userId}`, { role: 'admin' }).expect(200), 'site_assignment.updated'],
      ['delete /sites/:siteId/assignments/:userId', () => t.api.delete(`/api/v1/sites/${site}/assignments/${userId}`).expect(204), 'site_assignment.deleted'],
      ['delete /sites/:id', () => t.api.delete(`/api/v1/sites/${site}`).expect(204), 'site.deleted'],
      ['post /organizations/:id/invitations', async () => { const r = await t.api.post(`/api/v1/organizations/${acme}/invitations`, { email: 'new@acme.example' }).expect(201); invitation = r.body.id; return r; }, 'invitation.created'],
      ['delete /invitations/:id', () => t.api.delete(`/api/v1/invitations/${invitation}`).expect(204), 'invitation.revoked'],
      ['post /clients', async () => { const r = await t.api.post('/api/v1/clients', { name: 'App', redirect_uris: ['https://app.example/cb'] }).expect(201); client = r.body.id; return r; }, 'client.created'],
      ['delete /clients/:id', () => t.api.delete(`/api/v1/clients/${client}`).expect(204), 'client.deleted'],
      ['post /organizations/:id/directories', async () => { const r = await t.api.post(`/api/v1/organizations/${acme}/directories`, { provider: 'okta' }).expect(201); directory = r.body.id; return r; }, 'directory.created'],
      ['post /directories/:id/token', () => t.api.post(`/api/v1/directories/${directory}/token`).expect(200), 'directory.token_rotated'],
      ['put /directories/:id/group_mappings', () => t.api.put(`/api/v1/directories/${directory}/group_mappings`, { data: [{ group: 'Admins', org_role: 'admin' }] }).expect(200), 'directory.group_mappings_updated'],
      ['delete /directories/:id', () => t.api.delete(`/api/v1/directories/${directory}`).expect(204), 'directory.deleted'],
      ['post /webhooks', async () => { const r = await t.api.post('/api/v1/webhooks', { url: 'https://hooks.example/gatehouse', events: ['*'] }).expect(201); webhook = r.body.id; return r; }, 'webhook.created'],
      ['delete /webhooks/:id', () => t.api.delete(`/api/v1/webhooks/${webhook}`).expect(204), 'webhook.deleted'],
      ['patch /organizations/:id', () => t.api.patch(`/api/v1/organizations/${acme}`, { sso_entitled: true }).expect(200), 'organization.updated'],
      ['post /organizations/:id/connections', async () => {
        const r = await t.api.post(`/api/v1/organizations/${acme}/connections`, { type: 'saml', provider: 'okta', saml: { idp_entity_id: IDP.entityId, sso_url: IDP.ssoUrl, certificates: [IDP.certificate] } }).expect(201);
        connection = r.body.id;
        return r;
      }, 'connection.created'],
      ['patch /connections/:id', () => t.api.patch(`/api/v1/connections/${connection}`, { name: 'Okta' }).expect(200), 'connection.updated'],
      ['post /connections/:id/activate', () => t.api.post(`/api/v1/connections/${connection}/activate`).expect(200), 'connection.activated'],
      ['post /connections/:id/deactivate', () => t.api.post(`/api/v1/connections/${connection}/deactivate`).expect(200), 'connection.deactivated'],
      ['delete /connections/:id', () => t.api.delete(`/api/v1/connections/${connection}`).expect(204), 'connection.deleted'],
      ['post /portal/links', async () => { const r = await t.api.post('/api/v1/portal/links', { organization_id: acme, intent: 'dsync' }).expect(201); portalLink = r.body.id; return r; }, 'portal_link.created'],
      ['delete /portal/links/:id', () => t.api.delete(`/api/v1/portal/links/${portalLink}`).expect(200), 'portal_link.revoked'],
      ['delete /organizations/:id', () => t.api.delete(`/api/v1/organizations/${acme}`).expect(204), 'organization.deleted'],
    ];
    const keyId = (await t.app.db.selectFrom('api_keys').select('id').executeTakeFirstOrThrow()).id;
    for (const [route, send, event] of steps) {
      const before = await readAll();
      await send();
      const after = await readAll();
      expect(after.slice(0, before.length), route).toEqual(before);
      expect(after.slice(before.length).map((e) => e.type), route).toEqual([event]);
      expect(after.at(-1)!.actor, route).toEqual({ type: 'api_key', id: keyId });
    }

    // The list above names every route that can change something: a new one must come with its event.
    const { registry } = createApiRouter({ ctx: t.app.ctx, db: t.app.db, uow: t.app.uow, dns: t.app.dns });
    const mutating = registry.routes.filter((r) => r.method !== 'get').map((r) => `${r.method} ${r.path}`);
    expect(new Set(steps.map(([route]) => route))).toEqual(new Set(mutating));
  });

  it('a refused change writes no event', async () => {
    const acme = await createOrg(t, 'Acme');
    const globex = await createOrg(t, 'Globex');
    const hq = await createSite(t, acme, 'HQ');
    const { membershipId } = await seedMember(t, acme, { email: 'ada@acme.example' });
    const { userId: gus } = await seedMember(t, globex, { email: 'gus@globex.example' });
    const before = await t.snapshot();
    await t.api.post(`/api/v1/organizations/${acme}/sites`, { name: 'hq' }).expect(409);
    await t.api.post(`/api/v1/organizations/${UNKNOWN.org}/sites`, { name: 'X' }).expect(404);
    await t.api.put(`/api/v1/sites/${hq}/assignments/${gus}`, { role: 'member' }).expect(422);
    await t.api.put(`/api/v1/sites/${hq}/assignments/${gus}`, { role: 'owner' }).expect(422);
    await t.api.patch(`/api/v1/memberships/${membershipId}`, { role: 'owner' }).expect(422);
    await t.api.post(`/api/v1/memberships/${UNKNOWN.mem}/disable`).expect(404);
    await t.api.delete(`/api/v1/sites/${hq}/assignments/${gus}`).expect(404);
    await t.http.delete(`/api/v1/sites/${hq}`).expect(401);
    expect(await t.snapshot()).toEqual(before);
  });

  it('writes the event in the same transaction as the change: a rolled-back change leaves neither', async () => {
    const acme = await createOrg(t, 'Acme');
    const before = await t.snapshot();
    await expect(t.app.uow(async (trx) => {
      await createSiteService(trx, t.call, acme, 'HQ');
      throw new Error('fails after the write');
    })).rejects.toThrow('fails after the write');
    expect(await t.snapshot()).toEqual(before);
    // And a committed one has both.
    await t.app.uow((trx) => createSiteService(trx, t.call, acme, 'HQ'));
    const after = await t.snapshot();
    expect(after.sites).toHaveLength(1);
    expect((after.events as Array<{ type: string }>).at(-1)!.type).toBe('site.created');
  });

  it('every catalogued type is accepted as a filter', async () => {
    const res = await t.api.get(`/api/v1/events?types=${EVENT_TYPES.join(',')}`).expect(200);
    expect(types(res)).toEqual(['api_key.created']);
  });

  it('needs the API key', async () => {
    await t.http.get('/api/v1/events').expect(401);
  });
});
