import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allEvents, createOrg, eventsSince, expectProblem, UNKNOWN } from '../helpers/api.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

describe('sites API', () => {
  let t: TestApp;
  let acme: string;
  beforeEach(async () => {
    t = await createTestApp();
    acme = await createOrg(t, 'Acme');
  });
  afterEach(async () => t.close());

  it('creates, reads, renames and deletes a site, each change one event', async () => {
    let before = (await allEvents(t)).length;
    const created = await t.api.post(`/api/v1/organizations/${acme}/sites`, { name: '  London HQ ' }).expect(201);
    expect(created.headers['content-type']).toMatch(/^application\/json/);
    expect(created.body).toEqual({ id: expect.stringMatching(/^site_[0-9A-HJKMNP-TV-Z]{26}$/), organization_id: acme, name: 'London HQ', created_at: '2026-12-01T09:00:00.000Z', updated_at: '2026-12-01T09:00:00.000Z' });
    const id = created.body.id as string;
    expect(await eventsSince(t, before)).toEqual([{ type: 'site.created', organization_id: acme, actor_type: 'api_key', data: { site_id: id, name: 'London HQ' } }]);

    await t.api.get(`/api/v1/sites/${id}`).expect(200, created.body);

    t.clock.advance(60_000);
    before = (await allEvents(t)).length;
    const renamed = await t.api.patch(`/api/v1/sites/${id}`, { name: 'London' }).expect(200);
    expect(renamed.body).toEqual({ ...created.body, name: 'London', updated_at: '2026-12-01T09:01:00.000Z' });
    expect(await eventsSince(t, before)).toEqual([{ type: 'site.updated', organization_id: acme, actor_type: 'api_key', data: { site_id: id, name: 'London', previous_name: 'London HQ' } }]);
    await t.api.get(`/api/v1/sites/${id}`).expect(200, renamed.body);

    // The same name again is no change and no event; a change of case is a rename of its own.
    const snap = await t.snapshot();
    await t.api.patch(`/api/v1/sites/${id}`, { name: 'London' }).expect(200, renamed.body);
    expect(await t.snapshot()).toEqual(snap);
    expect((await t.api.patch(`/api/v1/sites/${id}`, { name: 'LONDON' }).expect(200)).body.name).toBe('LONDON');

    before = (await allEvents(t)).length;
    const deleted = await t.api.delete(`/api/v1/sites/${id}`).expect(204);
    expect(deleted.text).toBe('');
    expect(await eventsSince(t, before)).toEqual([{ type: 'site.deleted', organization_id: acme, actor_type: 'api_key', data: { site_id: id, name: 'LONDON' } }]);
    expectProblem(await t.api.get(`/api/v1/sites/${id}`), 404, 'not_found');
    expectProblem(await t.api.delete(`/api/v1/sites/${id}`), 404, 'not_found');
    expectProblem(await t.api.patch(`/api/v1/sites/${id}`, { name: 'X' }), 404, 'not_found');
  });

  it("lists only the org's sites, oldest first, with paging", async () => {
    const globex = await createOrg(t, 'Globex');
    for (const name of ['A', 'B', 'C', 'D', 'E']) await t.api.post(`/api/v1/organizations/${acme}/sites`, { name }).expect(201);
    await t.api.post(`/api/v1/organizations/${globex}/sites`, { name: 'G' }).expect(201);

    const page1 = await t.api.get(`/api/v1/organizations/${acme}/sites?limit=2`).expect(200);
    expect(page1.body.data.map((s: { name: string }) => s.name)).toEqual(['A', 'B']);
    expect(page1.body.list_metadata.after).toBe(page1.body.data[1].id);
    const page2 = await t.api.get(`/api/v1/organizations/${acme}/sites?limit=2&after=${page1.body.list_metadata.after}`).expect(200);
    expect(page2.body.data.map((s: { name: string }) => s.name)).toEqual(['C', 'D']);
    const page3 = await t.api.get(`/api/v1/organizations/${acme}/sites?limit=2&after=${page2.body.list_metadata.after}`).expect(200);
    expect(page3.body).toMatchObject({ data: [{ name: 'E' }], list_metadata: { after: null } });
    expect((await t.api.get(`/api/v1/organizations/${acme}/sites`).expect(200)).body.data).toHaveLength(5);
    expect((await t.api.get(`/api/v1/organizations/${globex}/sites`).expect(200)).body.data.map((s: { name: string }) => s.name)).toEqual(['G']);
    const empty = await createOrg(t, 'Empty');
    expect((await t.api.get(`/api/v1/organizations/${empty}/sites`).expect(200)).body).toEqual({ data: [], list_metadata: { after: null } });
  });

  it('keeps names unique per org, case-insensitively (409 site_name_taken), but not across orgs', async () => {
    const globex = await createOrg(t, 'Globex');
    const hq = (await t.api.post(`/api/v1/organizations/${acme}/sites`, { name: 'HQ' }).expect(201)).body.id as string;
    const annex = (await t.api.post(`/api/v1/organizations/${acme}/sites`, { name: 'Annex' }).expect(201)).body.id as string;
    const before = await t.snapshot();
    for (const name of ['HQ', 'hq', ' Hq ']) {
      const res = await t.api.post(`/api/v1/organizations/${acme}/sites`, { name });
      expectProblem(res, 409, 'site_name_taken', `This organization already has a site named "${name.trim()}" (${hq}).`, name);
    }
    expectProblem(await t.api.patch(`/api/v1/sites/${annex}`, { name: 'hQ' }), 409, 'site_name_taken');
    expect(await t.snapshot()).toEqual(before);

    // Another org may use the same name, in any case.
    const other = await t.api.post(`/api/v1/organizations/${globex}/sites`, { name: 'hq' }).expect(201);
    expect(other.body).toMatchObject({ organization_id: globex, name: 'hq' });
    // A name freed by a delete or a rename can be taken again.
    await t.api.patch(`/api/v1/sites/${annex}`, { name: 'Annex 2' }).expect(200);
    await t.api.post(`/api/v1/organizations/${acme}/sites`, { name: 'annex' }).expect(201);
    await t.api.delete(`/api/v1/sites/${hq}`).expect(204);
    await t.api.post(`/api/v1/organizations/${acme}/sites`, { name: 'Hq' }).expect(201);
  });

  it('answers 409, not 500, for a duplicate name with non-ASCII capitals', async () => {
    await t.api.post(`/api/v1/organizations/${acme}/sites`, { name: 'ÉTÉ Office' }).expect(201);
    const before = await t.snapshot();
    expectProblem(await t.api.post(`/api/v1/organizations/${acme}/sites`, { name: 'ÉTÉ Office' }), 409, 'site_name_taken');
    expectProblem(await t.api.post(`/api/v1/organizations/${acme}/sites`, { name: 'ÉTÉ OFFICE' }), 409, 'site_name_taken');
    expect(await t.snapshot()).toEqual(before);
  });

  it('refuses bad input and unknown ids with a problem, and writes nothing', async () => {
    const site = (await t.api.post(`/api/v1/organizations/${acme}/sites`, { name: 'HQ' }).expect(201)).body.id as string;
    const before = await t.snapshot();
    const cases: Array<[string, () => Promise<any>, number, string, string]> = [
      ['missing name', () => t.api.post(`/api/v1/organizations/${acme}/sites`, {}), 422, 'validation_failed', 'name is required.'],
      ['empty name', () => t.api.post(`/api/v1/organizations/${acme}/sites`, { name: '   ' }), 422, 'validation_failed', 'name must not be empty.'],
      ['long name', () => t.api.post(`/api/v1/organizations/${acme}/sites`, { name: 'x'.repeat(201) }), 422, 'validation_failed', 'name must be at most 200 characters.'],
      ['name not a string', () => t.api.post(`/api/v1/organizations/${acme}/sites`, { name: 7 }), 422, 'validation_failed', 'name must be a string.'],
      ['unknown field', () => t.api.post(`/api/v1/organizations/${acme}/sites`, { name: 'X', organization_id: acme }), 422, 'validation_failed', 'Unknown field: organization_id.'],
      ['array body', () => t.api.post(`/api/v1/organizations/${acme}/sites`, ['X']), 400, 'malformed_body', 'The request body must be a JSON object.'],
      ['no body', () => t.api.post(`/api/v1/organizations/${acme}/sites`), 422, 'validation_failed', 'name is required.'],
      ['rename to empty', () => t.api.patch(`/api/v1/sites/${site}`, { name: '' }), 422, 'validation_failed', 'name must not be empty.'],
      ['create in unknown org', () => t.api.post(`/api/v1/organizations/${UNKNOWN.org}/sites`, { name: 'X' }), 404, 'not_found', `No organization with id ${UNKNOWN.org}.`],
      ['list of unknown org', () => t.api.get(`/api/v1/organizations/${UNKNOWN.org}/sites`), 404, 'not_found', `No organization with id ${UNKNOWN.org}.`],
      ['get unknown site', () => t.api.get(`/api/v1/sites/${UNKNOWN.site}`), 404, 'not_found', `No site with id ${UNKNOWN.site}.`],
      ['rename unknown site', () => t.api.patch(`/api/v1/sites/${UNKNOWN.site}`, { name: 'X' }), 404, 'not_found', `No site with id ${UNKNOWN.site}.`],
      ['delete unknown site', () => t.api.delete(`/api/v1/sites/${UNKNOWN.site}`), 404, 'not_found', `No site with id ${UNKNOWN.site}.`],
      ['bad cursor', () => t.api.get(`/api/v1/organizations/${acme}/sites?after=site`), 400, 'invalid_query', 'after must be a cursor from list_metadata.after.'],
    ];
    for (const [label, send, status, code, detail] of cases) {
      const res = await send();
      expectProblem(res, status, code, detail, label);
      expect(await t.snapshot(), label).toEqual(before);
    }
  });

  it("deleting an org removes its sites", async () => {
    const site = (await t.api.post(`/api/v1/organizations/${acme}/sites`, { name: 'HQ' }).expect(201)).body.id as string;
    await t.api.delete(`/api/v1/organizations/${acme}`).expect(204);
    expectProblem(await t.api.get(`/api/v1/sites/${site}`), 404, 'not_found');
    expect(await t.app.db.selectFrom('sites').selectAll().execute()).toEqual([]);
  });

  it('needs the API key', async () => {
    const site = (await t.api.post(`/api/v1/organizations/${acme}/sites`, { name: 'HQ' }).expect(201)).body.id as string;
    const before = await t.snapshot();
    await t.http.post(`/api/v1/organizations/${acme}/sites`).send({ name: 'X' }).expect(401);
    await t.http.patch(`/api/v1/sites/${site}`).send({ name: 'X' }).expect(401);
    await t.http.delete(`/api/v1/sites/${site}`).expect(401);
    expect(await t.snapshot()).toEqual(before);
  });
});
