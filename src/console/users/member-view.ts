import type { Membership, MembershipSource, OrgRole } from '../../db/schema.ts';
import { fullName, type UserProfile } from '../../users/users.repository.ts';

/** The org roles an admin can give, as the forms offer them. */
export const ORG_ROLES: readonly OrgRole[] = ['member', 'admin'];

/** How a person arrived in the org (membership.source), in the words of the Users list. */
export const ARRIVED_BY: Record<MembershipSource, string> = {
  invitation: 'Invited',
  sso: 'SSO',
  directory: 'Directory',
  api: 'API',
};

/** What "arrived by" means, for the user page. */
const ARRIVED_DETAIL: Record<MembershipSource, string> = {
  invitation: 'Accepted an invitation',
  sso: 'Signed in with single sign-on for the first time',
  directory: 'Provisioned by your directory (SCIM)',
  api: 'Added through the management API',
};

export interface MemberState {
  label: string;
  tone: 'success' | 'warning' | 'danger';
}

/** The state chip: the words say who disabled the person, since that decides who can undo it. */
export function memberState(membership: Pick<Membership, 'state' | 'disabled_by'>): MemberState {
  if (membership.state === 'active') return { label: 'Active', tone: 'success' };
  if (membership.disabled_by === 'directory') return { label: 'Disabled by the directory', tone: 'warning' };
  return { label: 'Disabled by an admin', tone: 'danger' };
}

/** A member as the console's templates show them. */
export function memberView(membership: Membership, user: UserProfile, selfId: string) {
  const name = fullName(user) ?? '';
  return {
    id: user.id,
    href: `/console/users/${encodeURIComponent(user.id)}`,
    name,
    email: user.email,
    initials: (name || user.email).split(/[\s@.]+/).filter(Boolean).slice(0, 2).map((w) => w[0]).join(''),
    role: membership.role,
    role_by_mapping: membership.role_source === 'group_mapping',
    state: memberState(membership),
    active: membership.state === 'active',
    disabled_by: membership.disabled_by,
    disabled_at: membership.disabled_at,
    arrived: ARRIVED_BY[membership.source],
    arrived_detail: ARRIVED_DETAIL[membership.source],
    joined_at: membership.created_at,
    is_self: user.id === selfId,
  };
}

export type MemberView = ReturnType<typeof memberView>;
