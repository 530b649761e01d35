import { z } from 'zod';
import type { ApiRegistry } from './registry.ts';
import { problem } from './schemas.ts';

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 201: 'Created', 204: 'No content', 400: 'Malformed request', 401: 'Missing or invalid API key', 404: 'Not found',
  409: 'Conflict with the current state', 422: 'Invalid fields (see errors[])',
};

const schemaOf = (schema: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return json;
};

/** OpenAPI 3.1 built from the registry: every mounted route and its schemas. */
export function buildOpenApi(api: ApiRegistry, baseUrl: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const problemResponse = (status: number) => ({ description: STATUS_TEXT[status] ?? 'Error', content: { 'application/problem+json': { schema: schemaOf(problem, 'output') } } });
  for (const route of api.routes) {
    const path = route.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const params = [...route.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const query = route.query
      ? Object.entries((schemaOf(route.query, 'input').properties ?? {}) as Record<string, unknown>).map(([name, schema]) => ({ name, in: 'query', required: false, schema }))
      : [];
    const status = route.status ?? 200;
    const responses: Record<string, unknown> = {
      [status]: status === 204 || !route.response
        ? { description: STATUS_TEXT[status] }
        : { description: STATUS_TEXT[status], content: { 'application/json': { schema: schemaOf(route.response, 'output') } } },
      401: problemResponse(401),
    };
    for (const code of [...(route.body || route.query ? [400, 422] : []), ...(route.errors ?? [])]) responses[code] = problemResponse(code);
    paths[path] ??= {};
    paths[path][route.method] = {
      summary: route.summary,
      tags: [route.tag],
      operationId: `${route.method}${path.replace(/[{}]/g, '').replace(/[/_](\w)/g, (_m, c: string) => c.toUpperCase())}`,
      parameters: [...params, ...query],
      ...(route.body ? { requestBody: { required: !route.bodyOptional, content: { 'application/json': { schema: schemaOf(route.body, 'input') } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Gatehouse management API', version: '1', description: 'Organisations, domains, IT contacts, users, memberships, sites and the activity log.' },
    servers: [{ url: `${baseUrl}/api/v1` }],
    security: [{ apiKey: [] }],
    components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key from `gatehouse api-key create`' } } },
    paths,
  };
}
