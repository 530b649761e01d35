import { findProvider, providers, type FieldNames, type OidcDefaults, type Protocol, type Provider } from './providers.ts';
import { emailAddress } from '../http/validate.ts';

/** A connection's own attribute (SAML) or claim (OIDC) names, one per field, tried before the provider's defaults. */
export type AttributeMapping = { email?: string; firstName?: string; lastName?: string; groups?: string };

/** Gatehouse's one profile shape, whatever the IdP and protocol. */
export interface Profile {
  /** The IdP's identifier for the person: the SAML NameID or the OIDC `sub` (`oid` for Entra ID). */
  subject: string;
  email: string;
  /** False only when the IdP said the email is unverified and the connection accepts it anyway (`trustEmails`). */
  emailVerified: boolean;
  firstName: string | null;
  lastName: string | null;
  /**
   * The groups the IdP says the person is in, or null when it sent no groups attribute (claim) at all.
   * The two differ: an empty list means "in no group", so group mappings undo what they gave; null
   * means the IdP does not tell, so they are left alone (DESIGN.md Data rules, Group mappings).
   */
  groups: string[] | null;
}

export type ProfileRefusal = 'email_missing' | 'email_invalid' | 'email_unverified' | 'subject_missing';

export type ProfileResult = { ok: true; profile: Profile } | { ok: false; reason: ProfileRefusal };

export interface SamlProfileInput {
  nameId: string;
  nameIdFormat?: string;
  /** Attribute values from the verified assertion only (DESIGN.md Security rules), by attribute Name. */
  attributes: Record<string, string[]>;
}

const NAMEID_EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

// The same rule as the sign-in page and the API: an address Gatehouse would refuse there must not
// arrive through SSO. zod's email pattern allows exactly one @, no spaces or control characters, and
// an ASCII dotted domain, so leftovers such as `a@b.test<!---->.evil` are refused whatever produced them.
const emailSchema = emailAddress();

/**
 * Turns what a SAML IdP asserted into a profile. Each field is read from the connection's own
 * attribute, else the provider's defaults, else the generic SAML names (IDP-GUIDES.md "Generic SAML
 * 2.0 IdP"); within each of these, names are matched exactly first and then case-insensitively.
 */
export function mapSamlProfile(input: SamlProfileInput, provider: string, custom?: AttributeMapping): ProfileResult {
  const tiers = nameTiers(provider, 'saml', custom);
  // SAML core §8.3: a NameID is an opaque identifier compared as is; only an empty one is missing
  // (AD FS sends none until a claim rule issues it: IDP-GUIDES.md "AD FS").
  const subject = input.nameId;
  if (subject.trim() === '') return { ok: false, reason: 'subject_missing' };

  const attributes = new AttributeLookup(input.attributes);
  const read = (field: keyof FieldNames) => attributes.find(tiers.map((tier) => tier[field]));
  const emailValue = read('email')?.[0] ?? nameIdEmail(input);
  if (emailValue === undefined) return { ok: false, reason: 'email_missing' };
  const email = emailSchema.safeParse(emailValue);
  if (!email.success) return { ok: false, reason: 'email_invalid' };

  return {
    ok: true,
    profile: {
      subject,
      email: email.data,
      // SAML has no verified flag: the address comes from a signed assertion of the IdP the org's admin
      // connected, and is accepted only on that org's verified domains (DESIGN.md Data rules).
      emailVerified: true,
      firstName: read('firstName')?.[0] ?? null,
      lastName: read('lastName')?.[0] ?? null,
      groups: samlGroups(attributes, tiers.map((tier) => tier.groups)),
    },
  };
}

/**
 * Turns verified OIDC claims (ID token, completed from userinfo) into a profile. Claim names are
 * matched exactly: JSON member names are case-sensitive (RFC 7519 §4).
 */
export function mapOidcProfile(
  claims: Record<string, unknown>,
  provider: string,
  custom?: AttributeMapping & { trustEmails?: boolean },
): ProfileResult {
  const entry = providerFor(provider, 'oidc');
  const tiers = nameTiers(provider, 'oidc', custom);
  const names = (field: keyof FieldNames) => tiers.flatMap((tier) => tier[field]);

  // Entra's `sub` is pairwise per application and Microsoft says to key users on `oid` (the user's
  // object id, fixed for the life of the account); the connection pins one tenant's issuer, so `oid`
  // alone is unique within it (IDP-GUIDES.md "Microsoft Entra ID" > "OIDC: app registration").
  const subject = (entry.key === 'entra' ? identifier(claims.oid) : undefined) ?? identifier(claims.sub);
  if (subject === undefined) return { ok: false, reason: 'subject_missing' };

  const emailClaim = names('email').find((name) => present(claims[name]));
  if (emailClaim === undefined) return { ok: false, reason: 'email_missing' };
  const email = emailSchema.safeParse(claims[emailClaim]);
  if (!email.success) return { ok: false, reason: 'email_invalid' };

  // OpenID Connect Core §5.1: `email_verified` speaks for the `email` claim only. An address read from
  // another claim (`preferred_username`, `upn`, a custom one) is judged as if the flag were absent.
  const asserted = emailClaim === 'email' ? booleanClaim(claims.email_verified) : undefined;
  // Absent flag: the connection's `trustEmails` if set, else the provider's default (Entra never sends
  // the flag: IDP-GUIDES.md cross-cutting fact 9). `trustEmails: true` also admits an address the IdP
  // calls unverified (Keycloak's admin-created users): Gatehouse only signs in emails on the org's
  // verified domains, and links identities by subject, never by email (DESIGN.md Security rules).
  const trusted = custom?.trustEmails ?? (entry.oidc as OidcDefaults).emailVerifiedTrusted;
  if (asserted === false ? custom?.trustEmails !== true : asserted === undefined && !trusted) {
    return { ok: false, reason: 'email_unverified' };
  }

  // A claim sent as an empty array is present (the person is in no group); a missing or null one is not.
  const groupsClaim = names('groups').map((name) => claims[name]).find(present);
  return {
    ok: true,
    profile: {
      subject,
      email: email.data,
      emailVerified: asserted ?? true,
      firstName: firstString(claims, names('firstName')),
      lastName: firstString(claims, names('lastName')),
      groups: groupsClaim === undefined ? null : groupValues(Array.isArray(groupsClaim) ? groupsClaim : [groupsClaim]),
    },
  };
}

/** The provider's catalogue entry, which must offer the protocol: anything else is a bug in the caller. */
function providerFor(key: string, protocol: Protocol): Provider {
  const entry = findProvider(key);
  if (!entry) throw new Error(`Unknown identity provider "${key}".`);
  if (!entry.protocols.includes(protocol)) throw new Error(`Identity provider "${key}" has no ${protocol} defaults.`);
  return entry;
}

/**
 * The names to try per field, in tiers that each beat the next: the connection's own name, the
 * provider's defaults, then (SAML only) the generic names.
 */
function nameTiers(key: string, protocol: Protocol, custom: AttributeMapping | undefined): FieldNames[] {
  const own = providerFor(key, protocol)[protocol] as FieldNames;
  const only = (name: string | undefined) => (name ? [name] : []);
  const tiers: FieldNames[] = [
    { email: only(custom?.email), firstName: only(custom?.firstName), lastName: only(custom?.lastName), groups: only(custom?.groups) },
    own,
  ];
  if (protocol === 'saml' && key !== 'generic-saml') tiers.push(providers['generic-saml'].saml as FieldNames);
  return tiers;
}

/** SAML attributes by name. */
class AttributeLookup {
  readonly #exact = new Map<string, string[]>();
  readonly #folded = new Map<string, string[]>();
  /** Every name sent, values or not, case-folded. */
  readonly #sent = new Set<string>();

  constructor(attributes: Record<string, string[]>) {
    for (const [name, values] of Object.entries(attributes)) {
      this.#sent.add(name.toLowerCase());
      const usable = values.map((value) => value.trim()).filter((value) => value !== '');
      // An attribute sent without a value is treated as not sent, so the next name gets its turn.
      if (usable.length === 0) continue;
      this.#exact.set(name, usable);
      // Case-insensitive fallback: the first of several spellings, in assertion order.
      if (!this.#folded.has(name.toLowerCase())) this.#folded.set(name.toLowerCase(), usable);
    }
  }

  /**
   * The values of the first attribute present, tier by tier; within a tier every name is tried
   * exactly before any case-insensitively, so an exact later name beats a case-folded earlier one.
   */
  find(tiers: readonly (readonly string[])[]): string[] | undefined {
    for (const names of tiers) {
      for (const name of names) {
        const values = this.#exact.get(name);
        if (values) return values;
      }
      for (const name of names) {
        const values = this.#folded.get(name.toLowerCase());
        if (values) return values;
      }
    }
    return undefined;
  }

  /** Whether any of the names was sent at all, even without a value (case-insensitively, as find falls back to). */
  sent(tiers: readonly (readonly string[])[]): boolean {
    return tiers.some((names) => names.some((name) => this.#sent.has(name.toLowerCase())));
  }
}

/**
 * The SAML groups: the values of the first groups attribute with any; an empty list when a groups
 * attribute came without values (SAML core §2.7.3.1 allows an Attribute with no AttributeValue: the
 * person is in no group); null when no groups attribute came at all.
 */
function samlGroups(attributes: AttributeLookup, tiers: readonly (readonly string[])[]): string[] | null {
  const values = attributes.find(tiers);
  if (values) return groupValues(values);
  return attributes.sent(tiers) ? [] : null;
}

/**
 * IDP-GUIDES.md cross-cutting fact 3: the NameID is the fallback, used when its format says it is an
 * email or it looks like one (Okta and Google send an email-shaped NameID as Unspecified).
 */
function nameIdEmail({ nameId, nameIdFormat }: SamlProfileInput): string | undefined {
  return nameIdFormat === NAMEID_EMAIL || nameId.includes('@') ? nameId : undefined;
}

/** Group names as sent, one per value: a comma belongs to the name (LDAP DNs), never splits it. */
function groupValues(values: readonly unknown[]): string[] {
  const names = values.filter((value): value is string => typeof value === 'string').map((value) => value.trim());
  return [...new Set(names.filter((name) => name !== ''))];
}

function present(value: unknown): boolean {
  return typeof value === 'string' ? value.trim() !== '' : value !== undefined && value !== null;
}

function firstString(claims: Record<string, unknown>, names: readonly string[]): string | null {
  for (const name of names) {
    const value = claims[name];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return null;
}

/** An identifier claim as sent (compared exactly, never trimmed), or undefined when absent or blank. */
function identifier(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** A boolean claim, or the strings "true"/"false" some IdPs send; anything else counts as absent. */
function booleanClaim(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const folded = value.trim().toLowerCase();
    if (folded === 'true') return true;
    if (folded === 'false') return false;
  }
  return undefined;
}
