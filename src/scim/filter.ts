// SCIM filters (RFC 7644 §3.4.2.2), the public entry: parse and check a filter, then build the Kysely where-expression for it.
import { type Expression, type ExpressionBuilder, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Compare, Filter, Suffix } from 'scim2-parse-filter';
import type { Database } from '../db/schema.ts';
import { type Column, GROUP, type MultiValued, type Operator, type Resource, USER } from './filter-attributes.ts';
import { describeSyntaxError, parseSyntax } from './filter-parse.ts';
import { ScimError } from './scim.errors.ts';
import { escapeLike } from '../db/like.ts';

/** The filter tree of scim2-parse-filter: and/or/not, `[]` value filters, comparisons and `pr`. */
export type ScimFilter = Filter;
export type UserFilter = (eb: ExpressionBuilder<Database, 'scim_users'>) => Expression<SqlBool>;
export type GroupFilter = (eb: ExpressionBuilder<Database, 'scim_groups'>) => Expression<SqlBool>;

export const MAX_FILTER_LENGTH = 2000;
/** Levels of and/or/not/[] in the tree; real IdP filters use two or three. */
export const MAX_FILTER_DEPTH = 10;

/** RFC 7644 §3.4.2.2: a filter the server cannot evaluate answers 400 with scimType invalidFilter. */
export class ScimFilterError extends ScimError {
  readonly detail: string;
  constructor(detail: string) {
    super(400, detail, 'invalidFilter', 'invalid_filter');
    this.name = 'ScimFilterError';
    this.detail = detail;
  }
}

/**
 * The lower-cased copy kept in user_name_key, value_key and display_name_key (RFC 7643 caseExact false).
 * Writers must use this same function, or an `eq` here would miss the row.
 */
export const caseKey = (value: string): string => value.toLowerCase();

// ---- Parsing ----------------------------------------------------------------------------------------

/** Parses and checks a SCIM filter against the User and Group attributes this server stores. */
export function parseScimFilter(text: string): ScimFilter {
  if (text.length > MAX_FILTER_LENGTH) throw new ScimFilterError(`The filter is longer than ${MAX_FILTER_LENGTH} characters.`);
  // Also keeps newlines away from the package's string pattern, which backtracks exponentially on them.
  if (/[\u0000-\u001f\u007f]/.test(text)) throw new ScimFilterError('The filter contains a control character (newline, tab, ...); use spaces between terms and escapes inside strings.');
  if (!text.trim()) throw new ScimFilterError('The filter is empty.');
  let ast: Filter;
  try {
    ast = parseSyntax(text);
  } catch (err) {
    throw new ScimFilterError(`The filter is not valid SCIM filter syntax (RFC 7644 §3.4.2.2): ${describeSyntaxError(err)}.`);
  }
  plan(ast, { resources: [USER, GROUP] }, 1);
  return ast;
}

// ---- Checking: AST -> plan ---------------------------------------------------------------------------

type Value = string | boolean | null;
type Plan =
  | { kind: 'and' | 'or'; parts: Plan[] }
  | { kind: 'not'; part: Plan }
  | { kind: 'some'; multi: MultiValued; where: Plan }
  | { kind: 'compare'; column: Column; op: Operator; value: Value };

type Scope = { resources: Resource[] } | { multi: MultiValued };

function plan(f: Filter, scope: Scope, depth: number): Plan {
  if (depth > MAX_FILTER_DEPTH) throw new ScimFilterError(`The filter nests deeper than ${MAX_FILTER_DEPTH} levels.`);
  switch (f.op) {
    case 'and':
    case 'or':
      return { kind: f.op, parts: f.filters.map((part) => plan(part, scope, depth + 1)) };
    case 'not':
      return { kind: 'not', part: plan(f.filter, scope, depth + 1) };
    case '[]': {
      if ('multi' in scope) throw new ScimFilterError(`Value filters cannot be nested (${f.attrPath}[...] inside ${scope.multi.name}[...]).`);
      const multi = resolveMulti(f.attrPath, scope.resources);
      return { kind: 'some', multi, where: plan(f.valFilter, { multi }, depth + 1) };
    }
    default:
      return attribute(f, scope);
  }
}

/** Resource-relative attribute path: lower-cased, its own schema URN removed; undefined for another schema's. */
function relative(path: string, r: Resource): string | undefined {
  const p = path.toLowerCase();
  if (p.startsWith(r.urn)) return p.slice(r.urn.length);
  return p.startsWith('urn:') ? undefined : p;
}

function resolveMulti(path: string, resources: Resource[]): MultiValued {
  for (const r of resources) {
    const multi = r.multi[relative(path, r) ?? ''];
    if (multi) return multi;
  }
  throw new ScimFilterError(`${path}[...] is not a value filter this server supports; ${resources.map((r) => `${r.name} resources allow ${Object.values(r.multi).map((m) => `${m.name}[...]`).join(', ')}`).join('; ')}.`);
}

function attribute(f: Compare | Suffix, scope: Scope): Plan {
  if ('multi' in scope) {
    const column = scope.multi.sub[f.attrPath.toLowerCase()];
    if (!column) throw new ScimFilterError(`${scope.multi.name}[${f.attrPath} ...]: ${f.attrPath} is not a sub-attribute this server can filter on (use ${Object.keys(scope.multi.sub).join(', ')}).`);
    return compare(column, f);
  }
  for (const r of scope.resources) {
    const path = relative(f.attrPath, r);
    if (path === undefined) continue;
    const column = r.columns[path];
    if (column) return compare(column, f);
    const dot = path.indexOf('.');
    const multi = r.multi[dot < 0 ? path : path.slice(0, dot)];
    const sub = multi?.sub[dot < 0 ? 'value' : path.slice(dot + 1)];
    if (multi && sub) return { kind: 'some', multi, where: compare(sub, f) };
  }
  const known = scope.resources.map((r) => `${r.name}: ${[...Object.values(r.columns), ...Object.values(r.multi).flatMap((m) => [{ name: m.name }, ...Object.values(m.sub)])].map((c) => c.name).join(', ')}`);
  throw new ScimFilterError(`"${f.attrPath}" is not an attribute this server can filter on (${known.join('; ')}).`);
}

const OPS_BY_TYPE: Record<Column['type'], Operator[]> = {
  string: ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'pr'],
  // RFC 7644 §3.4.2.2: gt/ge/lt/le on a boolean SHALL be refused with invalidFilter; co/sw/ew mean nothing.
  boolean: ['eq', 'ne', 'pr'],
  dateTime: ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'pr'],
};

function compare(column: Column, f: Compare | Suffix): Plan {
  const op = String(f.op).toLowerCase() as Operator;
  const allowed = OPS_BY_TYPE[column.type];
  if (!allowed.includes(op)) {
    throw new ScimFilterError(`The ${op} operator does not apply to ${column.name} (${column.type}); use ${allowed.join(', ')}.`);
  }
  if (op === 'pr') return { kind: 'compare', column, op, value: null };
  const value = (f as Compare).compValue;
  if (value === null) {
    if (op !== 'eq' && op !== 'ne') throw new ScimFilterError(`${column.name} ${op} null: only eq and ne compare with null.`);
    return { kind: 'compare', column, op, value };
  }
  switch (column.type) {
    case 'boolean': {
      // Entra writes booleans as "True"/"False" strings; accept them here too.
      const b = typeof value === 'string' && /^(true|false)$/i.test(value) ? value.toLowerCase() === 'true' : value;
      if (typeof b !== 'boolean') throw new ScimFilterError(`${column.name} is a boolean: compare it with true or false (got ${JSON.stringify(value)}).`);
      return { kind: 'compare', column, op, value: b };
    }
    case 'dateTime':
      return { kind: 'compare', column, op, value: timestamp(value, column) };
    case 'string':
      if (typeof value !== 'string') throw new ScimFilterError(`${column.name} is a string: put the value in double quotes (got ${JSON.stringify(value)}).`);
      return { kind: 'compare', column, op, value: column.key ? caseKey(value) : value };
  }
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/** RFC 7643 §2.3.5 dateTime, as the ISO text stored in created_at/updated_at (Date#toISOString, UTC, ms). */
function timestamp(value: unknown, column: Column): string {
  const m = typeof value === 'string' ? DATE_TIME.exec(value) : null;
  const date = m ? new Date((value as string).toUpperCase()) : undefined;
  const daysInMonth = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]), 0)).getUTCDate() : 0;
  if (!m || !date || Number.isNaN(date.getTime()) || Number(m[3]) > daysInMonth) {
    throw new ScimFilterError(`${column.name} is a dateTime: compare it with a timestamp such as "2024-05-01T12:00:00Z" (got ${JSON.stringify(value)}).`);
  }
  return date.toISOString();
}

// ---- Building: plan -> Kysely expression ---------------------------------------------------------------

/** `.where(userFilter(ast))` on selectFrom('scim_users'); the caller adds directory_id and deleted_at. */
export function userFilter(ast: ScimFilter): UserFilter {
  const p = plan(ast, { resources: [USER] }, 1);
  return (eb) => expression(p, eb);
}

/** `.where(groupFilter(ast))` on selectFrom('scim_groups'); the caller adds directory_id. */
export function groupFilter(ast: ScimFilter): GroupFilter {
  const p = plan(ast, { resources: [GROUP] }, 1);
  return (eb) => expression(p, eb);
}

function expression<TB extends keyof Database>(p: Plan, eb: ExpressionBuilder<Database, TB>): Expression<SqlBool> {
  switch (p.kind) {
    case 'and':
      return eb.and(p.parts.map((part) => expression(part, eb)));
    case 'or':
      return eb.or(p.parts.map((part) => expression(part, eb)));
    case 'not':
      return eb.not(expression(p.part, eb));
    case 'some':
      return p.multi.some(expression(p.where, eb));
    case 'compare':
      return comparison(p.column, p.op, p.value);
  }
}

const SQL_OPS: Record<string, string> = { eq: '=', gt: '>', ge: '>=', lt: '<', le: '<=' };

/**
 * One comparison, always true or false (never SQL NULL) so that `not` and `ne` are exact complements: an
 * absent externalId is `ne "x"` and `not (externalId eq "x")`. Values are bound parameters throughout.
 */
function comparison(c: Column, op: Operator, value: Value): RawBuilder<SqlBool> {
  const col = sql.ref(c.column);
  const present = (cond: RawBuilder<unknown>) => (c.nullable ? sql<SqlBool>`(${col} is not null and ${cond})` : sql<SqlBool>`(${cond})`);
  if (op === 'pr') return c.type === 'string' ? present(sql`${col} <> ''`) : sql<SqlBool>`(${col} is not null)`;
  if (value === null) return op === 'eq' ? sql<SqlBool>`(${col} is null)` : sql<SqlBool>`(${col} is not null)`;
  if (op === 'ne') return sql<SqlBool>`(not ${comparison(c, 'eq', value)})`;
  if (typeof value === 'boolean') return present(sql`${col} = ${value ? 1 : 0}`);
  if (c.type === 'dateTime') return present(sql`${col} ${sql.raw(SQL_OPS[op]!)} ${value}`);

  // caseExact false: the key column against caseKey(value) (already applied), else lower() on both sides.
  const lhs = c.key ? sql.ref(c.key) : c.caseExact ? col : sql`lower(${col})`;
  const rhs = c.key || c.caseExact ? sql`${value}` : sql`lower(${value})`;
  if (op in SQL_OPS) return present(sql`${lhs} ${sql.raw(SQL_OPS[op]!)} ${rhs}`);

  // co/sw/ew: LIKE with the value's own % _ \ escaped, case folded on both sides where the attribute is
  // not caseExact (SQLite's LIKE ignores ASCII case, PostgreSQL's does not: be explicit for both).
  // A caseExact attribute also gets an exact test, written only with functions both databases have.
  const pattern = `${op === 'sw' ? '' : '%'}${escapeLike(value)}${op === 'ew' ? '' : '%'}`;
  const like = sql`${lhs} like ${c.key || c.caseExact ? sql`${pattern}` : sql`lower(${pattern})`} escape '\\'`;
  if (!c.caseExact || value === '') return present(like);
  const chars = [...value].length; // SQL length() counts characters, not UTF-16 units
  const exact =
    op === 'co' ? sql`replace(${col}, ${value}, '') <> ${col}`
    : op === 'sw' ? sql`substr(${col}, 1, ${chars}) = ${value}`
    : sql`substr(${col}, length(${col}) - ${chars} + 1) = ${value}`;
  return present(sql`${like} and ${exact}`);
}

