import Router from '@koa/router';
import type { Context } from 'koa';
import type { Call, ServiceContext } from '../context.ts';
import type { Db } from '../db/database.ts';
import type { UnitOfWork } from '../db/transaction.ts';
import type { Pages } from '../http/pages.ts';
import { acceptInvitation, type InvitationLookup, lookUpInvitation } from '../users/invitation-acceptance.service.ts';
import { hashPassword, passwordProblem } from '../users/passwords.ts';

const CLOSED: Record<Exclude<InvitationLookup['status'], 'open'>, { title: string; message: string }> = {
  unknown: { title: 'Invitation not found', message: 'This invitation link is not valid. Check that you opened the whole link from the email, or ask for a new invitation.' },
  expired: { title: 'Invitation expired', message: 'This invitation has expired. Ask an administrator of the organization to invite you again.' },
  revoked: { title: 'Invitation withdrawn', message: 'This invitation was withdrawn by an administrator. Ask them to invite you again if you still need access.' },
  accepted: { title: 'Invitation already used', message: 'This invitation has already been accepted. Sign in from the application with your email and password.' },
};

/** /invitations/:token: set a name and password, and join the org with the invited role. */
export function createInvitationRouter(deps: { pages: Pages; db: Db; uow: UnitOfWork; ctx: ServiceContext }): Router {
  const { pages, db, uow } = deps;
  const router = new Router();

  async function open(ctx: Context) {
    const found = await lookUpInvitation(db, deps.ctx.clock, ctx.params.token!);
    if (found.status !== 'open') {
      pages.render(ctx, 'login/message.njk', { ...CLOSED[found.status], tone: 'error' }, found.status === 'unknown' ? 404 : 410);
      return undefined;
    }
    return found;
  }

  const form = (ctx: Context, found: Extract<InvitationLookup, { status: 'open' }>, values: Record<string, string>, errors: Record<string, string>, status = 200) =>
    pages.render(ctx, 'invitations/accept.njk', {
      action: ctx.path,
      organization: found.organization.name,
      email: found.invitation.email,
      role: found.invitation.role,
      has_password: Boolean(found.existingUser?.password_hash),
      values,
      errors,
    }, status);

  router.get('/invitations/:token', async (ctx) => {
    const found = await open(ctx);
    if (found) form(ctx, found, { first_name: found.existingUser?.first_name ?? '', last_name: found.existingUser?.last_name ?? '' }, {});
  });

  router.post('/invitations/:token', pages.formBody, pages.verifyCsrf, async (ctx) => {
    const found = await open(ctx);
    if (!found) return;
    const body = ctx.request.body as Record<string, string>;
    const values = { first_name: String(body.first_name ?? '').trim(), last_name: String(body.last_name ?? '').trim() };
    const errors: Record<string, string> = {};
    if (!values.first_name) errors.first_name = 'Enter your first name.';
    else if (values.first_name.length > 100) errors.first_name = 'Use at most 100 characters.';
    if (!values.last_name) errors.last_name = 'Enter your last name.';
    else if (values.last_name.length > 100) errors.last_name = 'Use at most 100 characters.';
    const needsPassword = !found.existingUser?.password_hash;
    const password = String(body.password ?? '');
    if (needsPassword) {
      const problem = passwordProblem(password, found.invitation.email);
      if (problem) errors.password = problem;
      else if (password !== String(body.password_confirm ?? '')) errors.password_confirm = 'The two passwords do not match.';
    }
    if (Object.keys(errors).length) return form(ctx, found, values, errors, 422);
    // scrypt is CPU work: hash before the transaction, never inside it.
    const passwordHash = needsPassword ? await hashPassword(password) : undefined;
    const call: Call = { ctx: deps.ctx, actor: { type: 'system' } };
    await uow((trx) => acceptInvitation(trx, call, found.invitation, { ...values, passwordHash }));
    pages.render(ctx, 'login/message.njk', {
      title: `You joined ${found.organization.name}`,
      message: `Your account ${found.invitation.email} is ready. Go back to the application and sign in with your email and password.`,
      tone: 'success',
    });
  });

  return router;
}
