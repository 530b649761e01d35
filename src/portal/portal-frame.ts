import type { Context, Next } from 'koa';
import type { Db } from '../db/database.ts';
import { AppError } from '../http/errors.ts';
import type { Pages } from '../http/pages.ts';
import { PAGE_CSP } from '../http/security-headers.ts';
import { listClients } from '../provider/clients.service.ts';

/**
 * Embedding (DESIGN.md Setup wizard: "the page can be embedded in the app's own settings page"): every
 * portal answer may be framed by the origins the app's clients list in `allowed_origins`, and no other.
 * assets/portal.js tells the framing app what happened with window.parent.postMessage, to those origins
 * only; the page names them in <meta name="gatehouse-frame-origins"> and the message to send in a
 * `data-gatehouse-event` attribute.
 */

/** The messages a framing app can listen for. */
export const PORTAL_MESSAGES = ['gatehouse:sso_activated', 'gatehouse:sso_deactivated', 'gatehouse:session_expired', 'gatehouse:load_failed'] as const;
export type PortalMessage = (typeof PORTAL_MESSAGES)[number];

/** Every distinct allowed origin of the app's own clients (the console is built in and never frames the wizard). */
export async function frameOrigins(db: Db): Promise<string[]> {
  const origins = new Set<string>();
  for (const client of await listClients(db)) {
    for (const origin of JSON.parse(client.allowed_origins) as unknown[]) {
      // Checked when the client was created; checked again so that a hand-edited row cannot inject a directive.
      if (typeof origin === 'string' && /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$|^https?:\/\/\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(origin)) origins.add(origin);
    }
  }
  return [...origins];
}

/** PAGE_CSP with frame-ancestors set to the allowed origins ('none' when there are none: then X-Frame-Options DENY too). */
export function portalCsp(origins: readonly string[]): string {
  return origins.length ? PAGE_CSP.replace("frame-ancestors 'none'", `frame-ancestors ${origins.join(' ')}`) : PAGE_CSP;
}

export interface PortalFrame {
  origins: string[];
}

export const frameOf = (ctx: Context): PortalFrame => (ctx.state.portalFrame as PortalFrame | undefined) ?? { origins: [] };

/**
 * Runs first on every portal route: the framing policy, the form tokens bound to the portal session
 * (cookie `cookieName`), and portal error pages that stay frameable, keep the way back to the app and
 * tell the app when a page could not be shown (`gatehouse:load_failed`).
 */
export function portalFrame(deps: { db: Db; pages: Pages; cookieName: string }) {
  return async (ctx: Context, next: Next) => {
    const origins = await frameOrigins(deps.db);
    ctx.state.portalFrame = { origins } satisfies PortalFrame;
    ctx.set('Content-Security-Policy', portalCsp(origins));
    const session = ctx.cookies.get(deps.cookieName);
    if (session) ctx.state.csrfBinding = `portal-session:${session}`;
    try {
      await next();
    } catch (err) {
      const wantsHtml = ctx.accepts('json', 'html') === 'html';
      if (!wantsHtml) throw err;
      const error = err instanceof AppError ? err : new AppError(500, 'internal_error', 'Something went wrong on our side.', { cause: err });
      const reference: string = ctx.state.requestId ?? 'unknown';
      if (error.status >= 500) ctx.state.log?.error({ err: error.cause ?? error, reference }, 'unhandled error');
      else ctx.state.log?.info({ code: error.code, detail: error.detail, reference }, error.message);
      for (const [name, value] of Object.entries(error.headers)) ctx.set(name, value);
      const portal = ctx.state.portal as { return_url?: string | null } | undefined;
      deps.pages.render(ctx, 'portal/link-problem.njk', {
        title: error.status >= 500 ? 'Something went wrong' : error.status === 404 ? 'Not found' : 'We could not do that',
        message: error.message,
        status: error.status,
        reference,
        return_url: portal?.return_url ?? null,
        frame_origins: origins,
        // A page that could not be shown (GET) is a failed load for the app; a refused form is not.
        gatehouse_event: ctx.method === 'GET' ? 'gatehouse:load_failed' : null,
      }, error.status);
    }
  };
}
