import type { Context } from 'koa';
import type { Executor } from '../../db/database.ts';
import type { Domain } from '../../db/schema.ts';
import { AppError } from '../../http/errors.ts';
import { addDomain, checkDomainNow, deleteDomain, getDomain, listDomains, toDomainView } from '../../orgs/domains.service.ts';
import { adminCall, adminOf, type ConsoleAdmin, formField, ownedBy } from '../console-admin.ts';
import type { ConsoleRouter } from '../console.router.ts';
import { goneTo } from '../gone.ts';
import { AUTHENTICATION_PATH } from '../console-view.ts';
import { renderAuthentication, type SectionForm } from './authentication.page.ts';

export const DOMAINS_PATH = `${AUTHENTICATION_PATH}/domains`;

const CHIPS: Record<Domain['state'], { label: string; tone: 'warning' | 'success' | 'danger' }> = {
  pending: { label: 'Pending', tone: 'warning' },
  verified: { label: 'Verified', tone: 'success' },
  failed: { label: 'Failed', tone: 'danger' },
};

/** One domain as the section shows it: its chip in words, the TXT record to publish, the last check's result. */
function domainItem(row: Domain) {
  const { verification } = toDomainView(row);
  return {
    id: row.id,
    domain: row.domain,
    state: row.state,
    chip: CHIPS[row.state],
    record_name: verification.name,
    record_value: verification.value,
    last_checked_at: row.last_checked_at,
    // A pending domain keeps the last lookup's problem; a failed one says why it failed (which includes it).
    problem: row.state === 'failed' ? row.failure_reason : row.state === 'pending' ? row.last_check_error : null,
    verified_at: row.verified_at,
    verified_by_operator: row.verification_method === 'manual',
  };
}

/** The Domains section of the Authentication page (views/console/authentication/_domains.njk). */
export async function loadDomainsSection(db: Executor, admin: ConsoleAdmin, form?: SectionForm) {
  const own = form?.section === 'domains' ? form : undefined;
  const rows = await listDomains(db, admin.organization.id);
  return {
    items: rows.map(domainItem),
    values: own?.values ?? {},
    errors: own?.errors ?? {},
  };
}

/**
 * A refusal the admin can fix, in their words: the service's messages name the row's id for API
 * callers, which means nothing on this page.
 */
function addRefusal(err: AppError, domain: string): string {
  if (err.code === 'domain_exists') return `${domain} is already in the list below.`;
  return err.message;
}

/**
 * Add (POST domains), Verify (POST domains/:id/verify: a DNS lookup now), Remove (GET the question,
 * POST the answer). Every id in a URL is checked against the admin's org before anything is read.
 */
export function registerDomainsForms(consoleRouter: ConsoleRouter): void {
  const { router, page, form, deps } = consoleRouter;
  const { db, uow } = deps;

  // Verify and Remove of a domain removed meanwhile (or not this org's) come back to the section, saying so.
  const gone = goneTo(consoleRouter, `${AUTHENTICATION_PATH}#domains`, 'domain');

  async function ownDomain(ctx: Context, executor: Executor = db): Promise<Domain> {
    const id = ctx.params.id!;
    // getDomain answers 404 for an unknown id, ownedBy the same for another org's.
    return ownedBy(ctx, await getDomain(executor, id), 'domain', id);
  }

  router.post(DOMAINS_PATH, ...form, async (ctx) => {
    const input = formField(ctx, 'domain');
    const refuse = (message: string, status: number) =>
      renderAuthentication(consoleRouter, ctx, { section: 'domains', values: { domain: input }, errors: { domain: message } }, status);
    if (!input) return refuse('Enter a domain, such as example.com.', 422);
    try {
      const domain = await uow((trx) => addDomain(trx, adminCall(ctx, deps.ctx), adminOf(ctx).organization.id, input));
      consoleRouter.done(ctx, `${AUTHENTICATION_PATH}#${domain.id}`, `${domain.domain} added. Publish its TXT record at your DNS provider, then press Verify.`);
    } catch (err) {
      // Malformed, a public suffix, already added, verified by another organization: said on the field.
      if (!(err instanceof AppError) || (err.status !== 422 && err.status !== 409)) throw err;
      return refuse(addRefusal(err, input.toLowerCase()), err.status);
    }
  });

  router.post(`${DOMAINS_PATH}/:id/verify`, ...form, gone, async (ctx) => {
    const domain = await ownDomain(ctx);
    const back = `${AUTHENTICATION_PATH}#${domain.id}`;
    let checked: Domain;
    try {
      checked = await checkDomainNow(deps, adminCall(ctx, deps.ctx), adminOf(ctx).organization.id, domain.id);
    } catch (err) {
      // Another organization verified the same domain while the lookup ran.
      if (!(err instanceof AppError) || err.status !== 409) throw err;
      return consoleRouter.done(ctx, back, err.message, 'error');
    }
    if (checked.state === 'verified') {
      return consoleRouter.done(ctx, back, `${checked.domain} is verified.`);
    }
    const why = checked.state === 'failed' ? checked.failure_reason : checked.last_check_error;
    consoleRouter.done(ctx, back, `${checked.domain} is not verified yet. ${why ?? ''}`.trim(), 'error');
  });

  router.get(`${DOMAINS_PATH}/:id/remove`, page, async (ctx) => {
    const domain = await ownDomain(ctx);
    await consoleRouter.render(ctx, 'console/authentication/domains-remove.njk', 'authentication', {
      domain: { id: domain.id, domain: domain.domain, state: domain.state, chip: CHIPS[domain.state] },
      back: `${AUTHENTICATION_PATH}#${domain.id}`,
      // With SSO required there is no password to fall back on: removing the domain locks its people out.
      enforced: Boolean(adminOf(ctx).organization.enforce_sso),
      own_address: adminOf(ctx).user.email.endsWith(`@${domain.domain}`),
    });
  });

  router.post(`${DOMAINS_PATH}/:id/remove`, ...form, gone, async (ctx) => {
    const domain = await uow(async (trx) => {
      const row = await ownDomain(ctx, trx);
      await deleteDomain(trx, adminCall(ctx, deps.ctx), row.id);
      return row;
    });
    consoleRouter.done(ctx, `${AUTHENTICATION_PATH}#domains`, `${domain.domain} removed.`);
  });
}
