import type { Context } from 'koa';
import type { Logger } from 'pino';
import type { Pages } from '../http/pages.ts';

/** The request id of the Gatehouse request that handed this one to the provider (its own Koa context). */
export const REQUEST_ID = Symbol('gatehouse request id');

/**
 * node-oidc-provider's own pages (errors, logout) rendered with Gatehouse's layout; its defaults load
 * web fonts and look like another product.
 */
export function providerPages(pages: Pages, log: Logger) {
  return {
    renderError(ctx: Context, out: Record<string, string>) {
      const reference = (ctx.req as unknown as Record<symbol, string | undefined>)[REQUEST_ID] ?? 'oidc';
      log.info({ reference, error: out.error, description: out.error_description }, 'sign-in request refused by the provider');
      pages.errorPage(ctx, { status: ctx.status || 400, title: 'This sign-in request cannot continue', message: String(out.error_description ?? out.error ?? 'The sign-in request is not valid.'), reference });
    },
    logoutSource(ctx: Context, form: string, clientName: string | undefined) {
      pages.render(ctx, 'login/logout.njk', { form, client_name: clientName });
    },
    postLogoutSuccessSource(ctx: Context, clientName: string | undefined) {
      pages.render(ctx, 'login/message.njk', { title: 'You are signed out', message: clientName ? `You have signed out of ${clientName}.` : 'You have signed out.', tone: 'success' });
    },
  };
}
