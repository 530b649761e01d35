import type { Executor } from '../../db/database.ts';
import type { Connection } from '../../db/schema.ts';
import { isRefusal } from '../../http/errors.ts';
import { assertIntentReady } from '../../portal/portal-links.service.ts';
import type { ConsoleAdmin } from '../console-admin.ts';
import type { SectionForm } from './authentication.page.ts';
import { notEntitledMessage } from './sso-portal-link.ts';
import { protocolLabel, providerLabel } from './sso-switches.ts';

const STATE_ORDER: Record<Connection['state'], number> = { active: 0, draft: 1, inactive: 2 };

const STATES: Record<Connection['state'], { label: string; tone: string; says: string }> = {
  active: { label: 'Active', tone: 'success', says: 'Signs people in' },
  draft: { label: 'Draft', tone: 'warning', says: 'Setup not finished' },
  inactive: { label: 'Inactive', tone: 'danger', says: 'Switched off: nobody signs in through it' },
};

function connectionRow(row: Connection) {
  const state = STATES[row.state];
  return {
    id: row.id,
    name: row.name,
    provider: providerLabel(row),
    protocol: protocolLabel(row.type),
    state: row.state,
    state_label: state.label,
    tone: state.tone,
    says: state.says,
    since: row.state === 'active' ? row.activated_at : row.updated_at,
  };
}

/**
 * The Single Sign-On section (DESIGN.md Console): absent without the SSO plan; the requirements and the
 * button that opens the setup wizard in a new tab; the connections and their state; the two switches.
 */
export async function loadSsoSection(db: Executor, admin: ConsoleAdmin, form?: SectionForm): Promise<Record<string, unknown>> {
  const org = admin.organization;
  const errors = form?.section === 'sso' ? form.errors : {};
  if (!org.sso_entitled) return { entitled: false, message: notEntitledMessage(org.name), errors };

  const [domains, contacts, connections, readiness] = await Promise.all([
    db.selectFrom('domains').select('domain').where('organization_id', '=', org.id).where('state', '=', 'verified').orderBy('domain').execute(),
    db.selectFrom('it_contacts').select((eb) => eb.fn.countAll<number>().as('n')).where('organization_id', '=', org.id).executeTakeFirstOrThrow(),
    db.selectFrom('connections').selectAll().where('organization_id', '=', org.id).orderBy('updated_at', 'desc').execute(),
    // The button follows the rule the link itself is made by, so the two never disagree.
    assertIntentReady(db, org.id, 'sso').then(() => null, (error: unknown) => {
      if (isRefusal(error)) return error.message;
      throw error;
    }),
  ]);
  const rows = connections.sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state]).map(connectionRow);
  const active = rows.find((r) => r.state === 'active');
  const draft = rows.find((r) => r.state === 'draft');
  const contactCount = Number(contacts.n);
  return {
    entitled: true,
    ready: readiness === null,
    not_ready: readiness,
    requirements: [
      {
        key: 'domain',
        met: domains.length > 0,
        label: domains.length ? `Verified domain${domains.length > 1 ? 's' : ''}: ${domains.map((d) => d.domain).join(', ')}` : 'A verified domain',
        hint: domains.length ? '' : 'People are sent to your identity provider by their email\'s domain. Add one under Domains and verify it.',
        href: '#domains',
      },
      {
        key: 'contact',
        met: contactCount > 0,
        label: contactCount ? `${contactCount} IT contact${contactCount > 1 ? 's' : ''}` : 'An IT contact',
        hint: contactCount ? '' : 'Someone who is warned before your identity provider\'s certificate expires. Add one under IT contacts.',
        href: '#it-contacts',
      },
    ],
    button: draft ? 'Continue SSO setup' : 'Configure SSO',
    connections: rows,
    active: active ?? null,
    draft: draft ?? null,
    // As stored: a refused change says so and leaves the switch where it was.
    switches: { auto_provision: org.auto_provision === 1, enforce_sso: org.enforce_sso === 1 },
    errors,
  };
}
