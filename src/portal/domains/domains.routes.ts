import type { Context } from 'koa';
import type { Domain } from '../../db/schema.ts';
import { AppError } from '../../http/errors.ts';
import { addDomain, checkDomainNow, listDomains, toDomainView } from '../../orgs/domains.service.ts';
import { formatTime } from '../portal-format.ts';
import { portalCall, portalOf, portalView, type PortalRouter } from '../portal.router.ts';

const STATES: Record<Domain['state'], { label: string; tone: string }> = {
  pending: { label: 'Pending', tone: 'warning' },
  verified: { label: 'Verified', tone: 'success' },
  failed: { label: 'Failed', tone: 'danger' },
};

/** One domain as the page shows it: the TXT record to publish, its state chip and the last check in words. */
function domainView(row: Domain) {
  const view = toDomainView(row);
  return {
    id: row.id,
    domain: row.domain,
    state: row.state,
    chip: STATES[row.state],
    record_name: view.verification.name,
    record_value: view.verification.value,
    last_checked: row.last_checked_at ? formatTime(row.last_checked_at) : null,
    last_error: row.last_check_error,
    failure_reason: row.failure_reason,
    verified: row.verified_at ? formatTime(row.verified_at) : null,
  };
}

/**
 * The `domain_verification` intent (/portal/domains): add a domain, publish the TXT record it shows,
 * press Verify (checkDomainNow: a DNS lookup now, outside any transaction), read the state and the
 * last check's result.
 */
export function registerDomainPages({ router, requirePortal, deps }: PortalRouter): void {
  const { db, uow, pages } = deps;
  const guard = requirePortal('domain_verification');

  async function show(ctx: Context, extra: { values?: Record<string, string>; errors?: Record<string, string> } = {}, status = 200) {
    const { organization_id: orgId } = portalOf(ctx);
    const domains = (await listDomains(db, orgId)).map(domainView);
    const focus = typeof ctx.query.checked === 'string' ? ctx.query.checked : typeof ctx.query.added === 'string' ? ctx.query.added : undefined;
    pages.render(ctx, 'portal/domains/index.njk', {
      ...portalView(ctx),
      domains,
      notice: focus && domains.some((d) => d.id === focus) ? { id: focus, kind: ctx.query.checked ? 'checked' : 'added' } : null,
      values: extra.values ?? {},
      errors: extra.errors ?? {},
    }, status);
  }

  router.get('/portal/domains', guard, (ctx) => show(ctx));

  router.post('/portal/domains', guard, pages.formBody, pages.verifyCsrf, async (ctx) => {
    const input = String((ctx.request.body as Record<string, unknown>).domain ?? '').trim();
    if (!input) return show(ctx, { values: { domain: input }, errors: { domain: 'Enter a domain, such as example.com.' } }, 422);
    try {
      const domain = await uow((trx) => addDomain(trx, portalCall(ctx, deps.ctx), portalOf(ctx).organization_id, input));
      ctx.status = 303;
      ctx.redirect(`/portal/domains?added=${domain.id}#${domain.id}`);
    } catch (err) {
      // A refused name (malformed, a public suffix, already added, verified by another org) is a field error.
      if (!(err instanceof AppError) || (err.status !== 422 && err.status !== 409)) throw err;
      return show(ctx, { values: { domain: input }, errors: { domain: err.message } }, err.status);
    }
  });

  router.post('/portal/domains/:id/verify', guard, pages.formBody, pages.verifyCsrf, async (ctx) => {
    const id = ctx.params.id!;
    await checkDomainNow(deps, portalCall(ctx, deps.ctx), portalOf(ctx).organization_id, id);
    ctx.status = 303;
    ctx.redirect(`/portal/domains?checked=${id}#${id}`);
  });
}
