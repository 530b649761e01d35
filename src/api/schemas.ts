import { z } from 'zod';
import { emailAddress } from '../http/validate.ts';

/** Request and response shapes of the management API (DESIGN.md "Management API v1"). */
const id = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[0-9A-HJKMNP-TV-Z]{26}$`), `must be a ${prefix}_ id`);
const time = z.string().describe('ISO 8601 UTC');
const email = emailAddress('must be an email address');
const name = (what: string) => z.string().trim().regex(/^[^\x00-\x1f\x7f]*$/, `${what} must not contain control characters such as line breaks.`).min(1, `${what} must not be empty.`).max(200, `${what} must be at most 200 characters.`);

export const ids = { org: id('org'), user: id('user'), site: id('site') };
export const orgRole = z.enum(['member', 'admin'], { error: 'role must be member or admin.' });

export const listOf = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), list_metadata: z.object({ after: z.string().nullable() }) });

export const organization = z.object({
  id: z.string(), name: z.string(), sso_entitled: z.boolean(), auto_provision: z.boolean(), enforce_sso: z.boolean(), created_at: time, updated_at: time,
});
export const organizationCreate = z.strictObject({
  name: name('name'),
  sso_entitled: z.boolean().optional(),
  auto_provision: z.boolean().optional(),
  enforce_sso: z.boolean().optional(),
});
export const organizationUpdate = organizationCreate.partial();

export const domain = z.object({
  id: z.string(), organization_id: z.string(), domain: z.string(), state: z.enum(['pending', 'verified', 'failed']),
  verification: z.object({
    type: z.literal('dns_txt'), name: z.string(), value: z.string(), method: z.enum(['dns_txt', 'manual']).nullable(),
    last_checked_at: time.nullable(), last_error: z.string().nullable(),
  }),
  failure_reason: z.string().nullable(), verified_at: time.nullable(), created_at: time, updated_at: time,
});
export const domainCreate = z.strictObject({ domain: z.string().max(300, 'domain is too long') });
export const domainVerify = z.strictObject({ method: z.enum(['dns_txt', 'manual']).default('dns_txt') });

export const itContact = z.object({
  id: z.string(), organization_id: z.string(), email: z.string(), name: z.string().nullable(), user_id: z.string().nullable(), synced: z.boolean(), created_at: time,
});
export const itContactCreate = z.union([
  z.strictObject({ user_id: ids.user }),
  z.strictObject({ email, name: name('name').nullable().optional() }),
], { error: 'give either {"user_id"} of a member, or {"email", "name"?}' });

export const site = z.object({ id: z.string(), organization_id: z.string(), name: z.string(), created_at: time, updated_at: time });
export const siteCreate = z.strictObject({ name: name('name') });

export const user = z.object({
  id: z.string(), email: z.string(), email_verified: z.boolean(), first_name: z.string().nullable(), last_name: z.string().nullable(),
  name: z.string().nullable(), created_at: time, updated_at: time,
});
export const userQuery = z.object({
  organization_id: ids.org.optional(),
  email: z.string().max(254).optional(),
  q: z.string().max(100, 'q must be at most 100 characters').optional(),
});

export const membership = z.object({
  id: z.string(), organization_id: z.string(), user_id: z.string(), role: orgRole, state: z.enum(['active', 'disabled']),
  disabled_by: z.enum(['admin', 'directory']).nullable(), disabled_at: time.nullable(),
  source: z.enum(['invitation', 'sso', 'directory', 'api']), user, created_at: time, updated_at: time,
});
export const membershipUpdate = z.strictObject({ role: orgRole });

export const siteAssignment = z.object({
  id: z.string(), organization_id: z.string(), site_id: z.string(), site_name: z.string(), user_id: z.string(), role: z.string(),
  source: z.enum(['manual', 'group_mapping']), created_at: time, updated_at: time,
});
export const siteAssignmentPut = z.strictObject({ role: z.string().min(1, 'role is required.') });

export const invitation = z.object({
  id: z.string(), organization_id: z.string(), email: z.string(), role: orgRole, state: z.enum(['pending', 'accepted', 'revoked', 'expired']),
  expires_at: time, accepted_at: time.nullable(), revoked_at: time.nullable(), created_at: time,
});
export const invitationCreated = invitation.extend({ accept_url: z.string().describe('shown only in this answer') });
export const invitationCreate = z.strictObject({ email, role: orgRole.default('member') });

export const activityEvent = z.object({
  id: z.string(), type: z.string(), organization_id: z.string().nullable(),
  actor: z.object({ type: z.string(), id: z.string().nullable() }), data: z.record(z.string(), z.unknown()), created_at: time,
});
export const eventQuery = z.object({
  organization_id: ids.org.optional(),
  types: z.string().max(4000).optional().describe('comma-separated event types'),
});

export const problem = z.object({
  type: z.string(), title: z.string(), status: z.number(), detail: z.string(),
  errors: z.array(z.object({ field: z.string(), code: z.string(), message: z.string() })).optional(), reference: z.string(),
});
