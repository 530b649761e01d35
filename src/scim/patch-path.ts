// PATCH paths (RFC 7644 §3.5.2): parsing `attr[filter].sub`, and evaluating a value filter against one element.
import { parse as parseFilter, type Filter } from 'scim2-parse-filter';
import { ScimPatchError } from './patch.errors.ts';
import { type AttrDef, COMMON, findDef, type Obj, parseBoolean, read, type Schema } from './patch-schema.ts';

// ---- Paths (RFC 7644 §3.5.2 PATH = attrPath / valuePath [subAttr]) ---------------------------------

export interface Target {
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

export function parsePath(text: string, schemas: Schema[]): Target {
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

/** id, schemas and meta stay read-only even on a resource type whose core schema is not in the table. */
export const defsFor = (target: Target, schemas: Schema[]) => (target.ext ? target.ext.defs : (schemas[0]?.defs ?? COMMON));

// ---- Value filters, evaluated against one element of a multi-valued attribute ----------------------

export type Predicate = (element: unknown) => boolean;

export function compile(filter: Filter, defs: AttrDef[] | undefined, text: string): Predicate {
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

export function compare(op: string, actual: unknown, wanted: unknown, caseExact: boolean): boolean {
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
export function elementFromFilter(filter: Filter, defs: AttrDef[] | undefined): Obj | undefined {
  if (filter.op === 'eq' && ATTR_NAME.exec(filter.attrPath)?.[0] === filter.attrPath && filter.compValue !== null) {
    return { [findDef(defs, filter.attrPath)?.name ?? filter.attrPath]: filter.compValue };
  }
  if (filter.op !== 'and') return undefined;
  const parts = filter.filters.map((f) => elementFromFilter(f, defs));
  return parts.every((p) => p !== undefined) ? Object.assign({}, ...(parts as Obj[])) : undefined;
}
