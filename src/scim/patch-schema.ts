// The attributes PATCH knows the shape of (RFC 7643 §4), and how values are read, compared by identity and normalized against them.
import { ScimPatchError } from './patch.errors.ts';

export type Obj = Record<string, unknown>;

// ---- The attributes whose shape matters to PATCH (RFC 7643 §4) --------------------------------------

export interface AttrDef {
  name: string;
  multiValued?: boolean;
  boolean?: boolean;
  caseExact?: boolean;
  readOnly?: boolean;
  required?: boolean;
  sub?: AttrDef[];
}

const a = (name: string, extra: Omit<AttrDef, 'name'> = {}): AttrDef => ({ name, ...extra });
const multi = (name: string, sub: AttrDef[] = MULTI_SUB, extra: Omit<AttrDef, 'name'> = {}): AttrDef => ({ name, multiValued: true, sub, ...extra });
const MULTI_SUB = [a('value'), a('display'), a('type'), a('primary', { boolean: true }), a('$ref', { caseExact: true })];
export const COMMON = [a('id', { readOnly: true }), a('schemas', { readOnly: true }), a('meta', { readOnly: true }), a('externalId', { caseExact: true })];

export const SCHEMAS: Record<string, AttrDef[]> = {
  'urn:ietf:params:scim:schemas:core:2.0:user': [
    ...COMMON,
    a('userName', { required: true }),
    a('name', { sub: ['formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix'].map((n) => a(n)) }),
    ...['displayName', 'nickName', 'profileUrl', 'title', 'userType', 'preferredLanguage', 'locale', 'timezone', 'password'].map((n) => a(n)),
    a('active', { boolean: true }),
    ...['emails', 'phoneNumbers', 'ims', 'photos', 'entitlements', 'roles', 'x509Certificates'].map((n) => multi(n)),
    multi('addresses', [
      ...['formatted', 'streetAddress', 'locality', 'region', 'postalCode', 'country', 'type'].map((n) => a(n)),
      a('primary', { boolean: true }),
    ]),
    // RFC 7643 §4.1.2: group membership is read-only on the User, it changes through /Groups.
    multi('groups', MULTI_SUB, { readOnly: true }),
  ],
  'urn:ietf:params:scim:schemas:core:2.0:group': [
    ...COMMON,
    a('displayName', { required: true }),
    // Member values are resource ids, compared exactly.
    multi('members', [a('value', { caseExact: true }), a('$ref', { caseExact: true }), a('display'), a('type')]),
  ],
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:user': [
    ...['employeeNumber', 'costCenter', 'organization', 'division', 'department'].map((n) => a(n)),
    a('manager', { sub: [a('value', { caseExact: true }), a('$ref', { caseExact: true }), a('displayName')] }),
  ],
};

export const findDef = (defs: AttrDef[] | undefined, name: string) => {
  const lower = name.toLowerCase();
  return defs?.find((d) => d.name.toLowerCase() === lower);
};

export interface Schema {
  uri: string;
  defs: AttrDef[] | undefined;
  core: boolean;
}

// ---- Values -----------------------------------------------------------------------------------------

export const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Own properties only: `constructor` or `toString` in a path must not reach Object.prototype. */
export const own = (obj: Obj, key: string): unknown => (Object.hasOwn(obj, key) ? obj[key] : undefined);

/** RFC 7643 §2.1: attribute names are case-insensitive; the spelling already in the document is kept. */
export function keyOf(obj: Obj, name: string): string | undefined {
  if (Object.hasOwn(obj, name)) return name;
  const lower = name.toLowerCase();
  return Object.keys(obj).find((k) => k.toLowerCase() === lower);
}

export function read(element: unknown, name: string): unknown {
  if (!isObject(element)) return undefined;
  const key = keyOf(element, name);
  return key === undefined ? undefined : element[key];
}

export function parseBoolean(s: string): boolean | undefined {
  const lower = s.toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : undefined;
}

/** One value of an attribute, with Entra's "True"/"False" strings made booleans and known keys canonical. */
export function normalize(value: unknown, def: AttrDef | undefined, where: string): unknown {
  if (def?.boolean && typeof value === 'string') {
    const b = parseBoolean(value);
    if (b === undefined) throw new ScimPatchError('invalidValue', `${where} must be a boolean`);
    return b;
  }
  if (def?.sub && typeof value === 'string' && findDef(def.sub, 'value')) return { value };
  if (!isObject(value)) return value;
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === '__proto__') throw new ScimPatchError('invalidValue', `${where} has a forbidden key`);
    const subDef = findDef(def?.sub, k);
    out[subDef?.name ?? k] = normalize(v, subDef, `${where}.${k}`);
  }
  return out;
}

/** What makes two elements of a multi-valued attribute the same value: members by id, others by type and value. */
export function identityOf(def: AttrDef | undefined): (element: unknown) => string | undefined {
  const valueIsId = findDef(def?.sub, 'value')?.caseExact === true;
  return (element) => {
    const value = read(element, 'value');
    if (typeof value !== 'string' || valueIsId) return typeof value === 'string' ? value : undefined;
    const type = read(element, 'type');
    return `${typeof type === 'string' ? type.toLowerCase() : ''}\u0000${value.toLowerCase()}`;
  };
}

/** RFC 7643 §2.4: "primary" is true on one element at most; the element written last keeps it. */
export function keepOnePrimary(list: unknown[], winner: unknown): void {
  if (read(winner, 'primary') !== true) return;
  for (const e of list) {
    const key = e !== winner && isObject(e) ? keyOf(e, 'primary') : undefined;
    if (key !== undefined && (e as Obj)[key] === true) (e as Obj)[key] = false;
  }
}
