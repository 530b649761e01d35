import type { Context } from 'koa';
import type { Executor } from '../../db/database.ts';
import type { Directory } from '../../db/schema.ts';
import { notFound } from '../../http/errors.ts';
import { listSites } from '../../orgs/sites.service.ts';
import { createDirectory, DIRECTORY_PROVIDERS, getDirectory, listDirectories, rotateDirectoryToken, toDirectoryView } from '../../scim/directories.service.ts';
import { listGroupMappings, replaceGroupMappings } from '../../scim/group-mappings.service.ts';
import { formatTime } from '../portal-format.ts';
import { portalCall, portalOf, portalView, type PortalRouter } from '../portal.router.ts';
import { type MappingRow, parseMappingForm, rowsOf } from './mapping-form.ts';
import { type DirectoryProvider, SCIM_GUIDES } from './scim-guides.ts';
import { recentSyncActivity } from './sync-activity.ts';

const isProvider = (value: unknown): value is DirectoryProvider => typeof value === 'string' && (DIRECTORY_PROVIDERS as readonly string[]).includes(value);
const PROVIDERS = DIRECTORY_PROVIDERS.map((key) => ({ key, name: SCIM_GUIDES[key].name }));

/** idor check: a directory id from the URL counts only when it is a directory of the session's org. */
async function ownDirectory(db: Executor, organizationId: string, id: string): Promise<Directory> {
  const directory = await getDirectory(db, id);
  if (directory.organization_id !== organizationId) throw notFound('directory', id);
  return directory;
}

/** What the page shows once, in place of the page's normal state: a new token, or a mapping form with errors. */
interface Once {
  token?: { directoryId: string; value: string; rotated: boolean };
  mappings?: { directoryId: string; rows: MappingRow[]; errors: Record<number, string> };
  saved?: string;
  providerError?: string;
}

/**
 * The `dsync` intent (/portal/dsync): choose the IdP, copy the SCIM base URL and the bearer token (shown
 * once; Regenerate behind a confirm step), follow the IdP's few steps, map IdP groups to the org role
 * and sites, and watch the last sync activity.
 */
export function registerDsyncPages({ router, requirePortal, deps }: PortalRouter): void {
  const { db, uow, pages } = deps;
  const { baseUrl, siteRoles } = deps.ctx.config;
  const guard = requirePortal('dsync');

  async function orgSites(orgId: string) {
    return (await listSites(db, orgId, { limit: 500 })).slice(0, 500).map((s) => ({ id: s.id, name: s.name }));
  }

  async function show(ctx: Context, once: Once = {}, status = 200) {
    const orgId = portalOf(ctx).organization_id;
    const guide = isProvider(ctx.query.guide) ? ctx.query.guide : undefined;
    const directories = await Promise.all((await listDirectories(db, orgId)).map(async (d) => {
      const provider = isProvider(d.provider) ? d.provider : 'generic';
      const shown = guide ?? provider;
      const mappingForm = once.mappings?.directoryId === d.id ? once.mappings : undefined;
      return {
        id: d.id,
        name: d.name,
        provider: SCIM_GUIDES[provider].name,
        state: d.state,
        scim_base_url: toDirectoryView(d, baseUrl).scim_base_url,
        token: once.token?.directoryId === d.id ? once.token : null,
        token_rotated: formatTime(d.token_rotated_at),
        last_request: d.last_request_at ? formatTime(d.last_request_at) : null,
        guide: { key: shown, ...SCIM_GUIDES[shown] },
        rows: mappingForm?.rows ?? rowsOf(await listGroupMappings(db, d.id)),
        row_errors: mappingForm?.errors ?? {},
        saved: once.saved === d.id,
      };
    }));
    pages.render(ctx, 'portal/dsync/index.njk', {
      ...portalView(ctx),
      directories,
      providers: PROVIDERS,
      provider_error: once.providerError ?? null,
      sites: await orgSites(orgId),
      site_roles: siteRoles,
      activity: await recentSyncActivity(db, orgId),
    }, status);
  }

  router.get('/portal/dsync', guard, (ctx) => show(ctx, { saved: typeof ctx.query.saved === 'string' ? ctx.query.saved : undefined }));

  router.post('/portal/dsync/directories', guard, pages.formBody, pages.verifyCsrf, async (ctx) => {
    const provider = (ctx.request.body as Record<string, unknown>).provider;
    if (!isProvider(provider)) return show(ctx, { providerError: 'Choose the identity provider that will send your people.' }, 422);
    const orgId = portalOf(ctx).organization_id;
    const { directory, token } = await uow((trx) => createDirectory(trx, portalCall(ctx, deps.ctx), orgId, { provider }));
    // The token exists only in this answer: shown now, never again (Cache-Control: no-store).
    return show(ctx, { token: { directoryId: directory.id, value: token, rotated: false } });
  });

  router.get('/portal/dsync/:id/token', guard, async (ctx) => {
    const directory = await ownDirectory(db, portalOf(ctx).organization_id, ctx.params.id!);
    const provider = isProvider(directory.provider) ? directory.provider : 'generic';
    pages.render(ctx, 'portal/dsync/regenerate.njk', { ...portalView(ctx), directory: { id: directory.id, provider: SCIM_GUIDES[provider].name, token_label: SCIM_GUIDES[provider].tokenLabel } });
  });

  router.post('/portal/dsync/:id/token', guard, pages.formBody, pages.verifyCsrf, async (ctx) => {
    const orgId = portalOf(ctx).organization_id;
    const { directory, token } = await uow(async (trx) => {
      await ownDirectory(trx, orgId, ctx.params.id!);
      return rotateDirectoryToken(trx, portalCall(ctx, deps.ctx), ctx.params.id!);
    });
    return show(ctx, { token: { directoryId: directory.id, value: token, rotated: true } });
  });

  router.post('/portal/dsync/:id/mappings', guard, pages.formBody, pages.verifyCsrf, async (ctx) => {
    const orgId = portalOf(ctx).organization_id;
    const directory = await ownDirectory(db, orgId, ctx.params.id!);
    const sites = await orgSites(orgId);
    const parsed = parseMappingForm(ctx.request.body as Record<string, unknown>, { siteIds: new Set(sites.map((s) => s.id)), siteRoles });
    if (!parsed.ok) return show(ctx, { mappings: { directoryId: directory.id, rows: parsed.rows, errors: parsed.errors } }, 422);
    await uow(async (trx) => replaceGroupMappings(trx, portalCall(ctx, deps.ctx), await ownDirectory(trx, orgId, directory.id), parsed.mappings));
    ctx.status = 303;
    ctx.redirect(`/portal/dsync?saved=${directory.id}#mappings-${directory.id}`);
  });
}
