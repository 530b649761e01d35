import type { ActivityEvent } from '../../events/activity.ts';
import { CONSOLE_CLIENT_ID } from '../../provider/clients.service.ts';
import { formatDate } from '../../http/time-format.ts';
import type { ActivityNames } from './activity-names.ts';
import { categoryOf } from './activity-types.ts';
import { actorLabel, byPhrase, eventDetails } from './event-actor.ts';
import { signInRefusalReason, ssoRefusalReason } from './refusal-reasons.ts';

export type Tone = 'success' | 'info' | 'warning' | 'danger';

/** One event as the activity log shows it: a sentence, who did it, and every recorded detail. */
export interface ActivityLine {
  id: string;
  type: string;
  category: string | null;
  text: string;
  tone: Tone;
  actor: string;
  created_at: string;
  details: Array<{ label: string; value: string }>;
}

const INTENTS: Record<string, string> = { sso: 'single sign-on', dsync: 'directory sync', domain_verification: 'domain verification', certificate_renewal: 'certificate renewal' };
const SETTINGS: Record<string, [on: string, off: string]> = {
  sso_entitled: ['single sign-on added to the plan', 'single sign-on removed from the plan'],
  auto_provision: ['automatic provisioning turned on', 'automatic provisioning turned off'],
  enforce_sso: ['single sign-on required (password sign-in off)', 'password sign-in allowed again'],
};
const DSYNC_REFUSALS: Record<string, string> = {
  email_outside_organization_domains: 'the email address is on a domain another organization has verified',
  email_shared_with_other_organizations: 'the person also belongs to another organization, so the directory may not change their email',
};

/** A date from the event's data, or words when it is missing (never a thrown RangeError on a page). */
const day = (value: unknown) => (typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? formatDate(value) : 'an unknown date');
const str = (value: unknown, fallback = '') => (typeof value === 'string' && value ? value : typeof value === 'number' ? String(value) : fallback);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const possessive = (name: string) => `${name}’s`;
const quoted = (name: string) => `“${name}”`;

/** Puts an event of this org into words. `organizationName` fills the few reasons that name the org. */
export function describeEvent(event: ActivityEvent, names: ActivityNames, organizationName: string): ActivityLine {
  const d = event.data;
  const who = (key = 'user_id') => names.users.get(str(d[key]))?.name ?? (str(d.email) || str(d.user_name) || 'a person no longer in Gatehouse');
  const site = () => quoted(names.sites.get(str(d.site_id)) ?? (str(d.name) || 'a deleted site'));
  const conn = () => {
    const c = names.connections.get(str(d.connection_id));
    if (!c) return 'a deleted connection';
    // "Okta SAML" says the provider already; a name of the admin's own ("Staff login") gets it added.
    return c.name && !c.name.startsWith(c.provider) ? `${c.name} (${c.provider})` : c.name || c.provider;
  };
  const sso = () => {
    const c = names.connections.get(str(d.connection_id));
    return c ? `SSO (${c.provider})` : 'SSO';
  };
  const dir = (id = str(d.directory_id)) => {
    const found = names.directories.get(id);
    return found ? `the ${found.name === found.provider ? found.provider : `${found.name} (${found.provider})`} directory` : 'a deleted directory';
  };
  const client = () => (str(d.client_id) === CONSOLE_CLIENT_ID ? 'the Gatehouse console' : names.clients.get(str(d.client_id)) ?? str(d.client_id, 'an application'));
  const actor = actorLabel(event, names);
  const by = byPhrase(event, names);
  const role = str(d.role);

  const line = (text: string, tone: Tone = 'info'): ActivityLine => ({
    id: event.id,
    type: event.type,
    category: categoryOf(event.type)?.label ?? null,
    text,
    tone,
    actor,
    created_at: event.created_at,
    details: eventDetails(event, names),
  });

  switch (event.type) {
    case 'organization.created': return line(`Organization ${quoted(str(d.name))} created${by}`, 'success');
    case 'organization.updated': {
      const changes = Object.entries((d.changes ?? {}) as Record<string, unknown>).map(([key, value]) =>
        key === 'name' ? `renamed to ${quoted(str(value))}` : SETTINGS[key]?.[value ? 0 : 1] ?? `${key.replace(/_/g, ' ')} set to ${String(value)}`);
      return line(`Organization settings changed${by}: ${changes.join(', ') || 'no visible change'}`);
    }
    case 'organization.deleted': return line(`Organization ${quoted(str(d.name))} deleted${by}`, 'danger');
    case 'domain.created': return line(`Domain ${str(d.domain)} added${by}`);
    case 'domain.verified': return line(d.method === 'manual' ? `Domain ${str(d.domain)} verified manually${by}` : `Domain ${str(d.domain)} verified by its DNS TXT record`, 'success');
    case 'domain.verification_failed': return line(`Domain ${str(d.domain)} could not be verified: ${str(d.reason, 'no reason given')}`, 'warning');
    case 'domain.deleted': return line(`Domain ${str(d.domain)} removed${by}`, 'warning');
    case 'it_contact.created': return line(`${str(d.email)} added as an IT contact${by}`);
    case 'it_contact.deleted': return line(`${str(d.email)} removed from the IT contacts${by}`, 'warning');
    case 'site.created': return line(`Site ${quoted(str(d.name))} created${by}`, 'success');
    // Events from before previous_name was recorded name only the new name.
    case 'site.updated': return line(d.previous_name ? `Site ${quoted(str(d.previous_name))} renamed to ${quoted(str(d.name))}${by}` : `Site renamed to ${quoted(str(d.name))}${by}`);
    case 'site.deleted': return line(`Site ${quoted(str(d.name))} deleted${by}, with everyone’s assignment to it`, 'warning');
    case 'user.created': return line(`Account created for ${who()} (${str(d.email)})`, 'success');
    case 'user.email_changed': return line(`${possessive(who())} email address changed from ${str(d.previous_email)} to ${str(d.email)}${by}`);
    case 'membership.created': {
      const how: Record<string, string> = {
        invitation: 'by accepting an invitation',
        sso: 'at their first single sign-on (just in time)',
        directory: 'through directory sync',
        api: 'through the management API',
      };
      return line(`${who()} joined the organization as ${role} ${how[str(d.source)] ?? ''}`.trim(), 'success');
    }
    case 'membership.updated': return line(`${possessive(who())} role changed from ${str(d.previous_role)} to ${role}${by}`);
    case 'membership.disabled':
      return line(d.disabled_by === 'directory' ? `${possessive(who())} access was disabled by directory sync (deprovisioned)` : `${possessive(who())} access was disabled${by}`, 'warning');
    case 'membership.enabled': return line(`${possessive(who())} access was enabled again${by}`, 'success');
    case 'site_assignment.created': return line(`${who()} assigned to ${site()} as ${role}${by}`);
    case 'site_assignment.updated': return line(`${possessive(who())} role at ${site()} changed from ${str(d.previous_role)} to ${role}${by}`);
    case 'site_assignment.deleted': return line(`${who()} removed from ${site()}${by}`);
    case 'invitation.created': return line(`${str(d.email)} invited as ${role}${by}`);
    case 'invitation.revoked': return line(`Invitation of ${str(d.email)} revoked${by}`, 'warning');
    case 'invitation.accepted': return line(`${who()} accepted the invitation sent to ${str(d.email)}`, 'success');
    case 'api_key.created': return line(`API key ${quoted(str(d.name))} created`);
    case 'client.created': return line(`Application ${quoted(str(d.name))} registered`);
    case 'client.deleted': return line(`Application ${quoted(str(d.name))} removed`, 'warning');
    case 'webhook.created': return line(`Webhook to ${str(d.url)} added`);
    case 'webhook.deleted': return line(`Webhook to ${str(d.url)} removed`, 'warning');
    case 'user.signed_in': {
      const method = str(d.method);
      const how = method === 'sso' ? `with ${sso()}` : method.split(',').includes('pwd') ? 'with a password' : `(${method || 'unknown method'})`;
      return line(`${who()} signed in ${how} to ${client()}`, 'success');
    }
    case 'user.signin_failed': {
      const person = names.users.get(str(d.user_id))?.name ?? str(d.email);
      return line(`Sign-in refused${person ? ` for ${person}` : ''}: ${signInRefusalReason(str(d.reason))}`, 'danger');
    }
    case 'sso.signin_failed': {
      const person = names.users.get(str(d.user_id))?.name ?? str(d.email);
      return line(`Sign-in refused${person ? ` for ${person}` : ''} through ${sso()}: ${ssoRefusalReason(str(d.reason), organizationName)}`, 'danger');
    }
    case 'sso.signin_succeeded':
      return line(`${sso()} accepted the sign-in of ${who()}${d.user_created ? '; their account was created just in time' : ''}`, 'success');
    case 'directory.created': return line(`Directory sync set up: ${dir()}${by}`, 'success');
    case 'directory.deleted': return line(`A directory was deleted${by}`, 'warning');
    case 'directory.token_rotated': return line(`The SCIM token of ${dir()} was replaced${by}`);
    case 'directory.group_mappings_updated': return line(`Group mappings of ${dir()} changed${by} (${plural(Number(d.mappings ?? 0), 'mapping')} now)`);
    case 'dsync.user.created': return line(`${who()} provisioned by ${dir()}`, 'success');
    case 'dsync.user.updated': return line(`${who()} updated by ${dir()}`);
    case 'dsync.user.disabled': return line(`${who()} deactivated by ${dir()}`, 'warning');
    case 'dsync.user.enabled': return line(`${who()} reactivated by ${dir()}`, 'success');
    case 'dsync.user.deleted': return line(`${who()} removed by ${dir()}`, 'warning');
    case 'dsync.user.refused': {
      const reason = DSYNC_REFUSALS[str(d.reason)] ?? str(d.reason, 'no reason given').replace(/_/g, ' ');
      return line(`Directory sync refused ${str(d.user_name, 'a person')}: ${reason}`, 'danger');
    }
    case 'dsync.group.created': return line(`Group ${quoted(str(d.display_name))} created by ${dir()}`);
    case 'dsync.group.updated': {
      const changes = [Number(d.members_added) ? `${d.members_added} added` : '', Number(d.members_removed) ? `${d.members_removed} removed` : ''].filter(Boolean).join(', ');
      return line(`Group ${quoted(str(d.display_name))} updated by ${dir()}${changes ? ` (${changes})` : ''}`);
    }
    case 'dsync.group.deleted': return line(`Group ${quoted(str(d.display_name))} deleted by ${dir()}`, 'warning');
    case 'connection.created': return line(`${str(d.type).toUpperCase()} connection ${conn()} created${by}`);
    case 'connection.updated': {
      const fields = Array.isArray(d.fields) ? d.fields.map((f) => String(f).replace(/_/g, ' ')).join(', ') : '';
      return line(`SSO connection ${conn()} changed${by}${fields ? `: ${fields}` : ''}`);
    }
    case 'connection.activated': return line(`SSO connection ${conn()} activated${by}`, 'success');
    case 'connection.test_succeeded': return line(`Test sign-in through ${conn()} succeeded (${str(d.email)})`, 'success');
    case 'connection.deactivated': return line(`SSO connection ${conn()} deactivated${by}`, 'warning');
    case 'connection.deleted': return line(`${str(d.type).toUpperCase()} connection deleted${by}`, 'warning');
    case 'connection.metadata_refreshed':
      return line(`Identity provider metadata of ${conn()} refreshed: ${plural(Number(d.certificates_added ?? 0), 'certificate')} added, ${Number(d.certificates_removed ?? 0)} removed`);
    case 'connection.metadata_refresh_failed': return line(`Identity provider metadata of ${conn()} could not be refreshed: ${str(d.message, str(d.reason))}`, 'warning');
    case 'connection.certificate_expiring': {
      const days = Number(d.days_until_expiry ?? 0);
      return line(`The signing certificate of ${conn()} expires in ${plural(days, 'day')}, on ${day(d.not_after)}${d.newer_certificate ? '; a newer one is already in place' : ''}`, 'warning');
    }
    case 'connection.certificate_expired': return line(`The signing certificate of ${conn()} expired on ${day(d.not_after)}`, 'danger');
    case 'connection.certificate_renewed': return line(`${conn()} has a new signing certificate, valid until ${day(d.not_after)}`, 'success');
    case 'connection.certificate_added': return line(`Signing certificate added to ${conn()}${by}, valid until ${day(d.not_after)}`);
    case 'connection.certificate_removed': return line(`Signing certificate removed from ${conn()}${by} (it was valid until ${day(d.not_after)})`);
    case 'saml_sp_key.certificate_expiring': return line(`Gatehouse’s SAML ${str(d.use)} certificate expires in ${plural(Number(d.days_until_expiry ?? 0), 'day')}`, 'warning');
    case 'saml_sp_key.certificate_expired': return line(`Gatehouse’s SAML ${str(d.use)} certificate expired`, 'danger');
    case 'saml_sp_key.rotated': return line('Gatehouse’s SAML keys rotated');
    case 'portal_link.created': return line(`Setup link for ${intent(d)} created${by}`);
    case 'portal_link.revoked': return line(`Setup link for ${intent(d)} revoked${by}`, 'warning');
    case 'portal_link.opened': return line(`Setup link for ${intent(d)} opened`);
    case 'portal_link.sent': return line(`Setup link for ${intent(d)} sent to ${str(d.email)} from the setup wizard`);
    default: return line(`${event.type} event${by}`);
  }
}

const intent = (d: Record<string, unknown>) => INTENTS[str(d.intent)] ?? str(d.intent, 'setup');
