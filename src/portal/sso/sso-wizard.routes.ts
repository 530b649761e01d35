import type { Context } from 'koa';
import { fieldInvalid } from '../../http/errors.ts';
import { getOrganization } from '../../orgs/organizations.service.ts';
import { listCertificates } from '../../sso/connections.service.ts';
import type { OidcSso } from '../../sso/oidc/oidc-sso.ts';
import { findProvider, isProviderKey, type Protocol } from '../../sso/providers.ts';
import { portalOf, type PortalRouter } from '../portal.router.ts';
import { recentAttempts } from './sso-diagnostics.ts';
import { registerIdpStep } from './sso-idp.routes.ts';
import { registerTestStep } from './sso-test.routes.ts';
import { createWizard } from './sso-wizard.context.ts';
import { activateTested, chooseProvider, currentConnection, deactivate, resumeStep, saveMapping, wizardProgress } from './sso-wizard.service.ts';
import { certificateViews, connectionSummary, copyValues, COPY_LABELS, formatTime, mappingFromForm, mappingRows, providerCards, providerOf, STEP_LABELS, stepPath } from './sso-wizard.view.ts';

/**
 * The `sso` intent of the setup wizard (DESIGN.md Setup wizard), under /portal/sso:
 *
 *   GET  /portal/sso                       where the setup stands; continue where it stopped; diagnostics
 *   GET  /portal/sso/provider              1 choose the provider (and SAML or OIDC)      POST: saves it
 *   GET  /portal/sso/:id/instructions      2 the provider's own steps, values to copy
 *   GET  /portal/sso/:id/idp               3 the IdP's side (sso-idp.routes.ts)           POST: checks, saves
 *   GET  /portal/sso/:id/mapping           4 attribute names, prefilled                  POST: saves
 *   GET  /portal/sso/:id/test              5 test sign-in (sso-test.routes.ts)           POST: starts one
 *   GET  /portal/sso/test-result           5 where the IdP's answer lands, accepted or refused
 *   GET  /portal/sso/:id/activate          6 activate, once a test succeeded             POST: activates
 *   POST /portal/sso/:id/deactivate
 *
 * Every route checks the portal session (org and intent) first; every form carries the CSRF token; a
 * connection id of another org answers 404 with nothing changed; each POST is one transaction.
 */
const mappingTitle = (connection: { type: string }) => (connection.type === 'saml' ? 'Map the attributes' : 'Map the claims');

export function registerSsoPages(portal: PortalRouter, oidc: OidcSso): void {
  const w = createWizard(portal, oidc);
  const { router, session, db, uow, pages } = w;
  const form = [session, pages.formBody, pages.verifyCsrf];
  const now = () => w.ctx.clock.now();
  const see = (k: Context, path: string) => {
    k.status = 303;
    k.redirect(path);
  };

  router.get('/portal/sso', session, async (k) => {
    const portal = portalOf(k);
    const { current, active } = await currentConnection(db, portal.organization_id);
    if (!current) return see(k, stepPath('provider'));
    const progress = await wizardProgress(db, current);
    const { guide } = providerOf(current);
    const next = resumeStep(current, progress);
    // After an activation or deactivation: said once it is true (a hand-typed ?done= says nothing).
    const done = (k.query.done === 'activated' && current.state === 'active') || (k.query.done === 'deactivated' && current.state === 'inactive') ? k.query.done : null;
    await w.render(k, 'portal/sso/start.njk', {
      step: null, title: 'Single sign-on', connection: current, progress, indicator: current.state === 'active' ? undefined : next,
      next: current.state === 'active' ? null : { label: STEP_LABELS[next], number: Object.keys(STEP_LABELS).indexOf(next) + 1, href: stepPath(next, current.id) },
      all_steps: Object.entries(STEP_LABELS).map(([key, label], i) => ({ label, number: i + 1, href: stepPath(key as keyof typeof STEP_LABELS, current.id) })),
      replaces: active && active.id !== current.id ? connectionSummary(active) : null,
      tested: progress.tested ? { ...progress.tested, at: formatTime(progress.tested.at) } : null,
      certificates: certificateViews(await listCertificates(db, current.id), now()),
      attempts: (await recentAttempts(db, current, portal.organization_name, guide)).map((a) => ({ ...a, at: formatTime(a.at) })),
      done,
      gatehouse_event: done ? `gatehouse:sso_${done}` : null,
    });
  });

  router.get('/portal/sso/provider', session, async (k) => {
    const from = k.query.connection ? await w.connection(k, k.query.connection) : undefined;
    await w.render(k, 'portal/sso/provider.njk', {
      step: 'provider', title: 'Choose your identity provider', connection: from,
      providers: providerCards(), selected: { provider: from?.provider ?? '', protocol: from?.type ?? 'saml' }, from_id: from?.id ?? '',
      active: from?.state === 'active',
    });
  });

  router.post('/portal/sso/provider', ...form, async (k) => {
    const body = k.request.body as Record<string, unknown>;
    const provider = typeof body.provider === 'string' && isProviderKey(body.provider) ? body.provider : undefined;
    if (!provider) throw fieldInvalid('provider', 'unknown_provider', 'Choose your identity provider from the list.');
    const offered = findProvider(provider)!.protocols;
    // A provider with one protocol takes it whatever the radio said; with two, SAML unless OIDC was chosen.
    const protocol: Protocol = offered.length === 1 ? offered[0]! : body.protocol === 'oidc' ? 'oidc' : 'saml';
    const portal = portalOf(k);
    const connection = await uow(async (trx) => {
      // Checked inside the transaction that writes: the connection is the session org's, or nothing happens.
      const from = body.connection_id ? await w.connection(k, body.connection_id, trx) : undefined;
      return chooseProvider(trx, w.call(k), portal.organization_id, { provider, protocol }, from);
    });
    see(k, stepPath('instructions', connection.id));
  });

  router.get('/portal/sso/:id/instructions', session, async (k) => {
    const connection = await w.connection(k, k.params.id);
    const { steps, idpName } = providerOf(connection);
    const values = copyValues(w.ctx.config.baseUrl, connection);
    const attributes = mappingRows(connection).filter((r) => r.value !== '');
    await w.render(k, 'portal/sso/instructions.njk', {
      step: 'instructions', title: `Set up Gatehouse in ${idpName}`, connection,
      guide_name: idpName, guide_steps: steps?.steps ?? [], common_mistakes: steps?.commonMistakes ?? [],
      values, attributes, value_labels: COPY_LABELS, protocol: connection.type,
    });
  });

  router.get('/portal/sso/:id/mapping', session, async (k) => {
    const connection = await w.connection(k, k.params.id);
    await w.render(k, 'portal/sso/mapping.njk', { step: 'mapping', title: mappingTitle(connection), connection, rows: mappingRows(connection), errors: {}, guide_name: providerOf(connection).idpName });
  });

  router.post('/portal/sso/:id/mapping', ...form, async (k) => {
    const connection = await w.connection(k, k.params.id);
    const { mapping, errors } = mappingFromForm(connection, k.request.body as Record<string, unknown>);
    if (Object.keys(errors).length) {
      const typed = Object.fromEntries(Object.entries(k.request.body as Record<string, unknown>).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
      return w.render(k, 'portal/sso/mapping.njk', { step: 'mapping', title: mappingTitle(connection), connection, rows: mappingRows(connection, typed), errors, guide_name: providerOf(connection).idpName, status: 422 });
    }
    await uow(async (trx) => saveMapping(trx, w.call(k), await w.connection(k, connection.id, trx), mapping));
    see(k, stepPath('test', connection.id));
  });

  router.get('/portal/sso/:id/activate', session, async (k) => {
    const connection = await w.connection(k, k.params.id);
    const progress = await wizardProgress(db, connection);
    const { active } = await currentConnection(db, portalOf(k).organization_id);
    await w.render(k, 'portal/sso/activate.njk', {
      step: 'activate', title: connection.state === 'active' ? 'Single sign-on is active' : 'Activate single sign-on', connection, progress,
      tested: progress.tested ? { ...progress.tested, at: formatTime(progress.tested.at) } : null,
      replaces: active && active.id !== connection.id ? connectionSummary(active) : null,
      auto_provision: (await getOrganization(db, connection.organization_id)).auto_provision === 1,
    });
  });

  router.post('/portal/sso/:id/activate', ...form, async (k) => {
    await uow(async (trx) => activateTested(trx, w.call(k), await w.connection(k, k.params.id, trx)));
    see(k, '/portal/sso?done=activated');
  });

  router.post('/portal/sso/:id/deactivate', ...form, async (k) => {
    await uow(async (trx) => deactivate(trx, w.call(k), await w.connection(k, k.params.id, trx)));
    see(k, '/portal/sso?done=deactivated');
  });

  registerIdpStep(w);
  registerTestStep(w);
}

