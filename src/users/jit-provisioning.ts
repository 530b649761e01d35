import type { Call } from '../context.ts';
import { newId } from '../crypto/ids.ts';
import type { Executor } from '../db/database.ts';
import type { Membership, Organization, User } from '../db/schema.ts';
import { emailDomain } from '../orgs/domain-name.ts';
import { acceptInvitation } from './invitation-acceptance.service.ts';
import { changeUserEmail, ensureMembership, upsertUser } from './provisioning.ts';
import { findMembership, findUserByEmail, getUser } from './users.repository.ts';

/** A verified profile from an org's IdP (SAML NameID or OIDC subject, and what the IdP says about the person). */
export interface IdpProfile {
  connectionId: string;
  subject: string;
  email: string;
  emailVerified: boolean;
  firstName: string | null;
  lastName: string | null;
}

export type JitRefusal = 'email_outside_org_domains' | 'auto_provision_off' | 'membership_disabled' | 'identity_conflict';

export type JitResult =
  | { ok: true; user: User; membership: Membership; userCreated: boolean }
  | { ok: false; reason: JitRefusal; detail: string; userId?: string };

/**
 * Just-in-time sign-in from an IdP profile (DESIGN.md Data rules, Security rules), through the one writer
 * (provisioning.ts). The identity is linked by (connection, subject), never found by email alone: the
 * email only has to be on one of the org's verified domains. A person already linked keeps their
 * account even when the IdP changes their address; a new subject claiming the address of a person the
 * same connection already links to someone else is refused. A new person becomes a `member` with no
 * site assignments when the org allows auto-provisioning; otherwise only invited or directory-provisioned
 * people get in. A disabled membership stays disabled.
 */
export async function provisionFromIdp(db: Executor, call: Call, organization: Organization, profile: IdpProfile): Promise<JitResult> {
  const email = profile.email.toLowerCase();
  const domain = await db
    .selectFrom('domains')
    .select('id')
    .where('organization_id', '=', organization.id)
    .where('domain', '=', emailDomain(email))
    .where('state', '=', 'verified')
    .executeTakeFirst();
  if (!domain) {
    return { ok: false, reason: 'email_outside_org_domains', detail: `${email} is not on a verified domain of ${organization.name}.` };
  }

  const now = call.ctx.clock.now().toISOString();
  const link = await db.selectFrom('sso_identities').selectAll().where('connection_id', '=', profile.connectionId).where('subject', '=', profile.subject).executeTakeFirst();
  let user: User | undefined;
  let userCreated = false;
  if (link) {
    user = await getUser(db, link.user_id);
    // The IdP renamed the mailbox: follow it, unless another account already has the new address.
    if (user.email !== email) await changeUserEmail(db, call, user.id, email);
  } else {
    user = await findUserByEmail(db, email);
    if (user) {
      const other = await db.selectFrom('sso_identities').select('subject').where('connection_id', '=', profile.connectionId).where('user_id', '=', user.id).executeTakeFirst();
      if (other) {
        return {
          ok: false,
          reason: 'identity_conflict',
          detail: `${email} is already linked to another identity of this IdP (subject "${other.subject}"); the IdP now sends it for subject "${profile.subject}".`,
          userId: user.id,
        };
      }
    }
  }

  let membership = user ? await findMembership(db, organization.id, user.id) : undefined;
  if (!membership) {
    const invitation = await db
      .selectFrom('invitations')
      .selectAll()
      .where('organization_id', '=', organization.id)
      .where('email', '=', email)
      .where('state', '=', 'pending')
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (invitation) {
      user = (await acceptInvitation(db, call, invitation, { first_name: profile.firstName ?? '', last_name: profile.lastName ?? '', passwordHash: undefined })).user;
      userCreated = !link && user.created_at === now;
    } else if (organization.auto_provision !== 1) {
      return { ok: false, reason: 'auto_provision_off', detail: `${email} is not a member of ${organization.name}, and ${organization.name} does not create accounts at first sign-in.`, userId: user?.id };
    } else if (!user) {
      const created = await upsertUser(db, call, { email, email_verified: true, first_name: profile.firstName, last_name: profile.lastName });
      user = created.user;
      userCreated = created.created;
    }
    membership = (await ensureMembership(db, call, { organizationId: organization.id, userId: user.id, role: 'member', source: 'sso' })).membership;
  }
  if (membership.state !== 'active') {
    return { ok: false, reason: 'membership_disabled', detail: `The membership of ${email} in ${organization.name} is disabled (by ${membership.disabled_by ?? 'an admin'}).`, userId: user!.id };
  }

  // Names follow the IdP; an empty value never wipes a name the person has.
  user = (await upsertUser(db, call, { email: user!.email, first_name: profile.firstName ?? undefined, last_name: profile.lastName ?? undefined })).user;
  if (link) {
    await db.updateTable('sso_identities').set({ last_sign_in_at: now }).where('id', '=', link.id).execute();
  } else {
    await db.insertInto('sso_identities').values({ id: newId('idn'), connection_id: profile.connectionId, subject: profile.subject, user_id: user.id, last_sign_in_at: now, created_at: now }).execute();
  }
  return { ok: true, user, membership, userCreated };
}
