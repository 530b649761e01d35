import type { Context } from 'koa';
import type { Executor } from '../../db/database.ts';
import type { Membership, OrgRole, Site } from '../../db/schema.ts';
import { AppError, isRefusal } from '../../http/errors.ts';
import { getSite, listSiteNames } from '../../orgs/sites.service.ts';
import {
  assignSite, CANNOT_DISABLE_SELF, disableMembershipAsAdmin, enableMembership, setMembershipRoleAsAdmin, unassignSite,
} from '../../users/provisioning.ts';
import { findMembership, fullName, getUser, listSiteAssignments, type UserProfile } from '../../users/users.repository.ts';
import { adminCall, adminOf, formField, ownedBy } from '../console-admin.ts';
import type { ConsoleRouter } from '../console.router.ts';
import { USERS_PATH } from '../console-view.ts';
import { goneWhere } from '../gone.ts';
import { memberView, ORG_ROLES } from './member-view.ts';

const USER_PATH = '/console/users/:userId';
/** The site picker lists at most this many sites (by name). */
const SITES_SHOWN = 500;

/** A form of the user page sent back with what was typed and what is wrong; `section` says which one. */
export interface UserForm {
  section: 'role' | 'add_site' | 'site_role' | 'access';
  site_id?: string;
  values: Record<string, string>;
  errors: Record<string, string>;
}

interface Member {
  membership: Membership;
  user: UserProfile;
}

export const userHref = (userId: string) => `/console/users/${encodeURIComponent(userId)}`;
const displayName = (user: UserProfile) => fullName(user) ?? user.email;

/** The user of the URL, through their membership of the admin's org: anyone else is a 404. */
async function loadMember(db: Executor, ctx: Context): Promise<Member> {
  const userId = String(ctx.params.userId);
  // idor check: only a membership of the admin's own org admits the user id.
  const membership = ownedBy(ctx, await findMembership(db, adminOf(ctx).organization.id, userId), 'user', userId);
  return { membership, user: await getUser(db, userId) };
}

/** A site of the admin's org named by a URL or a form; another org's site is a 404, as a missing one. */
async function loadSite(db: Executor, ctx: Context, siteId: string): Promise<Site> {
  return ownedBy(ctx, await getSite(db, siteId), 'site', siteId);
}

async function renderUser(consoleRouter: ConsoleRouter, ctx: Context, member: Member, form?: UserForm, status = 200): Promise<void> {
  const { db, ctx: service } = consoleRouter.deps;
  const admin = adminOf(ctx);
  const orgId = admin.organization.id;
  const view = memberView(member.membership, member.user, admin.user.id);
  const assignments = (await listSiteAssignments(db, member.user.id, orgId))
    .map((a) => ({ site_id: a.site_id, site_name: a.site_name, role: a.role, by_mapping: a.source === 'group_mapping', remove_href: `${view.href}/sites/${encodeURIComponent(a.site_id)}/remove` }))
    .sort((a, b) => a.site_name.localeCompare(b.site_name));
  const assigned = new Set(assignments.map((a) => a.site_id));
  const sites = await listSiteNames(db, orgId, SITES_SHOWN);
  await consoleRouter.render(ctx, 'console/users/user.njk', 'users', {
    member: view,
    assignments,
    has_sites: sites.length > 0,
    available_sites: sites.filter((s) => !assigned.has(s.id)).map((s) => ({ value: s.id, label: s.name })),
    site_roles: service.config.siteRoles.map((r) => ({ value: r, label: r.charAt(0).toUpperCase() + r.slice(1) })),
    form: form ?? null,
  }, status);
}

/** An expected refusal of the service, shown on the form it came from; anything else is a real error. */
function refusal(err: unknown): AppError {
  if (isRefusal(err)) return err;
  throw err;
}

export function registerUserPage(consoleRouter: ConsoleRouter): void {
  const { router, page, form, deps, done } = consoleRouter;
  const { db } = deps;

  /**
   * A form of the user page about something removed meanwhile (or not of this org): back to the person's
   * page saying `what` is gone, or to the list when it is the person who is no longer a member (their
   * page would be a 404). Asked again after the 404, in the admin's own org only.
   */
  const gone = (what: string) => goneWhere(consoleRouter, async (ctx) => {
    const userId = String(ctx.params.userId);
    const still = await findMembership(db, adminOf(ctx).organization.id, userId);
    return still ? { back: userHref(userId), what } : { back: USERS_PATH, what: 'member' };
  });

  router.get(USER_PATH, page, async (ctx) => renderUser(consoleRouter, ctx, await loadMember(db, ctx)));

  router.post(`${USER_PATH}/role`, ...form, gone('member'), async (ctx) => {
    const member = await loadMember(db, ctx);
    const role = formField(ctx, 'role');
    const back = (error: string, status: number) => renderUser(consoleRouter, ctx, member, { section: 'role', values: { role }, errors: { role: error } }, status);
    if (!ORG_ROLES.includes(role as OrgRole)) return back('Choose Member or Admin.', 422);
    try {
      await deps.uow((trx) => setMembershipRoleAsAdmin(trx, adminCall(ctx, deps.ctx), member.membership.id, role as OrgRole));
    } catch (err) {
      const e = refusal(err);
      return back(e.message, e.status);
    }
    const name = displayName(member.user);
    if (member.membership.role === role) return done(ctx, userHref(member.user.id), `${name} is already ${role === 'admin' ? 'an admin' : 'a member'}.`, 'info');
    done(ctx, userHref(member.user.id), role === 'admin' ? `${name} is now an admin of ${adminOf(ctx).organization.name}.` : `${name} is now a member: they can no longer open this console.`);
  });

  router.post(`${USER_PATH}/sites/add`, ...form, gone('site'), async (ctx) => {
    const member = await loadMember(db, ctx);
    const values = { site_id: formField(ctx, 'site_id'), role: formField(ctx, 'role') };
    const errors: Record<string, string> = {};
    if (!values.site_id) errors.site_id = 'Choose a site.';
    if (!deps.ctx.config.siteRoles.includes(values.role)) errors.role = 'Choose a site role.';
    if (Object.keys(errors).length) return renderUser(consoleRouter, ctx, member, { section: 'add_site', values, errors }, 422);
    const site = await loadSite(db, ctx, values.site_id);
    try {
      await deps.uow((trx) => assignSite(trx, adminCall(ctx, deps.ctx), { siteId: site.id, userId: member.user.id, role: values.role, source: 'manual' }));
    } catch (err) {
      const e = refusal(err);
      return renderUser(consoleRouter, ctx, member, { section: 'add_site', values, errors: { site_id: e.errors[0]?.message ?? e.message } }, e.status);
    }
    done(ctx, userHref(member.user.id), `${displayName(member.user)} is now on ${site.name} as ${values.role}.`);
  });

  router.post(`${USER_PATH}/sites/:siteId/role`, ...form, gone('site assignment'), async (ctx) => {
    // The assignment must still be there: a role change never re-adds someone another admin just removed.
    const { member, site } = await loadAssignment(ctx);
    const role = formField(ctx, 'role');
    const back = (error: string, status: number) => renderUser(consoleRouter, ctx, member, { section: 'site_role', site_id: site.id, values: { role }, errors: { role: error } }, status);
    if (!deps.ctx.config.siteRoles.includes(role)) return back('Choose a site role.', 422);
    let outcome: 'created' | 'updated' | 'unchanged';
    try {
      ({ outcome } = await deps.uow((trx) => assignSite(trx, adminCall(ctx, deps.ctx), { siteId: site.id, userId: member.user.id, role, source: 'manual' })));
    } catch (err) {
      const e = refusal(err);
      return back(e.errors[0]?.message ?? e.message, e.status);
    }
    if (outcome === 'unchanged') return done(ctx, userHref(member.user.id), `${displayName(member.user)} already has the role ${role} on ${site.name}.`, 'info');
    done(ctx, userHref(member.user.id), `${displayName(member.user)} is now ${role} on ${site.name}.`);
  });

  /** The assignment a removal is about, or a 404 when the person is not on that site. */
  async function loadAssignment(ctx: Context) {
    const member = await loadMember(db, ctx);
    const site = await loadSite(db, ctx, String(ctx.params.siteId));
    const assignment = (await listSiteAssignments(db, member.user.id, site.organization_id)).find((a) => a.site_id === site.id);
    return { member, site, assignment: ownedBy(ctx, assignment, 'site assignment', `${site.id}/${member.user.id}`) };
  }

  router.get(`${USER_PATH}/sites/:siteId/remove`, page, async (ctx) => {
    const { member, site, assignment } = await loadAssignment(ctx);
    await consoleRouter.render(ctx, 'console/users/remove-site.njk', 'users', {
      member: memberView(member.membership, member.user, adminOf(ctx).user.id),
      site: { id: site.id, name: site.name },
      assignment: { role: assignment.role, by_mapping: assignment.source === 'group_mapping' },
    });
  });

  router.post(`${USER_PATH}/sites/:siteId/remove`, ...form, gone('site assignment'), async (ctx) => {
    const { member, site } = await loadAssignment(ctx);
    await deps.uow((trx) => unassignSite(trx, adminCall(ctx, deps.ctx), site.id, member.user.id));
    done(ctx, userHref(member.user.id), `${displayName(member.user)} is no longer on ${site.name}.`);
  });

  const cannotDisableSelf = (ctx: Context, member: Member) => renderUser(consoleRouter, ctx, member, {
    section: 'access', values: {}, errors: { access: CANNOT_DISABLE_SELF },
  }, 409);

  router.get(`${USER_PATH}/disable`, page, async (ctx) => {
    const member = await loadMember(db, ctx);
    if (member.user.id === adminOf(ctx).user.id) return cannotDisableSelf(ctx, member);
    if (member.membership.state === 'disabled' && member.membership.disabled_by === 'admin') {
      return done(ctx, userHref(member.user.id), `${displayName(member.user)} is already disabled.`, 'info');
    }
    const sites = await listSiteAssignments(db, member.user.id, adminOf(ctx).organization.id);
    await consoleRouter.render(ctx, 'console/users/disable.njk', 'users', {
      member: memberView(member.membership, member.user, adminOf(ctx).user.id),
      site_count: sites.length,
    });
  });

  router.post(`${USER_PATH}/disable`, ...form, gone('member'), async (ctx) => {
    const member = await loadMember(db, ctx);
    try {
      await deps.uow((trx) => disableMembershipAsAdmin(trx, adminCall(ctx, deps.ctx), member.membership.id));
    } catch (err) {
      const e = refusal(err);
      return renderUser(consoleRouter, ctx, member, { section: 'access', values: {}, errors: { access: e.message } }, e.status);
    }
    done(ctx, userHref(member.user.id), `${displayName(member.user)} is disabled and can no longer sign in.`);
  });

  router.post(`${USER_PATH}/enable`, ...form, gone('member'), async (ctx) => {
    const member = await loadMember(db, ctx);
    const { outcome } = await deps.uow((trx) => enableMembership(trx, adminCall(ctx, deps.ctx), member.membership.id, 'admin'));
    if (outcome === 'already-active') return done(ctx, userHref(member.user.id), `${displayName(member.user)} is already active.`, 'info');
    done(ctx, userHref(member.user.id), `${displayName(member.user)} is enabled and can sign in again.`);
  });
}
