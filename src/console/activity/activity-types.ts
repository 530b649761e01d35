import { EVENT_TYPES, type EventType } from '../../events/catalogue.ts';

/** One event type as the activity log's filter offers it. */
export interface ActivityType {
  type: EventType;
  label: string;
}

/** A group of event types an admin asks about together ("every refused sign-in"). */
export interface ActivityCategory {
  key: string;
  label: string;
  /** The category's own choice in the filter ("All sign-ins"). */
  option: string;
  types: readonly ActivityType[];
}

const t = (type: EventType, label: string): ActivityType => ({ type, label });

/**
 * The activity log's filter: readable categories, each of single types. Every type an org's log can
 * hold is in exactly one (test/console/activity.test.ts checks it); the operator's own events (API keys,
 * clients, webhooks, Gatehouse's SP certificates) carry no org and never show in an org's log.
 */
export const ACTIVITY_CATEGORIES: readonly ActivityCategory[] = [
  {
    key: 'sign-ins',
    option: 'All sign-ins',
    label: 'Sign-ins',
    types: [t('user.signed_in', 'Signed in'), t('sso.signin_succeeded', 'Identity provider sign-in accepted')],
  },
  {
    key: 'refusals',
    option: 'All sign-in refusals',
    label: 'Sign-in refusals',
    types: [t('user.signin_failed', 'Sign-in refused by Gatehouse'), t('sso.signin_failed', 'Single sign-on answer refused')],
  },
  {
    key: 'provisioning',
    option: 'All provisioning',
    label: 'Provisioning',
    types: [
      t('user.created', 'Person created'),
      t('user.email_changed', 'Email address changed'),
      t('membership.created', 'Joined the organization'),
      t('membership.updated', 'Role changed'),
      t('membership.disabled', 'Access disabled'),
      t('membership.enabled', 'Access enabled'),
      t('site_assignment.created', 'Assigned to a site'),
      t('site_assignment.updated', 'Site role changed'),
      t('site_assignment.deleted', 'Removed from a site'),
    ],
  },
  {
    key: 'admin',
    option: 'All admin changes',
    label: 'Admin changes',
    types: [
      t('organization.created', 'Organization created'),
      t('organization.updated', 'Organization settings changed'),
      t('organization.deleted', 'Organization deleted'),
      t('domain.created', 'Domain added'),
      t('domain.verified', 'Domain verified'),
      t('domain.verification_failed', 'Domain verification failed'),
      t('domain.deleted', 'Domain removed'),
      t('it_contact.created', 'IT contact added'),
      t('it_contact.deleted', 'IT contact removed'),
      t('site.created', 'Site created'),
      t('site.updated', 'Site renamed'),
      t('site.deleted', 'Site deleted'),
      t('connection.created', 'SSO connection created'),
      t('connection.updated', 'SSO connection changed'),
      t('connection.activated', 'SSO connection activated'),
      t('connection.deactivated', 'SSO connection deactivated'),
      t('connection.deleted', 'SSO connection deleted'),
      t('connection.test_succeeded', 'SSO test sign-in succeeded'),
      t('connection.metadata_refreshed', 'IdP metadata refreshed'),
      t('connection.metadata_refresh_failed', 'IdP metadata refresh failed'),
      t('connection.certificate_added', 'IdP certificate added'),
      t('connection.certificate_removed', 'IdP certificate removed'),
      t('connection.certificate_renewed', 'IdP certificate renewed'),
      t('connection.certificate_expiring', 'IdP certificate expiring'),
      t('connection.certificate_expired', 'IdP certificate expired'),
      t('invitation.created', 'Invitation sent'),
      t('invitation.revoked', 'Invitation revoked'),
      t('invitation.accepted', 'Invitation accepted'),
      t('portal_link.created', 'Setup link created'),
      t('portal_link.sent', 'Setup link sent to a colleague'),
      t('portal_link.opened', 'Setup link opened'),
      t('portal_link.revoked', 'Setup link revoked'),
    ],
  },
  {
    key: 'directory-sync',
    option: 'All directory sync',
    label: 'Directory sync',
    types: [
      t('directory.created', 'Directory created'),
      t('directory.deleted', 'Directory deleted'),
      t('directory.token_rotated', 'Directory token rotated'),
      t('directory.group_mappings_updated', 'Group mappings changed'),
      t('dsync.user.created', 'Person provisioned'),
      t('dsync.user.updated', 'Person updated'),
      t('dsync.user.disabled', 'Person deactivated'),
      t('dsync.user.enabled', 'Person reactivated'),
      t('dsync.user.deleted', 'Person removed'),
      t('dsync.user.refused', 'Person refused'),
      t('dsync.group.created', 'Group created'),
      t('dsync.group.updated', 'Group updated'),
      t('dsync.group.deleted', 'Group deleted'),
    ],
  },
];

/** Events of the operator alone (organization_id null): no org's log shows them. */
export const OPERATOR_EVENT_TYPES: readonly EventType[] = [
  'api_key.created', 'client.created', 'client.deleted', 'webhook.created', 'webhook.deleted', 'saml_sp_key.certificate_expiring', 'saml_sp_key.certificate_expired', 'saml_sp_key.rotated',
];

/** The event types a filter value stands for: a category key, one type, or nothing (every type). */
export function typesOfFilter(value: string): { types: EventType[] | undefined; known: boolean } {
  if (!value) return { types: undefined, known: true };
  const category = ACTIVITY_CATEGORIES.find((c) => c.key === value);
  if (category) return { types: category.types.map((x) => x.type), known: true };
  if ((EVENT_TYPES as readonly string[]).includes(value)) return { types: [value as EventType], known: true };
  return { types: undefined, known: false };
}

/** The category an event type is in (undefined for operator events). */
export function categoryOf(type: string): ActivityCategory | undefined {
  return ACTIVITY_CATEGORIES.find((c) => c.types.some((x) => x.type === type));
}
