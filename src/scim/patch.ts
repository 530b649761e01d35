// SCIM PATCH's public entry point, applyPatch(), and the engine that applies each operation to a copy of the resource.
import { batchOf } from './patch-batch.ts';
import { ScimPatchError } from './patch.errors.ts';
import { compare, compile, defsFor, elementFromFilter, parsePath, type Predicate, type Target } from './patch-path.ts';
import { type AttrDef, findDef, identityOf, isObject, keepOnePrimary, keyOf, normalize, type Obj, own, read, SCHEMAS, type Schema } from './patch-schema.ts';

/**
 * SCIM PATCH (RFC 7644 §3.5.2) as a pure function: the current SCIM representation in, the patched one
 * out, or a ScimPatchError. Tolerant of what Okta, Entra ID (both PATCH dialects) and JumpCloud send.
 */

export { ScimPatchError, type ScimPatchErrorType } from './patch.errors.ts';

export interface PatchOptions {
  /** The resource type's schema URIs: its core schema first, then the extensions it accepts. */
  schemaUris: string[];
}

type Op = 'add' | 'replace' | 'remove';

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

