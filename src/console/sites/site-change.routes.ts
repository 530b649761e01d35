import type { Context } from 'koa';
import { deleteSiteAndUnmap, getSite, renameSite, siteDeletionImpact } from '../../orgs/sites.service.ts';
import { adminCall, adminOf, formField, ownedBy } from '../console-admin.ts';
import type { ConsoleRouter } from '../console.router.ts';
import { SITES_PATH } from '../console-view.ts';
import { goneTo } from '../gone.ts';
import { isRefusal } from '../../http/errors.ts';
import { SITE_NAME_MAX, siteNameProblem, siteServiceProblem } from './site-name.ts';

const plural = (n: number) => `${n} ${n === 1 ? 'person' : 'people'}`;

/** Rename (a page with the name field) and delete (a confirmation page first) of one site of the admin's org. */
export function registerSiteChangePages(consoleRouter: ConsoleRouter): void {
  const { router, deps } = consoleRouter;
  // Rename and Delete of a site deleted meanwhile (or not this org's) come back to the list, saying so.
  const gone = goneTo(consoleRouter, SITES_PATH, 'site');

  /** The site named by the URL, if it is one of the admin's org (404 otherwise, like a missing one). */
  async function ownedSite(ctx: Context) {
    const id = String(ctx.params.id);
    return ownedBy(ctx, await getSite(deps.db, id), 'site', id);
  }

  async function renderRename(ctx: Context, site: { id: string; name: string }, form: { name: string; error: string }, status = 200) {
    await consoleRouter.render(ctx, 'console/sites/rename.njk', 'sites', { site, form, name_max: SITE_NAME_MAX }, status);
  }

  router.get(`${SITES_PATH}/:id/rename`, consoleRouter.page, async (ctx) => {
    const site = await ownedSite(ctx);
    await renderRename(ctx, site, { name: site.name, error: '' });
  });

  router.post(`${SITES_PATH}/:id/rename`, ...consoleRouter.form, gone, async (ctx) => {
    const site = await ownedSite(ctx);
    const name = formField(ctx, 'name');
    const problem = siteNameProblem(name);
    if (problem) return renderRename(ctx, site, { name, error: problem }, 422);
    if (name === site.name) return consoleRouter.done(ctx, SITES_PATH, `The site is already called “${name}”: nothing changed.`, 'info');
    try {
      await deps.uow((trx) => renameSite(trx, adminCall(ctx, deps.ctx), site.id, name));
    } catch (error) {
      if (!isRefusal(error)) throw error;
      return renderRename(ctx, site, { name, error: siteServiceProblem(error, name, adminOf(ctx).organization.name) }, error.status === 409 ? 409 : 422);
    }
    consoleRouter.done(ctx, SITES_PATH, `Site “${site.name}” renamed to “${name}”.`);
  });

  async function renderDelete(ctx: Context, siteId: string, changed = false) {
    const impact = await siteDeletionImpact(deps.db, siteId);
    await consoleRouter.render(ctx, 'console/sites/delete.njk', 'sites', { site: impact.site, assigned: impact.assigned, mappings: impact.mappings, changed }, changed ? 409 : 200);
  }

  router.get(`${SITES_PATH}/:id/delete`, consoleRouter.page, async (ctx) => {
    const site = await ownedSite(ctx);
    await renderDelete(ctx, site.id);
  });

  router.post(`${SITES_PATH}/:id/delete`, ...consoleRouter.form, gone, async (ctx) => {
    const site = await ownedSite(ctx);
    // The page said how many people lose the site; if that changed since, say the new number first.
    const expected = formField(ctx, 'assigned');
    const { assigned } = await siteDeletionImpact(deps.db, site.id);
    if (expected !== String(assigned)) return renderDelete(ctx, site.id, true);
    const impact = await deps.uow((trx) => deleteSiteAndUnmap(trx, adminCall(ctx, deps.ctx), site.id));
    const lost = impact.assigned ? ` ${plural(impact.assigned)} lost their assignment to it.` : '';
    consoleRouter.done(ctx, SITES_PATH, `Site “${site.name}” deleted.${lost}`);
  });
}
