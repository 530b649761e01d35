// Runs of one-member add/remove operations (Okta, Entra) folded into one operation each.
import { defsFor, parsePath, type Target } from './patch-path.ts';
import { findDef, isObject, keyOf, type Schema } from './patch-schema.ts';

/**
 * Okta and Entra (aadOptscim062020) change members one operation each: `add members` with one value,
 * `remove members[value eq "<id>"]`. A run of such operations on one attribute gives the same result as
 * one operation over all their values (add and remove both walk their values in order), which costs
 * O(members) instead of O(members × operations) for a large group.
 */
export function batchOf(ops: unknown[], start: number, schemas: Schema[]): { op: Batchable['op']; target: Target; items: unknown[]; count: number } | undefined {
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
