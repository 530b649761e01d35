import type { ScimUser } from '../db/schema.ts';
import { ENTERPRISE_SCHEMA, USER_SCHEMA } from './discovery.ts';
import { ScimError } from './scim.errors.ts';

export interface EmailInput {
  value: string;
  type: string | null;
  primary: boolean;
}

/** What Gatehouse reads from a SCIM User; everything else stays in `raw`, untouched and returned. */
export interface UserInput {
  userName: string;
  externalId: string | null;
  active: boolean;
  givenName: string | null;
  familyName: string | null;
  displayName: string | null;
  emails: EmailInput[];
  /** The person's email: the primary one, else the work one, else the first, else an email-shaped userName. */
  email: string;
  /** Group ids sent inside the user (some Okta setups); undefined when the attribute was not sent. */
  groups: string[] | undefined;
  raw: Record<string, unknown>;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Entra sends booleans as "True"/"False" strings. */
export function scimBoolean(value: unknown, field: string, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw new ScimError(400, `${field} must be a boolean (got ${JSON.stringify(value)}).`, 'invalidValue');
}

const str = (value: unknown, field: string, max = 1000): string | null => {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw new ScimError(400, `${field} must be a string.`, 'invalidValue');
  if (value.length > max) throw new ScimError(400, `${field} is longer than ${max} characters.`, 'invalidValue');
  return value;
};

/** Case-insensitive attribute lookup (RFC 7643 §2.1: attribute names are case-insensitive). */
export function pick(obj: Record<string, unknown>, name: string): unknown {
  if (name in obj) return obj[name];
  const key = Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : obj[key];
}

export function parseUserInput(body: unknown): UserInput {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ScimError(400, 'The request body must be a SCIM User object.', 'invalidSyntax');
  const doc = body as Record<string, unknown>;
  const userName = str(pick(doc, 'userName'), 'userName', 300)?.trim();
  if (!userName) throw new ScimError(400, 'userName is required.', 'invalidValue');
  const name = (pick(doc, 'name') ?? {}) as Record<string, unknown>;
  if (typeof name !== 'object' || Array.isArray(name)) throw new ScimError(400, 'name must be an object.', 'invalidValue');
  const rawEmails = pick(doc, 'emails') ?? [];
  if (!Array.isArray(rawEmails)) throw new ScimError(400, 'emails must be an array.', 'invalidValue');
  const emails: EmailInput[] = rawEmails.map((e, i) => {
    if (!e || typeof e !== 'object') throw new ScimError(400, `emails[${i}] must be an object.`, 'invalidValue');
    const value = str(pick(e as Record<string, unknown>, 'value'), `emails[${i}].value`, 254)?.trim();
    if (!value || !EMAIL.test(value)) throw new ScimError(400, `emails[${i}].value must be an email address.`, 'invalidValue');
    return { value, type: str(pick(e as Record<string, unknown>, 'type'), `emails[${i}].type`, 50), primary: scimBoolean(pick(e as Record<string, unknown>, 'primary'), `emails[${i}].primary`, false) };
  });
  const email = (emails.find((e) => e.primary) ?? emails.find((e) => e.type === 'work') ?? emails[0])?.value ?? (EMAIL.test(userName) ? userName : undefined);
  if (!email) throw new ScimError(400, 'A user needs an email address: send emails, or an email address as userName.', 'invalidValue');
  const groupsRaw = pick(doc, 'groups');
  const groups = Array.isArray(groupsRaw)
    ? groupsRaw.map((g) => (typeof g === 'string' ? g : String(pick((g ?? {}) as Record<string, unknown>, 'value') ?? ''))).filter(Boolean)
    : undefined;
  // Kept as sent, minus what must never be stored or is the server's to set.
  const raw = Object.fromEntries(Object.entries(doc).filter(([k]) => !['password', 'id', 'meta', 'groups'].includes(k.toLowerCase())));
  return {
    userName,
    externalId: str(pick(doc, 'externalId'), 'externalId', 300),
    active: scimBoolean(pick(doc, 'active'), 'active', true),
    givenName: str(pick(name, 'givenName'), 'name.givenName', 200),
    familyName: str(pick(name, 'familyName'), 'name.familyName', 200),
    displayName: str(pick(doc, 'displayName'), 'displayName', 300),
    emails,
    email: email.toLowerCase(),
    groups,
    raw,
  };
}

export interface GroupRef {
  id: string;
  display_name: string;
}

/** The SCIM representation: the stored document with Gatehouse's authoritative values over it. */
export function toScimUser(row: ScimUser, groups: GroupRef[], scimBase: string): Record<string, unknown> {
  const raw = JSON.parse(row.raw) as Record<string, unknown>;
  const schemas = new Set<string>([USER_SCHEMA, ...((raw.schemas as string[] | undefined) ?? [])]);
  if (Object.keys(raw).some((k) => k === ENTERPRISE_SCHEMA)) schemas.add(ENTERPRISE_SCHEMA);
  return {
    ...raw,
    schemas: [...schemas],
    id: row.id,
    userName: row.user_name,
    ...(row.external_id ? { externalId: row.external_id } : {}),
    active: row.active === 1,
    groups: groups.map((g) => ({ value: g.id, display: g.display_name, $ref: `${scimBase}/Groups/${g.id}` })),
    meta: { resourceType: 'User', created: row.created_at, lastModified: row.updated_at, location: `${scimBase}/Users/${row.id}`, version: `W/"${row.version}"` },
  };
}
