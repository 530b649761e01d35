import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';

/** Path segments that are bearer secrets themselves: never logged. */
const SECRET_PATHS = [/^(\/invitations\/)[^/]+/, /^(\/portal\/)(?!assets\/)[^/]+/];

export function redactPath(path: string): string {
  for (const pattern of SECRET_PATHS) {
    if (pattern.test(path)) return path.replace(pattern, '$1[redacted]');
  }
  return path;
}

/**
 * Gives each request an id (honouring a sane incoming X-Request-Id), a child logger carrying it, and
 * one log line when the response is done. The query string is never logged: it can carry codes.
 */
export function requestContext(logger: Logger): Middleware {
  return async (ctx, next) => {
    const incoming = ctx.get('x-request-id');
    const requestId = /^[A-Za-z0-9._-]{8,64}$/.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.state.log = logger.child({ requestId });
    ctx.set('X-Request-Id', requestId);
    const started = performance.now();
    try {
      await next();
    } finally {
      const line = {
        method: ctx.method,
        path: redactPath(ctx.path),
        // A handler that wrote the raw response (the OIDC provider) leaves ctx.status behind.
        status: ctx.respond === false ? ctx.res.statusCode : ctx.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
      };
      if (ctx.status >= 500) ctx.state.log.error(line, 'request failed');
      else ctx.state.log.info(line, 'request');
    }
  };
}
