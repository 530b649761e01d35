import { ScimError } from './scim.errors.ts';

/** RFC 7644 §3.4.2.5: attributes / excludedAttributes, with dotted sub-attributes, case-insensitive. */
const ALWAYS = new Set(['id', 'schemas']);

function parseList(value: unknown, name: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > 2000) throw new ScimError(400, `${name} must be a comma-separated list of attribute names.`, 'invalidValue');
  // An extension URI's attribute keeps its last segment after the URI (urn:…:User:department).
  return value.split(',').map((a) => a.trim()).filter(Boolean).map((a) => a.replace(/^urn:ietf:params:scim:schemas:core:2\.0:(User|Group):/i, ''));
}

function matchKey(obj: Record<string, unknown>, name: string): string | undefined {
  return Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase());
}

function include(resource: Record<string, unknown>, paths: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(resource)) if (ALWAYS.has(key)) out[key] = resource[key];
  for (const path of paths) {
    const [head, ...rest] = path.split('.');
    const key = matchKey(resource, head!);
    if (!key) continue;
    const value = resource[key];
    if (!rest.length || value === null || typeof value !== 'object') out[key] = value;
    else if (Array.isArray(value)) out[key] = value.map((v) => (v && typeof v === 'object' ? include(v as Record<string, unknown>, [rest.join('.')]) : v));
    else out[key] = { ...((out[key] as object) ?? {}), ...include(value as Record<string, unknown>, [rest.join('.')]) };
  }
  return out;
}

function exclude(resource: Record<string, unknown>, paths: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...resource };
  for (const path of paths) {
    const [head, ...rest] = path.split('.');
    const key = matchKey(out, head!);
    if (!key || ALWAYS.has(key)) continue;
    if (!rest.length) delete out[key];
    else if (out[key] && typeof out[key] === 'object' && !Array.isArray(out[key])) out[key] = exclude(out[key] as Record<string, unknown>, [rest.join('.')]);
  }
  return out;
}

export interface Projection {
  attributes: string[] | undefined;
  excluded: string[] | undefined;
}

export function parseProjection(query: Record<string, unknown>): Projection {
  return { attributes: parseList(query.attributes, 'attributes'), excluded: parseList(query.excludedAttributes, 'excludedAttributes') };
}

export function project(resource: Record<string, unknown>, projection: Projection): Record<string, unknown> {
  if (projection.attributes?.length) return include(resource, [...projection.attributes, 'meta']);
  if (projection.excluded?.length) return exclude(resource, projection.excluded);
  return resource;
}

/** Whether `members` is wanted in the answer (loading a large group's members is skipped otherwise). */
export function wantsMembers(projection: Projection): boolean {
  if (projection.attributes?.length) return projection.attributes.some((a) => a.toLowerCase().split('.')[0] === 'members');
  return !projection.excluded?.some((a) => a.toLowerCase() === 'members');
}
