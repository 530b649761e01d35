import type { MappingPreview } from '../../scim/group-mappings.service.ts';

/** Rows the preview shows at most: the people who change come first, so those are never the ones cut. */
export const PREVIEW_ROWS = 200;

const roleLabel = (role: string | null): string => (role === 'admin' ? 'Admin' : role === 'member' ? 'Member' : 'Not a member');

const sitesView = (sites: MappingPreview['before']['sites']) =>
  sites.map((s) => ({ name: s.site_name, role: s.role, by_hand: s.source === 'manual' }));

/** The preview as the mappings page draws it: plain strings and flags, nothing to work out in nunjucks. */
export function previewView(preview: MappingPreview[]) {
  const ordered = [...preview].sort((a, b) => Number(b.changed) - Number(a.changed));
  const changed = preview.filter((p) => p.changed).length;
  return {
    total: preview.length,
    changed,
    hidden: Math.max(0, ordered.length - PREVIEW_ROWS),
    people: ordered.slice(0, PREVIEW_ROWS).map((p) => ({
      name: p.person.name,
      email: p.person.email,
      groups: p.person.groups,
      member: p.before.role !== null,
      changed: p.changed,
      role: { before: roleLabel(p.before.role), after: roleLabel(p.after.role), changed: p.role_changed },
      sites: { before: sitesView(p.before.sites), after: sitesView(p.after.sites), changed: p.sites_changed },
    })),
  };
}
