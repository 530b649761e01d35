import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

describe('organizations API', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(async () => t.close());

  it('creates, reads, updates and deletes an organization, each change an event', async () => {
    const created = await t.api.post('/api/v1/organizations', { name: 'Acme', sso_entitled: true }).expect(201);
    expect(created.body).toMatchObject({ name: 'Acme', sso_entitled: true, auto_provision: true, enforce_sso: false, created_at: '2026-12-01T09:00:00.000Z' });
    expect(created.body.id).toMatch(/^org_[0-9A-Z]{26}$/);
    const id = created.body.id;

    await t.api.get(`/api/v1/organizations/${id}`).expect(200, created.body);
    const patched = await t.api.patch(`/api/v1/organizations/${id}`, { enforce_sso: true, name: 'Acme Inc' }).expect(200);
    expect(patched.body).toMatchObject({ name: 'Acme Inc', enforce_sso: true });

    await t.api.delete(`/api/v1/organizations/${id}`).expect(204);
    await t.api.get(`/api/v1/organizations/${id}`).expect(404);

    const events = await t.api.get(`/api/v1/events?organization_id=${id}`).expect(200);
    expect(events.body.data.map((e: { type: string }) => e.type)).toEqual(['organization.created', 'organization.updated', 'organization.deleted']);
    expect(events.body.data[1].data).toEqual({ changes: { enforce_sso: true, name: 'Acme Inc' } });
    expect(events.body.data[0].actor.type).toBe('api_key');
  });

  it('pages with limit and after', async () => {
    for (const name of ['A', 'B', 'C', 'D', 'E']) await t.api.post('/api/v1/organizations', { name }).expect(201);
    const first = await t.api.get('/api/v1/organizations?limit=2').expect(200);
    expect(first.body.data.map((o: { name: string }) => o.name)).toEqual(['A', 'B']);
    const second = await t.api.get(`/api/v1/organizations?limit=2&after=${first.body.list_metadata.after}`).expect(200);
    expect(second.body.data.map((o: { name: string }) => o.name)).toEqual(['C', 'D']);
    const last = await t.api.get(`/api/v1/organizations?limit=2&after=${second.body.list_metadata.after}`).expect(200);
    expect(last.body).toMatchObject({ data: [{ name: 'E' }], list_metadata: { after: null } });
  });

  it('refuses bad input with a clear problem and writes nothing', async () => {
    const before = await t.snapshot();
    const cases: Array<[string, () => Promise<{ status: number; body: any; headers: Record<string, string> }>, number, string]> = [
      ['missing name', () => t.api.post('/api/v1/organizations', {}), 422, 'name is required.'],
      ['empty name', () => t.api.post('/api/v1/organizations', { name: '  ' }), 422, 'name must not be empty.'],
      ['wrong type', () => t.api.post('/api/v1/organizations', { name: 'X', sso_entitled: 'yes' }), 422, 'sso_entitled must be a boolean.'],
      ['unknown field', () => t.api.post('/api/v1/organizations', { name: 'X', plan: 'gold' }), 422, 'Unknown field: plan.'],
      ['not JSON', () => t.api.post('/api/v1/organizations', '{"name":').set('Content-Type', 'application/json'), 400, 'The request body is not valid JSON.'],
      ['array body', () => t.api.post('/api/v1/organizations', [1]), 400, 'The request body must be a JSON object.'],
      ['unknown id', () => t.api.patch('/api/v1/organizations/org_01M8T247H71E8T82MXYZ8V2G2J', { name: 'X' }), 404, 'No organization with id org_01M8T247H71E8T82MXYZ8V2G2J.'],
      ['bad limit', () => t.api.get('/api/v1/organizations?limit=500'), 400, 'limit must be from 1 to 100.'],
      ['bad cursor', () => t.api.get('/api/v1/organizations?after=1%20or%201=1'), 400, 'after must be a cursor from list_metadata.after.'],
    ];
    for (const [label, send, status, detail] of cases) {
      const res = await send();
      expect(res.status, label).toBe(status);
      expect(res.headers['content-type'], label).toMatch(/^application\/problem\+json/);
      expect(res.body.detail, label).toBe(detail);
    }
    expect(await t.snapshot()).toEqual(before);
  });

  it('refuses a body over 2 MB with 413 before doing anything', async () => {
    const before = await t.snapshot();
    const res = await t.api.post('/api/v1/organizations', { name: 'x'.repeat(2_200_000) }).expect(413);
    expect(res.body).toMatchObject({ title: 'payload_too_large', detail: 'The request body is larger than 2 MB.' });
    expect(await t.snapshot()).toEqual(before);
  });

  it('answers 401 without a valid API key, and never reads the body first', async () => {
    const none = await t.http.post('/api/v1/organizations').send({ name: 'X' }).expect(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="gatehouse"');
    expect(none.body.detail).toBe('An API key is required: send "Authorization: Bearer <api key>".');
    const wrong = await t.http.get('/api/v1/organizations').set('Authorization', `Bearer ${t.apiKey.slice(0, -2)}xx`).expect(401);
    expect(wrong.body.detail).toBe('The API key is not valid or has been revoked.');
    await t.http.get('/api/v1/organizations').set('Authorization', 'Basic abc').expect(401);
  });
});
