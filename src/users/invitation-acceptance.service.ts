import type { Call } from '../context.ts';
import type { Clock } from '../clock.ts';
import { tokenLookup, tokenMatches } from '../crypto/tokens.ts';
import type { Executor } from '../db/database.ts';
import type { Invitation, Organization, User } from '../db/schema.ts';
import { recordEvent } from '../events/activity.ts';
import { INVITATION_TOKEN_KIND } from './invitations.service.ts';
import { ensureMembership, setPasswordHash, upsertUser } from './provisioning.ts';
import { findUserByEmail } from './users.repository.ts';

export type InvitationLookup =
  | { status: 'open'; invitation: Invitation; organization: Organization; existingUser: User | undefined }
  | { status: 'unknown' | 'expired' | 'revoked' | 'accepted' };

/** Finds the invitation a link's token names, comparing the token's hash in constant time. */
export async function lookUpInvitation(db: Executor, clock: Clock, token: string): Promise<InvitationLookup> {
  const lookup = tokenLookup(INVITATION_TOKEN_KIND, token);
  if (!lookup) return { status: 'unknown' };
  const invitation = await db.selectFrom('invitations').selectAll().where('token_lookup', '=', lookup).executeTakeFirst();
  if (!invitation || !tokenMatches(token, invitation.token_hash)) return { status: 'unknown' };
  if (invitation.state === 'revoked') return { status: 'revoked' };
  if (invitation.state === 'accepted') return { status: 'accepted' };
  if (Date.parse(invitation.expires_at) <= clock.now().getTime()) return { status: 'expired' };
  const organization = await db.selectFrom('organizations').selectAll().where('id', '=', invitation.organization_id).executeTakeFirstOrThrow();
  return { status: 'open', invitation, organization, existingUser: await findUserByEmail(db, invitation.email) };
}

/**
 * Accepts an open invitation: the person (found by email, or created) joins the org with the invited
 * role, and gets the password when they have none yet. The password is hashed before the transaction.
 */
export async function acceptInvitation(
  db: Executor,
  call: Call,
  invitation: Invitation,
  profile: { first_name: string; last_name: string; passwordHash: string | undefined },
): Promise<{ user: User }> {
  const { user } = await upsertUser(db, call, { email: invitation.email, email_verified: true, first_name: profile.first_name, last_name: profile.last_name });
  if (profile.passwordHash && !user.password_hash) await setPasswordHash(db, call, user.id, profile.passwordHash);
  await ensureMembership(db, call, { organizationId: invitation.organization_id, userId: user.id, role: invitation.role, source: 'invitation' });
  const now = call.ctx.clock.now().toISOString();
  // Only a still-pending invitation is accepted: a second submit of the same link changes nothing.
  const updated = await db
    .updateTable('invitations')
    .set({ state: 'accepted', accepted_at: now, accepted_user_id: user.id })
    .where('id', '=', invitation.id)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) !== 1) throw new Error(`invitation ${invitation.id} was no longer pending`);
  await recordEvent(db, call.ctx.clock, { type: 'invitation.accepted', organizationId: invitation.organization_id, actor: { type: 'user', id: user.id }, data: { invitation_id: invitation.id, email: invitation.email, user_id: user.id } });
  return { user };
}
