import type { Context } from 'koa';
import { emailAddress } from '../../http/validate.ts';
import { listItContacts } from '../../orgs/it-contacts.service.ts';
import { INTENT_PATHS, portalCall, portalOf, portalView, type PortalRouter } from '../portal.router.ts';
import { handOver, HANDOVERS_PER_HOUR } from './handover.service.ts';

const email = emailAddress();

/**
 * /portal/handover, from every intent: the IT admin sends a fresh link for the same intent to an IT
 * contact of the org or to any address (DESIGN.md Setup wizard; the colleague finishes the job).
 */
export function registerHandoverPages({ router, requirePortal, deps }: PortalRouter): void {
  const { db, uow, pages } = deps;
  const guard = requirePortal('any');

  async function form(ctx: Context, values: { recipient?: string; email?: string }, errors: Record<string, string>, status = 200) {
    const session = portalOf(ctx);
    const contacts = await listItContacts(db, session.organization_id);
    pages.render(ctx, 'portal/handover/index.njk', {
      ...portalView(ctx),
      back_url: INTENT_PATHS[session.intent],
      contacts: contacts.map((c) => ({ id: c.id, email: c.email, name: c.name })),
      values: { recipient: values.recipient ?? '', email: values.email ?? '' },
      errors,
      per_hour: HANDOVERS_PER_HOUR,
    }, status);
  }

  router.get('/portal/handover', guard, (ctx) => form(ctx, {}, {}));

  router.post('/portal/handover', guard, pages.formBody, pages.verifyCsrf, async (ctx) => {
    const session = portalOf(ctx);
    const body = ctx.request.body as Record<string, unknown>;
    const recipient = typeof body.recipient === 'string' ? body.recipient : '';
    const typed = typeof body.email === 'string' ? body.email.trim() : '';
    const values = { recipient, email: typed };
    let address: string;
    if (typed) {
      // An address typed in wins over a contact ticked in the list: it is the last thing the admin did.
      const parsed = email.safeParse(typed);
      if (!parsed.success) return form(ctx, values, { email: 'Enter an email address such as name@example.com.' }, 422);
      address = parsed.data;
    } else {
      // idor check: only an IT contact of the session's own org can be picked from the list.
      const contact = recipient ? (await listItContacts(db, session.organization_id)).find((c) => c.id === recipient) : undefined;
      if (!contact) return form(ctx, values, { email: 'Choose an IT contact, or enter the email address of the colleague who should get the link.' }, 422);
      address = contact.email;
    }
    const result = await uow((trx) => handOver(trx, portalCall(ctx, deps.ctx), session, address));
    if (result.outcome === 'rate_limited') {
      ctx.set('Retry-After', String(result.retryAfterSeconds));
      return form(ctx, values, {
        form: `This setup session has already sent ${HANDOVERS_PER_HOUR} links in the last hour. Try again in ${Math.ceil(result.retryAfterSeconds / 60)} minutes.`,
      }, 429);
    }
    pages.render(ctx, 'portal/handover/sent.njk', { ...portalView(ctx), email: result.email, expires_at: result.expiresAt, back_url: INTENT_PATHS[session.intent] });
  });
}
