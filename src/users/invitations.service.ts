import type { Call } from '../context.ts';
import { DAY_MS } from '../clock.ts';
import { newId } from '../crypto/ids.ts';
import { issueToken } from '../crypto/tokens.ts';
import type { Executor } from '../db/database.ts';
import type { Invitation, OrgRole } from '../db/schema.ts';
import { recordEvent } from '../events/activity.ts';
import { conflict, notFound } from '../http/errors.ts';
import { cancelMailTo, enqueueMail } from '../mail/outbox.ts';
import { getOrganization } from '../orgs/organizations.service.ts';
import { findMembership, findUserByEmail } from './users.repository.ts';

export const INVITATION_LIFETIME_MS = 7 * DAY_MS;
export const INVITATION_TOKEN_KIND = 'inv';

export interface InvitationView {
  id: string;
  organization_id: string;
  email: string;
  role: OrgRole;
  state: 'pending' | 'accepted' | 'revoked' | 'expired';
  expires_at: string;
  accepted_at: string | null;
  revoked_at: string | null;
  created_at: string;
}

export function toInvitationView(row: Invitation, now: Date): InvitationView {
  const expired = row.state === 'pending' && Date.parse(row.expires_at) <= now.getTime();
  return {
    id: row.id,
    organization_id: row.organization_id,
    email: row.email,
    role: row.role,
    state: expired ? 'expired' : row.state,
    expires_at: row.expires_at,
    accepted_at: row.accepted_at,
    revoked_at: row.revoked_at,
    created_at: row.created_at,
  };
}

export async function getInvitation(db: Executor, id: string): Promise<Invitation> {
  const row = await db.selectFrom('invitations').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('invitation', id);
  return row;
}

export async function listInvitations(db: Executor, organizationId: string, page: { after?: string; limit: number }): Promise<Invitation[]> {
  let query = db.selectFrom('invitations').selectAll().where('organization_id', '=', organizationId).orderBy('id').limit(page.limit + 1);
  if (page.after) query = query.where('id', '>', page.after);
  return query.execute();
}

/**
 * Creates an invitation and mails the accept link. The token is returned once (in accept_url) and
 * stored only as a hash. An existing member, or a pending unexpired invitation, is a conflict.
 */
export async function createInvitation(
  db: Executor,
  { ctx, actor }: Call,
  organizationId: string,
  input: { email: string; role: OrgRole },
): Promise<{ invitation: Invitation; acceptUrl: string }> {
  const org = await getOrganization(db, organizationId);
  const email = input.email.trim().toLowerCase();
  const user = await findUserByEmail(db, email);
  if (user && (await findMembership(db, organizationId, user.id))) {
    throw conflict('already_a_member', `${email} is already a member of this organization.`);
  }
  const now = ctx.clock.now();
  const pending = await db
    .selectFrom('invitations')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('email', '=', email)
    .where('state', '=', 'pending')
    .where('expires_at', '>', now.toISOString())
    .executeTakeFirst();
  if (pending) throw conflict('invitation_pending', `${email} already has a pending invitation (${pending.id}); revoke it to send a new one.`);

  const token = issueToken(INVITATION_TOKEN_KIND);
  const acceptUrl = `${ctx.config.baseUrl}/invitations/${token.token}`;
  const invitation: Invitation = {
    id: newId('inv'),
    organization_id: organizationId,
    email,
    role: input.role,
    state: 'pending',
    token_lookup: token.lookup,
    token_hash: token.hash,
    expires_at: new Date(now.getTime() + INVITATION_LIFETIME_MS).toISOString(),
    accepted_at: null,
    accepted_user_id: null,
    revoked_at: null,
    created_at: now.toISOString(),
  };
  await db.insertInto('invitations').values(invitation).execute();
  const body = ctx.templates.render('invitation', { organization: org.name, role: input.role, accept_url: acceptUrl, expires_at: invitation.expires_at.replace('T', ' ').slice(0, 16) });
  await enqueueMail(db, ctx.clock, ctx.box, { kind: 'invitation', organizationId, to: email, subject: `You are invited to join ${org.name}`, ...body });
  await recordEvent(db, ctx.clock, { type: 'invitation.created', organizationId, actor, data: { invitation_id: invitation.id, email, role: input.role } });
  return { invitation, acceptUrl };
}

export async function revokeInvitation(db: Executor, { ctx, actor }: Call, id: string): Promise<Invitation> {
  const invitation = await getInvitation(db, id);
  // The state every view shows (an expired invitation is stored as pending): revoking one that reads
  // "expired" used to succeed and turn it into "revoked", unlike what the message below promises.
  const state = toInvitationView(invitation, ctx.clock.now()).state;
  if (state !== 'pending') throw conflict('invitation_not_pending', `Invitation ${id} is ${state}; only a pending invitation can be revoked.`);
  const now = ctx.clock.now().toISOString();
  await db.updateTable('invitations').set({ state: 'revoked', revoked_at: now }).where('id', '=', id).execute();
  // A mail not yet sent would deliver a link that no longer works: cancel it, as removing an IT contact
  // cancels its notice. The invitation row keeps no mail id, so the outbox row is matched by kind, org
  // and address; only one invitation per address and org is pending at a time, so the only other
  // matches are mails of older invitations, whose links are dead too.
  await cancelMailTo(db, { kind: 'invitation', organizationId: invitation.organization_id, to: invitation.email });
  await recordEvent(db, ctx.clock, { type: 'invitation.revoked', organizationId: invitation.organization_id, actor, data: { invitation_id: id, email: invitation.email } });
  return { ...invitation, state: 'revoked', revoked_at: now };
}

/** An org's invitations still waiting for an answer (pending and unexpired), soonest to expire first. */
export async function listPendingInvitations(db: Executor, organizationId: string, now: Date, limit: number): Promise<Invitation[]> {
  return db
    .selectFrom('invitations')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('state', '=', 'pending')
    .where('expires_at', '>', now.toISOString())
    .orderBy('expires_at')
    .orderBy('id')
    .limit(limit)
    .execute();
}
