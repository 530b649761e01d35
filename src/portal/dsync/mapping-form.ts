import type { OrgRole } from '../../db/schema.ts';
import type { GroupMapping } from '../../scim/group-mappings.service.ts';

/**
 * Group mappings as an HTML table without JavaScript: one row per (group, site), the org role repeated
 * on each row of a group. Submitting merges the rows of a group back into one mapping, so a mapping
 * with several sites survives a round trip.
 */
export interface MappingRow {
  group: string;
  org_role: '' | OrgRole;
  site: string;
  site_role: string;
}

export const MAX_MAPPING_ROWS = 200;
/** Empty rows under the list, for new mappings (save, and three more appear). */
export const BLANK_ROWS = 3;

const blank = (): MappingRow => ({ group: '', org_role: '', site: '', site_role: '' });

export function rowsOf(mappings: GroupMapping[]): MappingRow[] {
  const rows: MappingRow[] = [];
  for (const m of mappings) {
    const role = m.org_role ?? '';
    if (!m.sites?.length) rows.push({ group: m.group, org_role: role, site: '', site_role: '' });
    for (const site of m.sites ?? []) rows.push({ group: m.group, org_role: role, site: site.site_id, site_role: site.role });
  }
  return [...rows, ...Array.from({ length: BLANK_ROWS }, blank)];
}

export type ParsedMappings = { ok: true; mappings: GroupMapping[] } | { ok: false; rows: MappingRow[]; errors: Record<number, string> };

/** Reads `rows`, then `group_<i>`, `org_role_<i>`, `site_<i>`, `site_role_<i>`, `remove_<i>` for each row. */
export function parseMappingForm(body: Record<string, unknown>, known: { siteIds: Set<string>; siteRoles: readonly string[] }): ParsedMappings {
  const field = (name: string) => (typeof body[name] === 'string' ? (body[name] as string).trim() : '');
  const count = Math.min(Number.parseInt(field('rows'), 10) || 0, MAX_MAPPING_ROWS);
  const rows: MappingRow[] = [];
  const errors: Record<number, string> = {};
  const merged = new Map<string, GroupMapping>();
  for (let i = 0; i < count; i++) {
    const orgRole = field(`org_role_${i}`);
    const row: MappingRow = {
      group: field(`group_${i}`).slice(0, 400),
      org_role: orgRole === 'admin' || orgRole === 'member' ? orgRole : '',
      site: field(`site_${i}`),
      site_role: field(`site_role_${i}`),
    };
    if (field(`remove_${i}`)) continue;
    rows.push(row);
    const at = rows.length - 1;
    if (!row.group && !row.org_role && !row.site) continue;
    if (!row.group) errors[at] = 'Enter the IdP group this row is for.';
    else if (row.group.length > 300) errors[at] = 'A group name is at most 300 characters.';
    else if (!row.org_role && !row.site) errors[at] = 'Choose an organization role, a site, or both.';
    // idor check: only sites of the session's org are offered, and only those are accepted.
    else if (row.site && !known.siteIds.has(row.site)) errors[at] = 'Choose one of the sites in the list.';
    else if (row.site && !known.siteRoles.includes(row.site_role)) errors[at] = `Choose a site role (${known.siteRoles.join(', ')}).`;
    if (errors[at]) continue;
    // Group names match case-insensitively (as SCIM groups are matched): one mapping per name.
    const key = row.group.toLowerCase();
    const mapping = merged.get(key) ?? { group: row.group, org_role: null, sites: [] };
    if (row.org_role === 'admin' || (row.org_role === 'member' && mapping.org_role !== 'admin')) mapping.org_role = row.org_role;
    if (row.site) {
      const existing = mapping.sites!.find((s) => s.site_id === row.site);
      // The same site twice: the higher role counts, as when two mapped groups name one site.
      if (!existing) mapping.sites!.push({ site_id: row.site, role: row.site_role });
      else if (known.siteRoles.indexOf(row.site_role) > known.siteRoles.indexOf(existing.role)) existing.role = row.site_role;
    }
    merged.set(key, mapping);
  }
  if (Object.keys(errors).length) return { ok: false, rows: [...rows, ...Array.from({ length: Math.max(0, BLANK_ROWS - rows.filter((r) => !r.group).length) }, blank)], errors };
  return { ok: true, mappings: [...merged.values()] };
}
