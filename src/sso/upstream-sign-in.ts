import type { Call } from '../context.ts';
import type { Executor } from '../db/database.ts';
import type { Organization, User } from '../db/schema.ts';
import { recordEvent } from '../events/activity.ts';
import { getOrganization } from '../orgs/organizations.service.ts';
import { provisionFromIdp } from '../users/jit-provisioning.ts';
import type { ConsumedTicket } from './login-tickets.ts';
import { recordSsoRefusal, type SsoRefusal } from './refusals.ts';

export type UpstreamSignIn =
  | { ok: true; user: User; organization: Organization; connectionId: string }
  | { ok: false; reason: SsoRefusal; organization: Organization };

/**
 * The last step of an upstream sign-in, run by whoever consumed the ticket (the provider's sign-in
 * interaction): provision the person just in time and say who signed in to which org, or record why not.
 */
export async function signInWithTicket(db: Executor, call: Call, consumed: ConsumedTicket, reference: string): Promise<UpstreamSignIn> {
  const { ticket, profile } = consumed;
  const organization = await getOrganization(db, ticket.organization_id);
  const result = await provisionFromIdp(db, call, organization, {
    connectionId: ticket.connection_id,
    subject: profile.subject,
    email: profile.email,
    emailVerified: profile.emailVerified,
    firstName: profile.firstName,
    lastName: profile.lastName,
  });
  if (!result.ok) {
    await recordSsoRefusal(db, call, organization.id, {
      connection_id: ticket.connection_id, reason: result.reason, reference, detail: result.detail, email: profile.email, ...(result.userId ? { user_id: result.userId } : {}),
    });
    return { ok: false, reason: result.reason, organization };
  }
  await recordEvent(db, call.ctx.clock, {
    type: 'sso.signin_succeeded',
    organizationId: organization.id,
    actor: { type: 'user', id: result.user.id },
    data: { connection_id: ticket.connection_id, user_id: result.user.id, email: result.user.email, user_created: result.userCreated },
  });
  return { ok: true, user: result.user, organization, connectionId: ticket.connection_id };
}
