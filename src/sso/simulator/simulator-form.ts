import { AppError } from '../../http/errors.ts';
import { emailAddress } from '../../http/validate.ts';
import { emailDomain } from '../../orgs/domain-name.ts';
import type { SimulatorTarget } from './simulator-connection.ts';

/**
 * The simulator page's form: the pending request it answers (hidden fields: not secrets, since the ACS
 * checks InResponseTo and RelayState against its own store) and the person the tester types in.
 */

export interface PendingRequest {
  connectionId: string;
  /** The AuthnRequest's ID; null when the sign-in starts at the simulator (IdP-initiated). */
  requestId: string | null;
  relayState: string | null;
  acsUrl: string;
}

export interface Person {
  email: string;
  firstName: string | null;
  lastName: string | null;
  groups: string[];
}

/** What the form shows again after an error: the values as typed. */
export type PersonValues = Record<'email' | 'first_name' | 'last_name' | 'groups', string>;

export type PersonResult = { ok: true; person: Person } | { ok: false; values: PersonValues; errors: Partial<PersonValues> };

const MAX_NAME = 100;
const MAX_GROUPS = 50;
const MAX_GROUP = 200;
/** saml-bindings §3.4.3 and §3.5.3: a RelayState is at most 80 bytes. */
const MAX_RELAY_STATE_BYTES = 80;
// Control characters, lone surrogates and U+FFFE/U+FFFF: XML 1.0 cannot carry most of them (§2.2), and none
// has a place in a name.
const CONTROL = /[\p{Cc}\p{Cs}\uFFFE\uFFFF]/u;
const email = emailAddress();

const field = (body: Record<string, unknown>, name: string): string => (typeof body[name] === 'string' ? (body[name] as string) : '');

const refused = (what: string) => new AppError(400, 'bad_pending_request', `This sign-in request has ${what}. Start the sign-in again from the application.`);

/** The hidden fields, checked again: shape here, the connection and its ACS by the caller (checkAcsUrl). */
export function readPendingRequest(body: Record<string, unknown>): PendingRequest {
  const requestId = field(body, 'request_id');
  const relayState = field(body, 'relay_state');
  if (requestId !== '' && !/^[A-Za-z_][A-Za-z0-9_.-]{0,255}$/.test(requestId)) throw refused('a request ID that is not an xs:ID');
  if (Buffer.byteLength(relayState) > MAX_RELAY_STATE_BYTES || CONTROL.test(relayState)) throw refused('a RelayState longer than 80 bytes or with control characters');
  return { connectionId: field(body, 'connection_id'), requestId: requestId || null, relayState: relayState || null, acsUrl: field(body, 'acs_url') };
}

/** The simulator answers only at the connection's own ACS, whatever a request or a form names. */
export function checkAcsUrl(target: SimulatorTarget, acsUrl: string | undefined): string {
  if (acsUrl !== undefined && acsUrl !== target.sp.acsUrl) {
    throw new AppError(400, 'acs_url_mismatch', `The request asks for an answer at ${acsUrl.slice(0, 200)}, which is not the ACS of the connection "${target.connection.name}" (${target.sp.acsUrl}). The simulator does not send it there.`);
  }
  return target.sp.acsUrl;
}

/** The person typed in: an email on one of the org's verified domains, optional names and groups. */
export function readPerson(body: Record<string, unknown>, domains: readonly string[]): PersonResult {
  const values: PersonValues = { email: field(body, 'email').trim(), first_name: field(body, 'first_name').trim(), last_name: field(body, 'last_name').trim(), groups: field(body, 'groups') };
  const errors: Partial<PersonValues> = {};

  const parsed = email.safeParse(values.email);
  const onDomains = domains.length === 1 ? `@${domains[0]}` : `on ${domains.map((d) => `@${d}`).join(', ')}`;
  if (values.email === '') errors.email = 'Enter an email address.';
  else if (!parsed.success) errors.email = 'Enter an email address such as ada@example.com.';
  else if (domains.length === 0) errors.email = 'The organization has no verified domain yet: verify one, then sign in with an address on it.';
  else if (!domains.includes(emailDomain(parsed.data))) errors.email = `Use an address ${onDomains}: the organization's verified domain${domains.length === 1 ? '' : 's'}.`;

  for (const [name, label] of [['first_name', 'first name'], ['last_name', 'last name']] as const) {
    if (values[name].length > MAX_NAME) errors[name] = `The ${label} is longer than ${MAX_NAME} characters.`;
    else if (CONTROL.test(values[name])) errors[name] = `The ${label} contains a control character.`;
  }

  const groups = [...new Set(values.groups.split(',').map((g) => g.trim()).filter((g) => g !== ''))];
  if (groups.length > MAX_GROUPS) errors.groups = `At most ${MAX_GROUPS} groups.`;
  else if (groups.some((g) => g.length > MAX_GROUP)) errors.groups = `A group name is at most ${MAX_GROUP} characters.`;
  else if (groups.some((g) => CONTROL.test(g))) errors.groups = 'A group name contains a control character.';

  if (Object.keys(errors).length > 0 || !parsed.success) return { ok: false, values, errors };
  return { ok: true, person: { email: parsed.data, firstName: values.first_name || null, lastName: values.last_name || null, groups } };
}
