import type { Context } from 'koa';
import { isId } from '../../crypto/ids.ts';
import type { OrgRole } from '../../db/schema.ts';
import { AppError, isRefusal } from '../../http/errors.ts';
import { emailAddress } from '../../http/validate.ts';
import { createInvitation, getInvitation, listPendingInvitations, revokeInvitation, toInvitationView } from '../../users/invitations.service.ts';
import { listMembersSiteAssignments, searchMembers } from '../../users/users.repository.ts';
import { adminCall, adminOf, formField, ownedBy, queryField } from '../console-admin.ts';
import type { ConsoleRouter } from '../console.router.ts';
import { USERS_PATH } from '../console-view.ts';
import { goneTo } from '../gone.ts';
import { memberView, ORG_ROLES } from './member-view.ts';

const PAGE_SIZE = 25;
/** Pending invitations shown at once; more than this is rare, and the page says so. */
const PENDING_SHOWN = 50;
const SEARCH_MAX = 200;
const email = emailAddress();

/** The invite form sent back with what was typed and what is wrong. */
export interface InviteForm {
  values: { email: string; role: string };
  errors: { email?: string; role?: string };
}

const cursor = (value: string) => (isId('mem', value) ? value : undefined);

/** Users: the members (searched, a page at a time), pending invitations, and the invite form. */
async function renderUsersList(consoleRouter: ConsoleRouter, ctx: Context, invite?: InviteForm, status = 200): Promise<void> {
  const { db, ctx: service } = consoleRouter.deps;
  const admin = adminOf(ctx);
  const orgId = admin.organization.id;
  const q = queryField(ctx, 'q').slice(0, SEARCH_MAX);
  const page = await searchMembers(db, orgId, { q: q || undefined, after: cursor(queryField(ctx, 'after')), before: cursor(queryField(ctx, 'before')), limit: PAGE_SIZE });
  const assignments = await listMembersSiteAssignments(db, orgId, page.rows.map((r) => r.user.id));
  const now = service.clock.now();
  const pending = await listPendingInvitations(db, orgId, now, PENDING_SHOWN + 1);
  const link = (param: 'after' | 'before', id: string | null) => (id ? `${USERS_PATH}?${new URLSearchParams({ ...(q ? { q } : {}), [param]: id })}` : null);
  await consoleRouter.render(ctx, 'console/users/index.njk', 'users', {
    q,
    members: page.rows.map(({ membership, user }) => ({
      ...memberView(membership, user, admin.user.id),
      sites: assignments.filter((a) => a.user_id === user.id).map((a) => ({ name: a.site_name, role: a.role })),
    })),
    previous_href: link('before', page.previous),
    next_href: link('after', page.next),
    invitations: pending.slice(0, PENDING_SHOWN).map((row) => toInvitationView(row, now)),
    more_invitations: pending.length > PENDING_SHOWN,
    invite: invite ?? { values: { email: '', role: 'member' }, errors: {} },
  }, status);
}

/** A service refusal of an invitation, said on the email field in the console's words. */
function inviteRefusal(err: AppError, address: string, organization: string): string {
  if (err.code === 'already_a_member') return `${address} is already a member of ${organization}. Find them in the list above.`;
  if (err.code === 'invitation_pending') return `${address} already has a pending invitation. Revoke it below to send a new one.`;
  return err.errors[0]?.message ?? err.message;
}

export function registerUsersList(consoleRouter: ConsoleRouter): void {
  const { router, page, form, deps } = consoleRouter;

  router.get(USERS_PATH, page, (ctx) => renderUsersList(consoleRouter, ctx));

  router.post(`${USERS_PATH}/invitations`, ...form, async (ctx) => {
    const admin = adminOf(ctx);
    const values = { email: formField(ctx, 'email'), role: formField(ctx, 'role') };
    const errors: InviteForm['errors'] = {};
    const address = email.safeParse(values.email);
    if (!values.email) errors.email = 'Enter the email address of the person to invite.';
    else if (!address.success) errors.email = 'Enter an email address like name@company.com.';
    if (!ORG_ROLES.includes(values.role as OrgRole)) errors.role = 'Choose Member or Admin.';
    if (errors.email || errors.role || !address.success) return renderUsersList(consoleRouter, ctx, { values, errors }, 422);

    let created: Awaited<ReturnType<typeof createInvitation>>;
    try {
      created = await deps.uow((trx) => createInvitation(trx, adminCall(ctx, deps.ctx), admin.organization.id, { email: address.data, role: values.role as OrgRole }));
    } catch (err) {
      if (!isRefusal(err)) throw err;
      return renderUsersList(consoleRouter, ctx, { values, errors: { email: inviteRefusal(err, address.data, admin.organization.name) } }, err.status);
    }
    // The accept link exists only in this answer (stored hashed): shown here once, never put in a cookie or a URL.
    await consoleRouter.render(ctx, 'console/users/invited.njk', 'users', {
      invitation: toInvitationView(created.invitation, deps.ctx.clock.now()),
      accept_url: created.acceptUrl,
      // createInvitation always queues the mail; it only leaves Gatehouse when SMTP_URL is set.
      mailed: Boolean(deps.ctx.config.smtpUrl),
    }, 201);
  });

  const pendingInvitation = async (ctx: Context) => {
    const id = String(ctx.params.invitationId);
    const row = await getInvitation(deps.db, id).catch(() => undefined);
    return ownedBy(ctx, row, 'invitation', id);
  };

  router.get(`${USERS_PATH}/invitations/:invitationId/revoke`, page, async (ctx) => {
    const invitation = toInvitationView(await pendingInvitation(ctx), deps.ctx.clock.now());
    if (invitation.state !== 'pending') return consoleRouter.done(ctx, USERS_PATH, `The invitation to ${invitation.email} is ${invitation.state}: there is nothing to revoke.`, 'info');
    await consoleRouter.render(ctx, 'console/users/revoke-invitation.njk', 'users', { invitation });
  });

  // An invitation that is gone (or not this org's) comes back to the list, saying so; one revoked meanwhile
  // is still there, and says so below.
  router.post(`${USERS_PATH}/invitations/:invitationId/revoke`, ...form, goneTo(consoleRouter, USERS_PATH, 'invitation'), async (ctx) => {
    const invitation = await pendingInvitation(ctx);
    try {
      await deps.uow((trx) => revokeInvitation(trx, adminCall(ctx, deps.ctx), invitation.id));
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'invitation_not_pending') throw err;
      const state = toInvitationView(invitation, deps.ctx.clock.now()).state;
      return consoleRouter.done(ctx, USERS_PATH, `The invitation to ${invitation.email} is ${state}: there is nothing to revoke.`, 'info');
    }
    consoleRouter.done(ctx, USERS_PATH, `Invitation to ${invitation.email} revoked. Its link no longer works.`);
  });
}
