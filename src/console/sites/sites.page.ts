import type { Context } from 'koa';
import { createSite, listSitesWithCounts } from '../../orgs/sites.service.ts';
import { adminCall, adminOf, formField, queryField } from '../console-admin.ts';
import type { ConsoleRouter } from '../console.router.ts';
import { SITES_PATH } from '../console-view.ts';
import { registerSiteChangePages } from './site-change.routes.ts';
import { isRefusal } from '../../http/errors.ts';
import { SITE_NAME_MAX, siteNameProblem, siteServiceProblem } from './site-name.ts';

export const SITES_PAGE_SIZE = 50;

/** The create form sent back: the name as typed and what is wrong with it. */
interface CreateForm {
  name: string;
  error: string;
}

/**
 * Sites (DESIGN.md Console): the org's sites by name with how many people each holds, a form to add
 * one, and per site a rename page and a delete confirmation (site-change.routes.ts).
 */
export function registerSitesPages(consoleRouter: ConsoleRouter): void {
  const { router } = consoleRouter;
  router.get(SITES_PATH, consoleRouter.page, (ctx) => renderSites(consoleRouter, ctx));

  router.post(SITES_PATH, ...consoleRouter.form, async (ctx) => {
    const admin = adminOf(ctx);
    const name = formField(ctx, 'name');
    const problem = siteNameProblem(name);
    if (problem) return renderSites(consoleRouter, ctx, { name, error: problem }, 422);
    try {
      await consoleRouter.deps.uow((trx) => createSite(trx, adminCall(ctx, consoleRouter.deps.ctx), admin.organization.id, name));
    } catch (error) {
      if (!isRefusal(error)) throw error;
      return renderSites(consoleRouter, ctx, { name, error: siteServiceProblem(error, name, admin.organization.name) }, error.status === 409 ? 409 : 422);
    }
    consoleRouter.done(ctx, SITES_PATH, `Site “${name}” added.`);
  });

  registerSiteChangePages(consoleRouter);
}

async function renderSites(consoleRouter: ConsoleRouter, ctx: Context, form?: CreateForm, status = 200): Promise<void> {
  const admin = adminOf(ctx);
  const requested = Number.parseInt(queryField(ctx, 'page'), 10);
  const pageNumber = Number.isSafeInteger(requested) && requested > 1 ? requested : 1;
  const { sites, total } = await listSitesWithCounts(consoleRouter.deps.db, admin.organization.id, { offset: (pageNumber - 1) * SITES_PAGE_SIZE, limit: SITES_PAGE_SIZE });
  const pages = Math.max(1, Math.ceil(total / SITES_PAGE_SIZE));
  await consoleRouter.render(ctx, 'console/sites/index.njk', 'sites', {
    sites,
    total,
    form: form ?? { name: '', error: '' },
    name_max: SITE_NAME_MAX,
    pager: pages > 1 ? {
      page: pageNumber,
      pages,
      previous: pageNumber > 1 ? `${SITES_PATH}?page=${pageNumber - 1}` : null,
      next: pageNumber < pages ? `${SITES_PATH}?page=${pageNumber + 1}` : null,
    } : null,
  }, status);
}
