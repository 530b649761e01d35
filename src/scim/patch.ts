import { parse as parseFilter, type Filter } from 'scim2-parse-filter';

/**
 * SCIM PATCH (RFC 7644 §3.5.2) as a pure function: the current SCIM representation in, the patched one
 * out, or a ScimPatchError. Tolerant of what Okta, Entra ID (both PATCH dialects) and JumpCloud send.
 */

export type ScimPatchErrorType = 'invalidSyntax' | 'invalidPath' | 'noTarget' | 'invalidValue' | 'mutability';

export class ScimPatchError extends Error {
  readonly status = 400;
  readonly scimType: ScimPatchErrorType;
  readonly detail: string;

  constructor(scimType: ScimPatchErrorType, detail: string) {
    super(detail);
    this.name = 'ScimPatchError';
    this.scimType = scimType;
    this.detail = detail;
  }
}

export interface PatchOptions {
  /** The resource type's schema URIs: its core schema first, then the extensions it accepts. */
  schemaUris: string[];
}

type Obj = Record<string, unknown>;
type Op = 'add' | 'replace' | 'remove';

// ---- The attributes whose shape matters to PATCH (RFC 7643 §4) --------------------------------------

interface AttrDef {
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
const COMMON = [a('id', { readOnly: true }), a('schemas', { readOnly: true }), a('meta', { readOnly: true }), a('externalId', { caseExact: true })];

const SCHEMAS: Record<string, AttrDef[]> = {
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

const findDef = (defs: AttrDef[] | undefined, name: string) => {
  const lower = name.toLowerCase();
  return defs?.find((d) => d.name.toLowerCase() === lower);
};

// ---- Paths (RFC 7644 §3.5.2 PATH = attrPath / valuePath [subAttr]) ---------------------------------

interface Schema {
  uri: string;
  defs: AttrDef[] | undefined;
  core: boolean;
}

interface Target {
  text: string;
  /** The extension holding the attribute; undefined for the core schema. */
  ext: Schema | undefined;
  /** Undefined when the path is an extension URI alone (the whole extension object). */
  attr: string | undefined;
  filter: Filter | undefined;
  sub: string | undefined;
}

const ATTR_NAME = /^[A-Za-z][\w-]*/;
const SUB_NAME = /^(?:[A-Za-z][\w-]*|\$ref)$/;

function parsePath(text: string, schemas: Schema[]): Target {
  const invalid = (why: string) => new ScimPatchError('invalidPath', `path "${text}" ${why}`);
  let rest = text.trim();
  let ext: Schema | undefined;
  if (/^urn:/i.test(rest)) {
    const lower = rest.toLowerCase();
    const schema = schemas.find((s) => lower === s.uri.toLowerCase() || lower.startsWith(`${s.uri.toLowerCase()}:`));
    if (!schema) throw invalid('names a schema this resource does not have');
    rest = rest.slice(schema.uri.length + 1);
    if (!schema.core) ext = schema;
    if (rest === '') {
      if (schema.core) throw invalid('names no attribute');
      return { text, ext, attr: undefined, filter: undefined, sub: undefined };
    }
  }
  const attr = ATTR_NAME.exec(rest)?.[0];
  if (!attr) throw invalid('is not an attribute path');
  rest = rest.slice(attr.length);
  let filter: Filter | undefined;
  if (rest.startsWith('[')) {
    const close = closingBracket(rest);
    if (close < 0) throw invalid('has an unclosed value filter');
    try {
      filter = parseFilter(rest.slice(1, close));
    } catch {
      throw invalid('has a value filter that does not parse');
    }
    rest = rest.slice(close + 1);
  }
  let sub: string | undefined;
  if (rest.startsWith('.')) {
    sub = rest.slice(1);
    if (!SUB_NAME.test(sub)) throw invalid('has an invalid sub-attribute');
  } else if (rest !== '') {
    throw invalid('is not an attribute path');
  }
  return { text, ext, attr, filter, sub };
}

/** Index of the `]` closing the value filter that opens at 0, skipping quoted strings. */
function closingBracket(s: string): number {
  let quoted = false;
  for (let i = 1; i < s.length; i++) {
    const c = s[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && c === ']') return i;
  }
  return -1;
}

// ---- Value filters, evaluated against one element of a multi-valued attribute ----------------------

type Predicate = (element: unknown) => boolean;

function compile(filter: Filter, defs: AttrDef[] | undefined, text: string): Predicate {
  switch (filter.op) {
    case 'and': {
      const parts = filter.filters.map((f) => compile(f, defs, text));
      return (e) => parts.every((p) => p(e));
    }
    case 'or': {
      const parts = filter.filters.map((f) => compile(f, defs, text));
      return (e) => parts.some((p) => p(e));
    }
    case 'not': {
      const inner = compile(filter.filter, defs, text);
      return (e) => !inner(e);
    }
    case '[]':
      throw new ScimPatchError('invalidPath', `path "${text}" nests a value filter inside a value filter`);
    case 'pr': {
      const name = filter.attrPath;
      return (e) => {
        const v = read(e, name);
        return v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0);
      };
    }
    default: {
      const { op, attrPath, compValue } = filter;
      const caseExact = findDef(defs, attrPath)?.caseExact ?? false;
      const wanted = typeof compValue === 'string' && !caseExact ? compValue.toLowerCase() : compValue;
      return (e) => compare(op, read(e, attrPath), wanted, caseExact);
    }
  }
}

function read(element: unknown, name: string): unknown {
  if (!isObject(element)) return undefined;
  const key = keyOf(element, name);
  return key === undefined ? undefined : element[key];
}

function compare(op: string, actual: unknown, wanted: unknown, caseExact: boolean): boolean {
  if (Array.isArray(actual)) return actual.some((v) => compare(op, v, wanted, caseExact));
  if (wanted === null) return op === 'eq' ? actual == null : op === 'ne' && actual != null;
  if (typeof wanted === 'boolean') {
    const b = typeof actual === 'string' ? parseBoolean(actual) : actual;
    return op === 'eq' ? b === wanted : op === 'ne' && b !== wanted;
  }
  if (actual === undefined || actual === null) return op === 'ne';
  let v = actual;
  if (typeof v === 'string' && !caseExact) v = v.toLowerCase();
  if (typeof v !== typeof wanted || (typeof v !== 'string' && typeof v !== 'number')) return op === 'ne';
  const [x, y] = [String(v), String(wanted)];
  const order = typeof v === 'number' ? v - (wanted as number) : x < y ? -1 : x > y ? 1 : 0;
  switch (op) {
    case 'eq': return order === 0;
    case 'ne': return order !== 0;
    case 'co': return x.includes(y);
    case 'sw': return x.startsWith(y);
    case 'ew': return x.endsWith(y);
    case 'gt': return order > 0;
    case 'ge': return order >= 0;
    case 'lt': return order < 0;
    case 'le': return order <= 0;
    default: return false;
  }
}

/** The element a filter describes, when it is only `eq` tests joined by `and` (Entra relies on this). */
function elementFromFilter(filter: Filter, defs: AttrDef[] | undefined): Obj | undefined {
  if (filter.op === 'eq' && ATTR_NAME.exec(filter.attrPath)?.[0] === filter.attrPath && filter.compValue !== null) {
    return { [findDef(defs, filter.attrPath)?.name ?? filter.attrPath]: filter.compValue };
  }
  if (filter.op !== 'and') return undefined;
  const parts = filter.filters.map((f) => elementFromFilter(f, defs));
  return parts.every((p) => p !== undefined) ? Object.assign({}, ...(parts as Obj[])) : undefined;
}

// ---- Values -----------------------------------------------------------------------------------------

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Own properties only: `constructor` or `toString` in a path must not reach Object.prototype. */
const own = (obj: Obj, key: string): unknown => (Object.hasOwn(obj, key) ? obj[key] : undefined);

/** RFC 7643 §2.1: attribute names are case-insensitive; the spelling already in the document is kept. */
function keyOf(obj: Obj, name: string): string | undefined {
  if (Object.hasOwn(obj, name)) return name;
  const lower = name.toLowerCase();
  return Object.keys(obj).find((k) => k.toLowerCase() === lower);
}

function parseBoolean(s: string): boolean | undefined {
  const lower = s.toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : undefined;
}

/** One value of an attribute, with Entra's "True"/"False" strings made booleans and known keys canonical. */
function normalize(value: unknown, def: AttrDef | undefined, where: string): unknown {
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
function identityOf(def: AttrDef | undefined): (element: unknown) => string | undefined {
  const valueIsId = findDef(def?.sub, 'value')?.caseExact === true;
  return (element) => {
    const value = read(element, 'value');
    if (typeof value !== 'string' || valueIsId) return typeof value === 'string' ? value : undefined;
    const type = read(element, 'type');
    return `${typeof type === 'string' ? type.toLowerCase() : ''}\u0000${value.toLowerCase()}`;
  };
}

/** RFC 7643 §2.4: "primary" is true on one element at most; the element written last keeps it. */
function keepOnePrimary(list: unknown[], winner: unknown): void {
  if (read(winner, 'primary') !== true) return;
  for (const e of list) {
    const key = e !== winner && isObject(e) ? keyOf(e, 'primary') : undefined;
    if (key !== undefined && (e as Obj)[key] === true) (e as Obj)[key] = false;
  }
}

// ---- Operations -------------------------------------------------------------------------------------

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export function applyPatch(resource: Record<string, unknown>, body: unknown, options: PatchOptions): Record<string, unknown> {
  const schemas: Schema[] = options.schemaUris.map((uri, i) => ({ uri, defs: SCHEMAS[uri.toLowerCase()], core: i === 0 }));
  if (!isObject(body)) throw new ScimPatchError('invalidSyntax', 'the PATCH body must be a JSON object');
  const declared = body[keyOf(body, 'schemas') ?? 'schemas'];
  if (declared !== undefined && !(Array.isArray(declared) && declared.some((s) => typeof s === 'string' && s.toLowerCase() === PATCH_OP.toLowerCase()))) {
    throw new ScimPatchError('invalidSyntax', `schemas must contain ${PATCH_OP}`);
  }
  const operations = body[keyOf(body, 'Operations') ?? 'Operations'];
  if (!Array.isArray(operations) || operations.length === 0) {
    throw new ScimPatchError('invalidSyntax', 'Operations must be an array of one or more operations');
  }
  // RFC 7644 §3.5.2: the operations apply together or not at all; working on copies gives that for free.
  const doc = structuredClone(resource);
  let ops: unknown[];
  try {
    ops = structuredClone(operations);
  } catch {
    throw new ScimPatchError('invalidSyntax', 'Operations must be plain JSON');
  }
  for (let i = 0; i < ops.length; ) {
    const batch = batchOf(ops, i, schemas);
    if (batch) {
      applyAt(doc, batch.op, batch.target, batch.items, schemas, `Operations[${i}…${i + batch.count - 1}]`);
      i += batch.count;
    } else {
      applyOperation(doc, ops[i], schemas, `Operations[${i}]`);
      i += 1;
    }
  }
  for (const s of schemas) {
    const key = s.core ? undefined : keyOf(doc, s.uri);
    const ext = key === undefined ? undefined : doc[key];
    if (key !== undefined && isObject(ext) && Object.keys(ext).length === 0) dropExtension(doc, key);
  }
  return doc;
}

/**
 * Okta and Entra (aadOptscim062020) change members one operation each: `add members` with one value,
 * `remove members[value eq "<id>"]`. A run of such operations on one attribute gives the same result as
 * one operation over all their values (add and remove both walk their values in order), which costs
 * O(members) instead of O(members × operations) for a large group.
 */
function batchOf(ops: unknown[], start: number, schemas: Schema[]): { op: Op; target: Target; items: unknown[]; count: number } | undefined {
  const first = batchable(ops[start], schemas);
  if (!first) return undefined;
  const items = [...first.items];
  let count = 1;
  for (let next = batchable(ops[start + 1], schemas); next?.key === first.key; next = batchable(ops[start + count], schemas)) {
    items.push(...next.items);
    count += 1;
  }
  return count > 1 ? { op: first.op, target: first.target, items, count } : undefined;
}

interface Batchable {
  op: 'add' | 'remove';
  key: string;
  target: Target;
  items: unknown[];
}

function batchable(operation: unknown, schemas: Schema[]): Batchable | undefined {
  if (!isObject(operation)) return undefined;
  const field = (name: string) => operation[keyOf(operation, name) ?? name];
  const [opName, path, value] = [field('op'), field('path'), field('value')];
  const lower = typeof opName === 'string' ? opName.toLowerCase() : undefined;
  if ((lower !== 'add' && lower !== 'remove') || typeof path !== 'string') return undefined;
  const op = lower;
  let target: Target;
  try {
    target = parsePath(path, schemas);
  } catch {
    return undefined;
  }
  const { filter, attr } = target;
  const def = attr === undefined ? undefined : findDef(defsFor(target, schemas), attr);
  if (!def?.multiValued || def.readOnly || target.sub !== undefined) return undefined;
  const key = `${op} ${target.ext?.uri ?? ''} ${def.name}`;
  if (op === 'add') {
    if (filter || value === undefined || value === null) return undefined;
    return { op, key, target, items: Array.isArray(value) ? value : [value] };
  }
  if (filter?.op !== 'eq' || filter.attrPath.toLowerCase() !== 'value' || typeof filter.compValue !== 'string') return undefined;
  return { op, key, target: { ...target, filter: undefined }, items: [{ value: filter.compValue }] };
}

function applyOperation(doc: Obj, operation: unknown, schemas: Schema[], where: string): void {
  if (!isObject(operation)) throw new ScimPatchError('invalidSyntax', `${where} must be an object`);
  const field = (name: string) => operation[keyOf(operation, name) ?? name];
  const opName = field('op');
  const op = typeof opName === 'string' ? opName.toLowerCase() : undefined;
  if (op !== 'add' && op !== 'replace' && op !== 'remove') {
    throw new ScimPatchError('invalidSyntax', `${where}: op must be "add", "replace" or "remove"`);
  }
  const path = field('path');
  const value = field('value');
  if (path !== undefined && path !== null && typeof path !== 'string') throw new ScimPatchError('invalidPath', `${where}: path must be a string`);
  if (op !== 'remove' && (value === undefined || (op === 'add' && value === null))) {
    throw new ScimPatchError('invalidValue', `${where}: ${op} needs a value`);
  }

  if (typeof path === 'string' && path.trim() !== '') {
    const target = parsePath(path, schemas);
    const def = target.attr === undefined ? undefined : findDef(defsFor(target, schemas), target.attr);
    if (def?.readOnly) throw new ScimPatchError('mutability', `${where}: ${def.name} cannot be changed`);
    applyAt(doc, op, target, value, schemas, where);
    return;
  }
  // RFC 7644 §3.5.2.2: a remove without path has no target.
  if (op === 'remove') throw new ScimPatchError('noTarget', `${where}: remove needs a path`);
  if (!isObject(value)) throw new ScimPatchError('invalidValue', `${where}: without a path, value must be an object of attributes`);
  applyValueObject(doc, op, value, schemas, where);
}

/** No path: each key of the value is a path of its own (`displayName`, `name.givenName`, an extension URI). */
function applyValueObject(doc: Obj, op: Op, value: Obj, schemas: Schema[], where: string): void {
  for (const [key, v] of Object.entries(value)) {
    const schema = schemas.find((s) => s.uri.toLowerCase() === key.toLowerCase());
    if (schema?.core && isObject(v)) {
      applyValueObject(doc, op, v, schemas, where);
      continue;
    }
    const target = parsePath(key, schemas);
    const def = target.attr === undefined ? undefined : findDef(defsFor(target, schemas), target.attr);
    // Okta and JumpCloud echo the group's id (and sometimes meta) when renaming: read-only, so ignored.
    if (def?.readOnly) continue;
    applyAt(doc, op, target, v, schemas, `${where}.value.${key}`);
  }
}

/** id, schemas and meta stay read-only even on a resource type whose core schema is not in the table. */
const defsFor = (target: Target, schemas: Schema[]) => (target.ext ? target.ext.defs : (schemas[0]?.defs ?? COMMON));

function applyAt(doc: Obj, op: Op, target: Target, value: unknown, schemas: Schema[], where: string): void {
  const container = containerFor(doc, target.ext, op !== 'remove');
  if (!container) return;
  if (target.attr === undefined) {
    // The extension URI alone: its object is a complex attribute whose sub-attributes are the extension's.
    if (op === 'remove') return dropExtension(doc, keyOf(doc, target.ext!.uri)!);
    if (!isObject(value)) throw new ScimPatchError('invalidValue', `${where}: the extension value must be an object`);
    for (const [k, v] of Object.entries(value)) {
      applyAt(doc, op, parsePath(`${target.ext!.uri}:${k}`, schemas), v, schemas, `${where}.${k}`);
    }
    return;
  }

  const def = findDef(defsFor(target, schemas), target.attr);
  const key = keyOf(container, target.attr) ?? def?.name ?? target.attr;
  const existing = own(container, key);
  const multiValued = def ? def.multiValued === true : Array.isArray(existing) || (existing === undefined && (Array.isArray(value) || target.filter !== undefined));

  if (target.filter || (multiValued && target.sub)) {
    if (!multiValued) throw new ScimPatchError('invalidPath', `${where}: ${key} is not multi-valued, it takes no value filter`);
    return applyToElements(container, key, def, op, target, value, where);
  }
  if (multiValued) return applyToList(container, key, def, op, value, where);
  if (target.sub) return applyToSub(container, key, def, op, target.sub, value, where);

  if (op === 'remove' || value === null || (value === '' && def?.sub)) {
    // Entra clears the manager with an empty string; RFC 7644 §3.5.2.2 forbids unassigning a required attribute.
    if (def?.required) throw new ScimPatchError('mutability', `${where}: ${def.name} is required`);
    delete container[key];
    return;
  }
  const normalized = normalize(value, def, where);
  if (isObject(normalized) && (def?.sub || isObject(existing)) && !(typeof value === 'string')) {
    // RFC 7644 §3.5.2.1/3: a complex value sets the sub-attributes it names and leaves the others.
    const into = isObject(existing) ? existing : (container[key] = {});
    for (const [k, v] of Object.entries(normalized)) {
      const subKey = keyOf(into, k) ?? k;
      if (v === null) delete into[subKey];
      else into[subKey] = v;
    }
    return;
  }
  if (def?.sub && !isObject(normalized)) throw new ScimPatchError('invalidValue', `${where}: ${def.name} takes an object`);
  container[key] = normalized;
}

function applyToSub(container: Obj, key: string, def: AttrDef | undefined, op: Op, sub: string, value: unknown, where: string): void {
  const parent = own(container, key);
  if (parent !== undefined && !isObject(parent)) throw new ScimPatchError('invalidPath', `${where}: ${key} has no sub-attributes`);
  const subDef = findDef(def?.sub, sub);
  if (op === 'remove' || value === null) {
    const subKey = parent && keyOf(parent, sub);
    if (!parent || subKey === undefined) return;
    delete parent[subKey];
    if (Object.keys(parent).length === 0) delete container[key];
    return;
  }
  const into = parent ?? (container[key] = {});
  into[keyOf(into, sub) ?? subDef?.name ?? sub] = normalize(value, subDef, where);
}

/** add appends (a value already there is updated, not repeated), replace swaps the list, remove empties it or drops the given values. */
function applyToList(container: Obj, key: string, def: AttrDef | undefined, op: Op, value: unknown, where: string): void {
  const existing = own(container, key);
  const current = Array.isArray(existing) ? existing : existing === undefined ? [] : [existing];
  const items = value === null || value === undefined ? [] : Array.isArray(value) ? value : [value];

  if (op === 'remove') {
    if (items.length === 0) return setList(container, key, []);
    // Entra's pre-2020 member removal: {"op":"Remove","path":"members","value":[{"value":"<id>"}]}.
    const caseExact = findDef(def?.sub, 'value')?.caseExact ?? false;
    const byValue = items.every((item) => isObject(item) && typeof read(item, 'value') === 'string' && (caseExact || Object.keys(item).length === 1));
    const fold = (s: unknown) => (typeof s === 'string' && !caseExact ? s.toLowerCase() : s);
    const gone = new Set(items.map((item) => fold(read(item, 'value'))));
    const matches: Predicate = byValue
      ? (e) => gone.has(fold(read(e, 'value')))
      : (e) => items.some((item) => isObject(item) && Object.entries(item).every(([k, v]) => compare('eq', read(e, k), fold(v), caseExact)));
    setList(container, key, current.filter((e) => !matches(e)));
    return;
  }

  const list = op === 'replace' ? [] : current;
  const identity = identityOf(def);
  const index = new Map<string, unknown>();
  for (const e of list) {
    const id = identity(e);
    if (id !== undefined) index.set(id, e);
  }
  for (const [i, item] of items.entries()) {
    const element = normalize(item, def, `${where}.value[${i}]`);
    const id = identity(element);
    const same = id === undefined ? undefined : index.get(id);
    if (isObject(same) && isObject(element)) {
      for (const [k, v] of Object.entries(element)) same[keyOf(same, k) ?? k] = v;
      keepOnePrimary(list, same);
      continue;
    }
    if (id === undefined && list.some((e) => JSON.stringify(e) === JSON.stringify(element))) continue;
    list.push(element);
    if (id !== undefined) index.set(id, element);
    keepOnePrimary(list, element);
  }
  setList(container, key, list);
}

/** A value filter (`emails[type eq "work"].value`), or a sub-attribute of every element (`emails.type`). */
function applyToElements(container: Obj, key: string, def: AttrDef | undefined, op: Op, target: Target, value: unknown, where: string): void {
  const existing = own(container, key);
  const list = Array.isArray(existing) ? existing : existing === undefined ? [] : [existing];
  const matches = target.filter ? compile(target.filter, def?.sub, target.text) : () => true;
  const sub = target.sub;
  const subDef = sub === undefined ? undefined : findDef(def?.sub, sub);

  if (op === 'remove') {
    if (sub === undefined) return setList(container, key, list.filter((e) => !matches(e)));
    const kept = list.filter((e) => {
      if (!matches(e) || !isObject(e)) return true;
      const subKey = keyOf(e, sub);
      if (subKey !== undefined) delete e[subKey];
      // Without its value an element (an email, a member) means nothing, so it goes too.
      return sub.toLowerCase() !== 'value' && Object.keys(e).length > 0;
    });
    return setList(container, key, kept);
  }

  const hits = list.filter(matches);
  const element = normalize(value, sub === undefined ? def : subDef, where);
  if (hits.length === 0) {
    // Entra adds and replaces `emails[type eq "work"].value` whether or not a work email exists (RFC 7644
    // §3.5.2.3 would answer noTarget): the filter's eq tests describe the element to create.
    const seed = target.filter && (sub !== undefined || op === 'add') ? elementFromFilter(target.filter, def?.sub) : undefined;
    if (!seed) throw new ScimPatchError('noTarget', `${where}: no value of ${key} matches "${target.text}"`);
    if (sub === undefined && !isObject(element)) throw new ScimPatchError('invalidValue', `${where}: ${key} takes an object`);
    const created = sub === undefined ? { ...seed, ...(element as Obj) } : { ...seed, [subDef?.name ?? sub]: element };
    list.push(created);
    keepOnePrimary(list, created);
    return setList(container, key, list);
  }
  for (const hit of hits) {
    if (!isObject(hit)) throw new ScimPatchError('invalidPath', `${where}: the values of ${key} have no sub-attributes`);
    if (sub !== undefined) {
      hit[keyOf(hit, sub) ?? subDef?.name ?? sub] = element;
    } else {
      if (!isObject(element)) throw new ScimPatchError('invalidValue', `${where}: ${key} takes an object`);
      // replace swaps each matching element for the value; add sets the sub-attributes it names.
      if (op === 'replace') for (const k of Object.keys(hit)) delete hit[k];
      for (const [k, v] of Object.entries(element)) hit[keyOf(hit, k) ?? k] = v;
    }
    keepOnePrimary(list, hit);
  }
  setList(container, key, list);
}

/**
 * A list emptied by the patch stays as `[]`, which RFC 7643 §2.5 makes equivalent to unassigned: the
 * result is read like a PUT body, where an absent `members` means "keep the members" but `[]` means none.
 * An attribute that was absent stays absent.
 */
function setList(container: Obj, key: string, list: unknown[]): void {
  if (list.length > 0 || Object.hasOwn(container, key)) container[key] = list;
}

function containerFor(doc: Obj, ext: Schema | undefined, create: boolean): Obj | undefined {
  if (!ext) return doc;
  const key = keyOf(doc, ext.uri);
  const current = key === undefined ? undefined : doc[key];
  if (isObject(current)) return current;
  if (!create) return undefined;
  const created: Obj = {};
  doc[key ?? ext.uri] = created;
  // RFC 7643 §3: the schemas attribute lists every schema the resource carries data for.
  const listed = doc['schemas'];
  if (Array.isArray(listed) && !listed.some((s) => typeof s === 'string' && s.toLowerCase() === ext.uri.toLowerCase())) listed.push(ext.uri);
  return created;
}

function dropExtension(doc: Obj, key: string): void {
  delete doc[key];
  const listed = doc['schemas'];
  if (Array.isArray(listed)) doc['schemas'] = listed.filter((s) => typeof s !== 'string' || s.toLowerCase() !== key.toLowerCase());
}
