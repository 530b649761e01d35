import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { z } from 'zod';
import { parseBody, parseQuery } from '../http/validate.ts';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteSpec<B extends z.ZodType | undefined, Q extends z.ZodType | undefined> {
  method: Method;
  /** Koa path under /api/v1, e.g. /organizations/:id */
  path: string;
  summary: string;
  tag: string;
  body?: B;
  /** The body may be left out entirely (treated as {}). */
  bodyOptional?: boolean;
  query?: Q;
  response?: z.ZodType;
  /** Success status; 204 answers no body. */
  status?: 200 | 201 | 202 | 204;
  /** Error statuses this route can answer besides 400/401/422. */
  errors?: number[];
}

type Infer<T> = T extends z.ZodType ? z.infer<T> : undefined;

export interface RouteInput<B, Q> {
  body: B;
  query: Q;
  params: Record<string, string>;
  ctx: Context;
}

/**
 * One place that knows every management API route: it mounts the handler and keeps the metadata the
 * OpenAPI document is built from, so the document cannot drift from the routes.
 */
export class ApiRegistry {
  readonly router: Router;
  readonly routes: Array<RouteSpec<z.ZodType | undefined, z.ZodType | undefined>> = [];
  private readonly middleware: Middleware[];

  /**
   * `middleware` (the API key guard, the body parser) runs in front of every route added here, as part
   * of that route. Not through router.use(): @koa/router 15 matches use() layers against the prefix
   * case-sensitively but routes case-insensitively, so GET /API/V1/USERS reached its handler with no
   * API key checked and no body parsed.
   */
  constructor(prefix: string, middleware: Middleware[]) {
    this.router = new Router({ prefix });
    this.middleware = middleware;
  }

  add<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined>(
    spec: RouteSpec<B, Q>,
    handler: (input: RouteInput<Infer<B>, Infer<Q>>) => Promise<unknown>,
  ): void {
    this.routes.push(spec as RouteSpec<z.ZodType | undefined, z.ZodType | undefined>);
    this.router[spec.method](spec.path, ...this.middleware, async (ctx) => {
      let body: unknown = undefined;
      if (spec.body) {
        const raw = ctx.request.body;
        const empty = raw === undefined || (typeof raw === 'object' && raw !== null && Object.keys(raw).length === 0 && !ctx.request.length);
        body = parseBody(spec.body, spec.bodyOptional && empty ? {} : raw);
      }
      const query = spec.query ? parseQuery(spec.query, ctx.query) : undefined;
      const result = await handler({ body: body as Infer<B>, query: query as Infer<Q>, params: ctx.params as Record<string, string>, ctx });
      ctx.status = spec.status ?? 200;
      if (ctx.status !== 204) ctx.body = result;
    });
  }
}
