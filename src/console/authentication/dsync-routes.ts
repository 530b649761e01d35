import type { Context } from 'koa';
import type { Executor } from '../../db/database.ts';
import type { Directory } from '../../db/schema.ts';
import { isRefusal } from '../../http/errors.ts';
import { listSiteNames } from '../../orgs/sites.service.ts';
import { type MappingRow, parseMappingForm, rowsOf } from '../../portal/dsync/mapping-form.ts';
import { listDirectories } from '../../scim/directories.service.ts';
import { listGroupMappings, type MappingPreview, previewGroupMappings, replaceGroupMappings } from '../../scim/group-mappings.service.ts';
import { adminCall, adminOf, formField, ownedBy, queryField } from '../console-admin.ts';
import type { ConsoleRouter } from '../console.router.ts';
import { goneTo } from '../gone.ts';
import { AUTHENTICATION_PATH } from '../console-view.ts';
import { directoryProviderName } from './dsync-section.ts';
import { previewView } from './dsync-preview.view.ts';
import { openPortalInNewTab } from './sso-portal-link.ts';

interface MappingsPage {
  rows: MappingRow[];
  errors?: Record<number, string>;
  error?: string;
  preview?: MappingPreview[];
}

/**
 * The Directory Sync section's forms, under /console/settings/authentication/directory-sync:
 *   POST setup       Set up directory sync: a fresh `dsync` portal link, in a new tab
 *   GET  mappings    the group mappings of a directory (?directory=, else the org's first)
 *   POST mappings    intent=preview: what each person would get, computed and rolled back;
 *                    intent=save: the same rules, committed
 */
export function registerDsyncRoutes(consoleRouter: ConsoleRouter): void {
  const { router, page, form, deps } = consoleRouter;
  const { db } = deps;
  const base = `${AUTHENTICATION_PATH}/directory-sync`;
  const siteRoles = deps.ctx.config.siteRoles;

  /** The sites a mapping can name (the first 500 by name). */
  const orgSites = (organizationId: string) => listSiteNames(db, organizationId, 500);

  /** idor check: a directory id from the URL or the form counts only when it is a directory of the admin's org. */
  async function ownDirectory(ctx: Context, executor: Executor, id: string): Promise<Directory> {
    const row = id ? await executor.selectFrom('directories').selectAll().where('id', '=', id).executeTakeFirst() : undefined;
    return ownedBy(ctx, row, 'directory', id || '(none)');
  }

  async function show(ctx: Context, directory: Directory, view: MappingsPage, status = 200) {
    const orgId = adminOf(ctx).organization.id;
    const [sites, directories] = await Promise.all([orgSites(orgId), listDirectories(db, orgId)]);
    await consoleRouter.render(ctx, 'console/authentication/dsync-mappings.njk', 'authentication', {
      directory: { id: directory.id, name: directory.name, provider: directoryProviderName(directory.provider) },
      directories: directories.map((d) => ({ id: d.id, name: d.name, provider: directoryProviderName(d.provider), current: d.id === directory.id })),
      rows: view.rows,
      row_errors: view.errors ?? {},
      error: view.error ?? null,
      preview: view.preview ? previewView(view.preview) : null,
      sites,
      site_roles: siteRoles,
      back: `${AUTHENTICATION_PATH}#directory-sync`,
    }, status);
  }

  router.post(`${base}/setup`, ...form, (ctx) => openPortalInNewTab(consoleRouter, ctx, 'dsync', { section: 'dsync', field: 'setup' }));

  router.get(`${base}/mappings`, page, async (ctx) => {
    const asked = queryField(ctx, 'directory');
    const directory = asked ? await ownDirectory(ctx, db, asked) : (await listDirectories(db, adminOf(ctx).organization.id))[0];
    if (!directory) {
      return consoleRouter.done(ctx, `${AUTHENTICATION_PATH}#directory-sync`, 'Set up directory sync first: group mappings belong to a directory.', 'info');
    }
    await show(ctx, directory, { rows: rowsOf(await listGroupMappings(db, directory.id)) });
  });

  // The form's directory deleted meanwhile (or not this org's): back to the section, saying so. A 404 of
  // the preview or save itself stays with the form (the catch below).
  router.post(`${base}/mappings`, ...form, goneTo(consoleRouter, `${AUTHENTICATION_PATH}#directory-sync`, 'directory'), async (ctx) => {
    const directory = await ownDirectory(ctx, db, formField(ctx, 'directory'));
    const sites = await orgSites(directory.organization_id);
    const parsed = parseMappingForm(ctx.request.body as Record<string, unknown>, { siteIds: new Set(sites.map((s) => s.id)), siteRoles });
    if (!parsed.ok) return show(ctx, directory, { rows: parsed.rows, errors: parsed.errors, error: 'Check the highlighted rows. Nothing was saved.' }, 422);
    const call = adminCall(ctx, deps.ctx);
    // Enter in a field sends the form's first button, Preview: a stray Enter never saves.
    const save = formField(ctx, 'intent') === 'save';
    try {
      if (!save) {
        const preview = await previewGroupMappings(db, call, directory, parsed.mappings);
        return await show(ctx, directory, { rows: rowsOf(parsed.mappings), preview });
      }
      const saved = await deps.uow(async (trx) => replaceGroupMappings(trx, call, await ownDirectory(ctx, trx, directory.id), parsed.mappings));
      consoleRouter.done(ctx, `${base}/mappings?directory=${directory.id}`, `Group mappings saved (${saved.length}). They now apply to everyone ${directoryProviderName(directory.provider)} has sent.`);
    } catch (error) {
      if (!isRefusal(error)) throw error;
      await show(ctx, directory, { rows: rowsOf(parsed.mappings), error: `${error.message} Nothing was saved.` }, error.status);
    }
  });
}
