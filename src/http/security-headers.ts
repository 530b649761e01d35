import type { Middleware } from 'koa';

/**
 * Headers on every answer. Pages use no external assets, so the CSP is 'self' only. Referrer-Policy
 * no-referrer because some URLs carry one-time tokens (invitations, portal links).
 */
export const PAGE_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/**
 * A page whose form submission ends in a redirect to another origin (the sign-in pages send the browser
 * on to the app's redirect_uri) must allow that origin in form-action: browsers apply form-action to
 * every redirect that follows the submission.
 */
export function pageCspAllowingFormTarget(target: string | undefined): string {
  let origin: string | undefined;
  try {
    origin = target ? new URL(target).origin : undefined;
  } catch {
    origin = undefined;
  }
  if (!origin || origin === 'null') return PAGE_CSP;
  return PAGE_CSP.replace("form-action 'self'", `form-action 'self' ${origin}`);
}

export function securityHeaders(options: { https: boolean }): Middleware {
  return async (ctx, next) => {
    await next();
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    if (!ctx.response.get('Content-Security-Policy')) {
      ctx.set('Content-Security-Policy', PAGE_CSP);
    }
    if (!ctx.response.get('X-Frame-Options') && ctx.response.get('Content-Security-Policy').includes("frame-ancestors 'none'")) {
      ctx.set('X-Frame-Options', 'DENY');
    }
    if (options.https) ctx.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  };
}
