import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiRouter } from '../../src/api/api.router.ts';
import type { RouteSpec } from '../../src/api/registry.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

type Operation = {
  summary: string;
  tags: string[];
  operationId: string;
  parameters: Array<{ name: string; in: string; required: boolean; schema: unknown }>;
  requestBody?: { required: boolean; content: Record<string, { schema: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
};
type Document = {
  openapi: string;
  info: { title: string; version: string };
  servers: Array<{ url: string }>;
  security: unknown[];
  components: { securitySchemes: Record<string, { type: string; scheme: string }> };
  paths: Record<string, Record<string, Operation>>;
};

/** Id prefixes by the collection a path parameter follows (DESIGN.md "Identifiers"). */
const PREFIX: Record<string, string> = {
  organizations: 'org', domains: 'dom', it_contacts: 'itc', sites: 'site', users: 'user', memberships: 'mem', invitations: 'inv',
  connections: 'conn', directories: 'dir', webhooks: 'wh', clients: 'cli', events: 'evt', links: 'plink',
};
const NAMED: Record<string, string> = { siteId: 'site', userId: 'user', orgId: 'org', organizationId: 'org' };

/** The OpenAPI path with every {param} replaced by a syntactically valid id that names nothing. */
function fillPath(template: string): string {
  const segments = template.split('/');
  return segments
    .map((segment, i) => {
      const m = /^\{(\w+)\}$/.exec(segment);
      if (!m) return segment;
      const prefix = NAMED[m[1]!] ?? PREFIX[segments[i - 1]!];
      if (!prefix) throw new Error(`no id prefix known for {${m[1]}} in ${template}: add it to the test`);
      return `${prefix}_01M8T247H71E8T82MXYZ8V2G2J`;
    })
    .join('/');
}

const operations = (doc: Document) =>
  Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));

describe('OpenAPI document', () => {
  let t: TestApp;
  let doc: Document;
  let routes: Array<RouteSpec<any, any>>;
  beforeEach(async () => {
    t = await createTestApp();
    doc = (await t.http.get('/api/v1/openapi.json').expect(200)).body as Document;
    // The same function the app mounts, on the app's own dependencies: its registry lists the routes.
    routes = createApiRouter({ ctx: t.app.ctx, db: t.app.db, uow: t.app.uow, dns: t.app.dns }).registry.routes;
  });
  afterEach(async () => t.close());

  it('is served without an API key as OpenAPI 3.1 JSON, with bearer security', async () => {
    const res = await t.http.get('/api/v1/openapi.json').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.openapi).toMatch(/^3\.1\.\d+$/);
    expect(res.body.info).toMatchObject({ title: 'Gatehouse management API', version: '1' });
    expect(res.body.servers).toEqual([{ url: 'http://gatehouse.test/api/v1' }]);
    expect(res.body.security).toEqual([{ apiKey: [] }]);
    expect(res.body.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    // The same with a key, and with a wrong one (the document is public; a bad key is not an error here).
    await t.api.get('/api/v1/openapi.json').expect(200, res.body);
    await t.http.get('/api/v1/openapi.json').set('Authorization', 'Bearer nope').expect(200);
  });

  it('documents every route in the registry with its method, and nothing else', () => {
    expect(routes.length).toBeGreaterThan(20);
    for (const route of routes) {
      const path = route.path.replace(/:(\w+)/g, '{$1}');
      const op = doc.paths[path]?.[route.method];
      expect(op, `${route.method} ${route.path}`).toBeDefined();
      expect(op!.summary).toBe(route.summary);
      expect(op!.tags).toEqual([route.tag]);
    }
    const documented = operations(doc).map(({ method, path }) => `${method} ${path}`).sort();
    const registered = routes.map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`).sort();
    expect(documented).toEqual(registered);
    expect(new Set(registered).size).toBe(registered.length);
    // The routes this suite's features own are all there.
    for (const key of [
      'get /users', 'get /users/{id}', 'get /organizations/{id}/memberships', 'get /memberships/{id}', 'patch /memberships/{id}',
      'post /memberships/{id}/disable', 'post /memberships/{id}/enable', 'get /users/{id}/site_assignments',
      'put /sites/{siteId}/assignments/{userId}', 'delete /sites/{siteId}/assignments/{userId}',
      'get /organizations/{id}/sites', 'post /organizations/{id}/sites', 'get /sites/{id}', 'patch /sites/{id}', 'delete /sites/{id}', 'get /events',
    ]) expect(documented, key).toContain(key);
  });

  it('describes each operation consistently: unique ids, declared path parameters, 401 and success responses', () => {
    const ids = operations(doc).map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { path, method, op } of operations(doc)) {
      const label = `${method} ${path}`;
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      expect(op.parameters.filter((p) => p.in === 'path').map((p) => p.name), label).toEqual(inPath);
      for (const p of op.parameters) {
        expect(['path', 'query'], label).toContain(p.in);
        expect(p.schema, `${label} ${p.name}`).toBeTypeOf('object');
        if (p.in === 'path') expect(p.required, label).toBe(true);
      }
      expect(op.responses['401']?.content?.['application/problem+json'], label).toBeDefined();
      const route = routes.find((r) => r.method === method && r.path.replace(/:(\w+)/g, '{$1}') === path)!;
      const success = String(route.status ?? 200);
      expect(op.responses[success], label).toBeDefined();
      if (success === '204') expect(op.responses[success]!.content, label).toBeUndefined();
      else expect(op.responses[success]!.content?.['application/json']?.schema, label).toBeTypeOf('object');
      if (route.body) expect(op.requestBody?.content['application/json']?.schema, label).toBeTypeOf('object');
      else expect(op.requestBody, label).toBeUndefined();
      if (route.body || route.query) {
        expect(op.responses['400'], label).toBeDefined();
        expect(op.responses['422'], label).toBeDefined();
      }
      for (const code of route.errors ?? []) expect(op.responses[String(code)], `${label} ${code}`).toBeDefined();
    }
    // Spot checks of what clients read most.
    const listUsers = doc.paths['/users']!.get!;
    expect(listUsers.parameters.map((p) => p.name).sort()).toEqual(['after', 'email', 'limit', 'organization_id', 'q']);
    const put = doc.paths['/sites/{siteId}/assignments/{userId}']!.put!;
    expect(put.requestBody).toMatchObject({ required: true, content: { 'application/json': { schema: { type: 'object', required: ['role'] } } } });
    expect(doc.paths['/events']!.get!.parameters.map((p) => p.name).sort()).toEqual(['after', 'limit', 'organization_id', 'types']);
  });

  it('every documented operation answers 401 without an API key, and reaches its route with one', async () => {
    const before = await t.snapshot();
    for (const { path, method } of operations(doc)) {
      const url = `/api/v1${fillPath(path)}`;
      const label = `${method.toUpperCase()} ${url}`;
      const send = (req: ReturnType<TestApp['http']['get']>) => (['post', 'put', 'patch'].includes(method) ? req.send({}) : req);
      const http = t.http as unknown as Record<string, (url: string) => ReturnType<TestApp['http']['get']>>;

      const none = await send(http[method]!(url));
      expect(none.status, label).toBe(401);
      expect(none.headers['content-type'], label).toMatch(/^application\/problem\+json/);
      expect(none.headers['www-authenticate'], label).toBe('Bearer realm="gatehouse"');
      expect(none.body.title, label).toBe('unauthorized');

      const wrong = await send(http[method]!(url).set('Authorization', `Bearer ${t.apiKey.slice(0, -2)}xx`));
      expect(wrong.status, label).toBe(401);

      // The same path in other letter case is the same route and just as protected.
      const shouted = await send(http[method]!(`/API/V1${fillPath(path).toUpperCase()}`));
      expect(shouted.status, `${label} in capitals`).toBe(401);

      // With the key the fake ids reach the route (an answer of its own, not "nothing lives here").
      const api = t.api as unknown as Record<string, (url: string, body?: object) => ReturnType<TestApp['http']['get']>>;
      const keyed = await (method === 'get' || method === 'delete' ? api[method]!(url) : api[method]!(url, {}));
      expect(keyed.status, `${label} with a key`).not.toBe(401);
      expect(keyed.body.detail ?? '', `${label} with a key`).not.toMatch(/^Nothing lives at/);
    }
    expect(await t.snapshot()).toEqual(before);
  });

  it('checks the key before it reads the body, on every spelling of the path', async () => {
    for (const url of ['/api/v1/organizations', '/API/V1/ORGANIZATIONS']) {
      const anonymous = await t.http.post(url).set('Content-Type', 'application/json').send('{"name":');
      expect(anonymous.status, url).toBe(401);
      const keyed = await t.api.post(url, '{"name":').set('Content-Type', 'application/json');
      expect(keyed.status, url).toBe(400);
      expect(keyed.body.title, url).toBe('malformed_body');
      // The body is parsed for the case-variant path too (it used to arrive as undefined).
      expect((await t.api.post(url, { name: 'Acme' })).status, url).toBe(201);
    }
  });

  it('leaves nothing under /api/v1 open but the document itself', async () => {
    await t.http.post('/api/v1/openapi.json').expect(404);
    for (const url of ['/api/v1/users/', '/api/v1/organizations?limit=1', '/Api/V1/Users', '/api/v1/events?types=site.created']) {
      expect((await t.http.get(url)).status, url).toBe(401);
    }
  });

  // The guard once skipped every path ending in "/openapi.json", so a route whose last parameter was
  // "openapi.json" ran without a key (DELETE /sites/<id>/assignments/openapi.json probed site ids).
  it('does not skip the key check for a route whose last parameter is "openapi.json"', async () => {
    for (const { path, method } of operations(doc)) {
      if (!/\{\w+\}$/.test(path)) continue;
      const url = `/api/v1${fillPath(path).replace(/[^/]+$/, 'openapi.json')}`;
      const http = t.http as unknown as Record<string, (url: string) => ReturnType<TestApp['http']['get']>>;
      expect((await http[method]!(url)).status, `${method.toUpperCase()} ${url}`).toBe(401);
    }
  });
});
