import type { Middleware } from 'koa';

/**
 * Headers on every answer. Pages use no external assets, so the CSP is 'self' only. Referrer-Policy
 * no-referrer because some URLs carry one-time tokens (invitations, portal links).
 */
export function securityHeaders(options: { https: boolean }): Middleware {
  return async (ctx, next) => {
    await next();
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    if (!ctx.response.get('Content-Security-Policy')) {
      ctx.set('Content-Security-Policy', "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    }
    if (!ctx.response.get('X-Frame-Options') && ctx.response.get('Content-Security-Policy').includes("frame-ancestors 'none'")) {
      ctx.set('X-Frame-Options', 'DENY');
    }
    if (options.https) ctx.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  };
}
