/**
 * The SCIM 2.0 server (RFC 7643/7644) as any client first meets it: discovery (ServiceProviderConfig,
 * ResourceTypes, Schemas) and media types.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acmeDirectory, expectScimError, patchOp, SCHEMA, type ScimClient, scimClient, scimSnapshot, type TestDirectory, userBody } from '../helpers/scim.ts';
import type { TestApp } from '../helpers/test-app.ts';

let t: TestApp, dir: TestDirectory, scim: ScimClient;

beforeEach(async () => ({ t, dir, scim } = await acmeDirectory()));
afterEach(async () => t.close());

describe('discovery (RFC 7643 §5-7)', () => {
  it('answers the ServiceProviderConfig: PATCH, filter with maxResults, ETags; no bulk, sort or password change', async () => {
    const res = await scim.get('/ServiceProviderConfig').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(res.body).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      patch: { supported: true },
      bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
      filter: { supported: true, maxResults: 200 },
      changePassword: { supported: false },
      sort: { supported: false },
      etag: { supported: true },
      authenticationSchemes: [expect.objectContaining({ type: 'oauthbearertoken', primary: true })],
      meta: { resourceType: 'ServiceProviderConfig', location: `${dir.scimBaseUrl}/ServiceProviderConfig` },
    });
  });

  it('answers the ResourceTypes, User with the enterprise extension, each by id', async () => {
    const res = await scim.get('/ResourceTypes').expect(200);
    expect(res.body).toMatchObject({ schemas: [SCHEMA.list], totalResults: 2, itemsPerPage: 2, startIndex: 1 });
    expect(res.body.Resources).toEqual([
      expect.objectContaining({ id: 'User', endpoint: '/Users', schema: SCHEMA.user, schemaExtensions: [{ schema: SCHEMA.enterprise, required: false }], meta: { resourceType: 'ResourceType', location: `${dir.scimBaseUrl}/ResourceTypes/User` } }),
      expect.objectContaining({ id: 'Group', endpoint: '/Groups', schema: SCHEMA.group }),
    ]);
    expect((await scim.get('/ResourceTypes/Group').expect(200)).body).toEqual(res.body.Resources[1]);
    expectScimError(await scim.get('/ResourceTypes/Device'), 404);
  });

  it('answers the Schemas: User, Group and the enterprise User, each by its URN', async () => {
    const res = await scim.get('/Schemas').expect(200);
    expect(res.body).toMatchObject({ schemas: [SCHEMA.list], totalResults: 3, itemsPerPage: 3, startIndex: 1 });
    expect(res.body.Resources.map((s: { id: string }) => s.id)).toEqual([SCHEMA.user, SCHEMA.group, SCHEMA.enterprise]);
    const user = (await scim.get(`/Schemas/${SCHEMA.user}`).expect(200)).body;
    expect(user.attributes.find((a: { name: string }) => a.name === 'userName')).toMatchObject({ type: 'string', required: true, caseExact: false, uniqueness: 'server' });
    expect(user.attributes.find((a: { name: string }) => a.name === 'password')).toMatchObject({ mutability: 'writeOnly', returned: 'never' });
    expect(user.attributes.find((a: { name: string }) => a.name === 'groups')).toMatchObject({ multiValued: true, mutability: 'readOnly' });
    const enterprise = (await scim.get(`/Schemas/${SCHEMA.enterprise}`).expect(200)).body;
    expect(enterprise).toMatchObject({ id: SCHEMA.enterprise, name: 'EnterpriseUser', meta: { resourceType: 'Schema', location: `${dir.scimBaseUrl}/Schemas/${SCHEMA.enterprise}` } });
    expect(enterprise.attributes.map((a: { name: string }) => a.name)).toEqual(['employeeNumber', 'costCenter', 'organization', 'division', 'department', 'manager']);
    expect(enterprise.attributes.at(-1).subAttributes.map((a: { name: string }) => a.name)).toEqual(['value', '$ref', 'displayName']);
    expectScimError(await scim.get('/Schemas/urn:ietf:params:scim:schemas:core:2.0:Device'), 404);
  });

  it('needs the token for discovery too', async () => {
    expectScimError(await scimClient(t, dir, '').get('/ServiceProviderConfig'), 401);
    expectScimError(await scimClient(t, dir, '').get('/Schemas'), 401);
  });
});

describe('media types (RFC 7644 §3.1, §8.1)', () => {
  it('answers application/scim+json, for errors too: 201, 200, 204 aside, 400, 401, 404, 409, 412', async () => {
    const created = await scim.post('/Users', userBody('ada')).expect(201);
    expect(created.headers['content-type']).toMatch(/^application\/scim\+json(;|$)/);
    const answers = [
      await scim.get(`/Users/${created.body.id}`),
      await scim.get('/Users'),
      await scim.post('/Users', '{"userName": '),
      await scimClient(t, dir, '').get('/Users'),
      await scim.get('/Users/dsu_01M8T247H71E8T82MXYZ8V2G2J'),
      await scim.get('/Devices'),
      await scim.post('/Users', userBody('ada')),
      await scim.put(`/Users/${created.body.id}`, userBody('ada')).set('If-Match', 'W/"9"'),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 200, 400, 401, 404, 404, 409, 412]);
    for (const res of answers) expect(res.headers['content-type'], `${res.status}`).toMatch(/^application\/scim\+json/);
    expectScimError(answers[2]!, 400, 'invalidSyntax');
    expectScimError(answers[5]!, 404);
    expectScimError(answers[7]!, 412);
  });

  it('accepts request bodies sent as application/json', async () => {
    const created = await t.http.post(`${dir.path}/Users`).set('Authorization', `Bearer ${dir.token}`).set('Content-Type', 'application/json').send(userBody('ada')).expect(201);
    expect(created.body.userName).toBe('ada@acme.example');
    const patched = await t.http
      .patch(`${dir.path}/Users/${created.body.id}`)
      .set('Authorization', `Bearer ${dir.token}`)
      .set('Content-Type', 'application/json')
      .send(patchOp({ op: 'replace', path: 'displayName', value: 'Ada' }))
      .expect(200);
    expect(patched.body.displayName).toBe('Ada');
    expect(patched.headers['content-type']).toMatch(/^application\/scim\+json/);
  });

  it('refuses an over-large body with 413 before anything is written', async () => {
    const before = await scimSnapshot(t);
    const body = JSON.stringify({ ...userBody('ada'), padding: 'x'.repeat(3 * 1024 * 1024) });
    const res = await scim.post('/Users', body);
    expectScimError(res, 413);
    expect(await scimSnapshot(t)).toEqual(before);
    expect((await scim.get('/Users').expect(200)).body.totalResults).toBe(0);
  });
});
