import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOrg, expectProblem, seedMember, UNKNOWN } from '../helpers/api.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const emails = (res: { body: { data: Array<{ email: string }> } }) => res.body.data.map((u) => u.email);

describe('users API', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(async () => t.close());

  it('reads a user by id, with email_verified as a boolean and a display name', async () => {
    const org = await createOrg(t, 'Acme');
    const { userId } = await seedMember(t, org, { email: '  Ada@Acme.Example ', first_name: 'Ada', last_name: 'Lovelace' });
    const res = await t.api.get(`/api/v1/users/${userId}`).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      id: userId,
      email: 'ada@acme.example',
      email_verified: false,
      first_name: 'Ada',
      last_name: 'Lovelace',
      name: 'Ada Lovelace',
      created_at: '2026-12-01T09:00:00.000Z',
      updated_at: '2026-12-01T09:00:00.000Z',
    });
    expect(userId).toMatch(/^user_[0-9A-HJKMNP-TV-Z]{26}$/);

    const { userId: nameless } = await seedMember(t, org, { email: 'x@acme.example' });
    expect((await t.api.get(`/api/v1/users/${nameless}`).expect(200)).body).toMatchObject({ first_name: null, last_name: null, name: null });
  });

  it('answers 404 problem+json for an unknown user, and for a malformed one', async () => {
    const res = await t.api.get(`/api/v1/users/${UNKNOWN.user}`);
    expectProblem(res, 404, 'not_found');
    expect(res.body.detail).toBe(`No user with id ${UNKNOWN.user}.`);
    expectProblem(await t.api.get('/api/v1/users/nope'), 404, 'not_found');
  });

  it('lists every user without a filter, oldest first', async () => {
    const acme = await createOrg(t, 'Acme');
    await seedMember(t, acme, { email: 'a@acme.example' });
    await seedMember(t, null, { email: 'loner@example.org' });
    await seedMember(t, acme, { email: 'b@acme.example' });
    const res = await t.api.get('/api/v1/users').expect(200);
    expect(emails(res)).toEqual(['a@acme.example', 'loner@example.org', 'b@acme.example']);
    expect(res.body.list_metadata).toEqual({ after: null });
  });

  it('filters by organization_id: only that org\'s members, a person in two orgs once in each', async () => {
    const acme = await createOrg(t, 'Acme');
    const globex = await createOrg(t, 'Globex');
    await seedMember(t, acme, { email: 'a@acme.example' });
    await seedMember(t, globex, { email: 'g@globex.example' });
    const both = await seedMember(t, acme, { email: 'both@example.org' });
    await seedMember(t, globex, { email: 'both@example.org' });
    await seedMember(t, null, { email: 'loner@example.org' });

    expect(emails(await t.api.get(`/api/v1/users?organization_id=${acme}`).expect(200))).toEqual(['a@acme.example', 'both@example.org']);
    expect(emails(await t.api.get(`/api/v1/users?organization_id=${globex}`).expect(200))).toEqual(['g@globex.example', 'both@example.org']);
    // An org with no members (or none at all) lists nobody.
    const empty = await createOrg(t, 'Empty');
    expect((await t.api.get(`/api/v1/users?organization_id=${empty}`).expect(200)).body).toEqual({ data: [], list_metadata: { after: null } });
    expect((await t.api.get(`/api/v1/users?organization_id=${UNKNOWN.org}`).expect(200)).body.data).toEqual([]);
    // The filter combines with the others.
    expect(emails(await t.api.get(`/api/v1/users?organization_id=${globex}&q=both`).expect(200))).toEqual(['both@example.org']);
    expect((await t.api.get(`/api/v1/users?organization_id=${globex}&email=a@acme.example`).expect(200)).body.data).toEqual([]);
    expect(both.userId).toMatch(/^user_/);
  });

  it('filters by exact email, case-insensitively, and never by part of one', async () => {
    const acme = await createOrg(t, 'Acme');
    const { userId } = await seedMember(t, acme, { email: 'ada@acme.example' });
    await seedMember(t, acme, { email: 'ada@acme.example.org' });
    await seedMember(t, acme, { email: 'bada@acme.example' });

    for (const email of ['ada@acme.example', 'ADA@Acme.Example', 'Ada%40ACME.example']) {
      const res = await t.api.get(`/api/v1/users?email=${email}`).expect(200);
      expect(res.body.data.map((u: { id: string }) => u.id), email).toEqual([userId]);
    }
    expect((await t.api.get('/api/v1/users?email=ada@acme').expect(200)).body.data).toEqual([]);
    expect((await t.api.get('/api/v1/users?email=%25@acme.example').expect(200)).body.data).toEqual([]);
    // Surrounding spaces are not part of an address; a blank email matches nobody, not everyone.
    expect((await t.api.get('/api/v1/users?email=%20ada@acme.example%20').expect(200)).body.data.map((u: { id: string }) => u.id)).toEqual([userId]);
    expect((await t.api.get('/api/v1/users?email=').expect(200)).body).toEqual({ data: [], list_metadata: { after: null } });
    expect((await t.api.get('/api/v1/users?email=%20').expect(200)).body.data).toEqual([]);
    // Given twice, it is a bad query.
    expectProblem(await t.api.get('/api/v1/users?email=a@acme.example&email=b@acme.example'), 400, 'invalid_query');
  });

  it('searches q in email, first and last name, case-insensitively', async () => {
    const acme = await createOrg(t, 'Acme');
    await seedMember(t, acme, { email: 'ada@acme.example', first_name: 'Ada', last_name: 'Lovelace' });
    await seedMember(t, acme, { email: 'grace@acme.example', first_name: 'Grace', last_name: 'Hopper' });
    await seedMember(t, acme, { email: 'hop@other.example', first_name: null, last_name: null });
    await seedMember(t, acme, { email: 'kat@acme.example', first_name: 'Katherine', last_name: 'Johnson' });

    const search = async (q: string) => emails(await t.api.get(`/api/v1/users?q=${encodeURIComponent(q)}`).expect(200));
    expect(await search('LOVE')).toEqual(['ada@acme.example']); // last name
    expect(await search('grace')).toEqual(['grace@acme.example']); // first name and email
    expect(await search('HOP')).toEqual(['grace@acme.example', 'hop@other.example']); // last name, email
    expect(await search('other.example')).toEqual(['hop@other.example']);
    expect(await search('erin')).toEqual(['kat@acme.example']); // inside a first name
    expect(await search('acme')).toEqual(['ada@acme.example', 'grace@acme.example', 'kat@acme.example']);
    expect(await search('nobody')).toEqual([]);
  });

  it('finds a name with non-ASCII letters typed as stored, and its ASCII part in any case', async () => {
    const acme = await createOrg(t, 'Acme');
    await seedMember(t, acme, { email: 'emile@acme.example', first_name: 'Émile', last_name: 'Zola' });
    await seedMember(t, acme, { email: 'other@acme.example', first_name: 'Emil', last_name: 'Other' });
    const search = async (q: string) => emails(await t.api.get(`/api/v1/users?q=${encodeURIComponent(q)}`).expect(200));
    expect(await search('Émile')).toEqual(['emile@acme.example']);
    expect(await search('ÉMILE')).toEqual(['emile@acme.example']);
    expect(await search('zOLA')).toEqual(['emile@acme.example']);
  });

  it('treats LIKE wildcards % and _ (and the escape \\) in q literally', async () => {
    const acme = await createOrg(t, 'Acme');
    await seedMember(t, acme, { email: 'plain@acme.example', first_name: 'Plain', last_name: 'Name' });
    await seedMember(t, acme, { email: 'first_last@acme.example', first_name: 'First', last_name: 'Last' });
    await seedMember(t, acme, { email: 'firstxlast@acme.example', first_name: 'Firstx', last_name: 'Lastx' });
    await seedMember(t, acme, { email: 'pct@acme.example', first_name: '100%', last_name: 'Sure' });
    await seedMember(t, acme, { email: 'back@acme.example', first_name: 'Back\\slash', last_name: null });

    const search = async (q: string) => emails(await t.api.get(`/api/v1/users?q=${encodeURIComponent(q)}`).expect(200));
    expect(await search('%')).toEqual(['pct@acme.example']);
    expect(await search('0%')).toEqual(['pct@acme.example']);
    expect(await search('%%')).toEqual([]);
    expect(await search('_')).toEqual(['first_last@acme.example']);
    expect(await search('t_l')).toEqual(['first_last@acme.example']); // not also firstxlast
    expect(await search('a%e')).toEqual([]); // would match almost everyone as a pattern
    expect(await search('\\')).toEqual(['back@acme.example']);
    expect(await search('k\\s')).toEqual(['back@acme.example']);
    expect(await search('\\%')).toEqual([]);
  });

  it('pages with limit and after, filters and all', async () => {
    const acme = await createOrg(t, 'Acme');
    const ids: string[] = [];
    for (const n of [1, 2, 3, 4, 5]) ids.push((await seedMember(t, acme, { email: `p${n}@acme.example` })).userId);
    await seedMember(t, null, { email: 'outsider@acme.example' });

    const page1 = await t.api.get(`/api/v1/users?organization_id=${acme}&limit=2`).expect(200);
    expect(emails(page1)).toEqual(['p1@acme.example', 'p2@acme.example']);
    expect(page1.body.list_metadata).toEqual({ after: ids[1] });
    const page2 = await t.api.get(`/api/v1/users?organization_id=${acme}&limit=2&after=${page1.body.list_metadata.after}`).expect(200);
    expect(emails(page2)).toEqual(['p3@acme.example', 'p4@acme.example']);
    const page3 = await t.api.get(`/api/v1/users?organization_id=${acme}&limit=2&after=${page2.body.list_metadata.after}`).expect(200);
    expect(page3.body).toMatchObject({ data: [{ email: 'p5@acme.example' }], list_metadata: { after: null } });
    // Exactly a full page: no next cursor.
    expect((await t.api.get(`/api/v1/users?organization_id=${acme}&limit=5`).expect(200)).body.list_metadata).toEqual({ after: null });
    // q pages too.
    const q1 = await t.api.get('/api/v1/users?q=acme.example&limit=4').expect(200);
    expect(emails(q1)).toEqual(['p1@acme.example', 'p2@acme.example', 'p3@acme.example', 'p4@acme.example']);
    const q2 = await t.api.get(`/api/v1/users?q=acme.example&limit=4&after=${q1.body.list_metadata.after}`).expect(200);
    expect(q2.body).toMatchObject({ data: [{ email: 'p5@acme.example' }, { email: 'outsider@acme.example' }], list_metadata: { after: null } });
    // The default page is 20.
    for (let n = 6; n <= 25; n++) await seedMember(t, acme, { email: `p${n}@acme.example` });
    const def = await t.api.get(`/api/v1/users?organization_id=${acme}`).expect(200);
    expect(def.body.data).toHaveLength(20);
    expect(def.body.list_metadata.after).toBe(def.body.data[19].id);
  });

  it('refuses a bad query with 400 invalid_query and writes nothing', async () => {
    const acme = await createOrg(t, 'Acme');
    await seedMember(t, acme, { email: 'a@acme.example' });
    const before = await t.snapshot();
    const cases: Array<[string, string, string, string]> = [
      ['q over 100 characters', `q=${'a'.repeat(101)}`, 'q', 'q must be at most 100 characters'],
      ['organization_id not an org id', 'organization_id=acme', 'organization_id', 'must be a org_ id'],
      ['organization_id of another kind', `organization_id=${UNKNOWN.user}`, 'organization_id', 'must be a org_ id'],
      ['organization_id injected', "organization_id=org_1'%20or%20'1'='1", 'organization_id', 'must be a org_ id'],
      ['email over 254 characters', `email=${'a'.repeat(250)}@x.example`, 'email', ''],
      ['limit 0', 'limit=0', 'limit', 'limit must be from 1 to 100.'],
      ['limit not a number', 'limit=ten', 'limit', ''],
      ['bad cursor', 'after=user_1', 'after', 'after must be a cursor from list_metadata.after.'],
    ];
    for (const [label, query, field, message] of cases) {
      const res = await t.api.get(`/api/v1/users?${query}`);
      expectProblem(res, 400, 'invalid_query', undefined, label);
      expect(res.body.errors.map((e: { field: string }) => e.field), label).toEqual([field]);
      expect(res.body.errors[0].message, label).toContain(message);
    }
    // Exactly 100 characters is still a search.
    await t.api.get(`/api/v1/users?q=${'a'.repeat(100)}`).expect(200);
    expect(await t.snapshot()).toEqual(before);
  });

  it('needs the API key', async () => {
    const acme = await createOrg(t, 'Acme');
    const { userId } = await seedMember(t, acme, { email: 'a@acme.example' });
    await t.http.get('/api/v1/users').expect(401);
    await t.http.get(`/api/v1/users/${userId}`).expect(401);
    await t.http.get(`/api/v1/users?organization_id=${acme}`).expect(401);
  });
});
