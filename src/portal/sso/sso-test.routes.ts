import type { Context } from 'koa';
import type { Connection } from '../../db/schema.ts';
import { AppError } from '../../http/errors.ts';
import { missingSettings } from '../../sso/connections.service.ts';
import type { TicketProfile } from '../../sso/login-tickets.ts';
import { refusalText } from '../../sso/refusals.ts';
import { portalOf } from '../portal.router.ts';
import { explainRefusal, recentAttempts } from './sso-diagnostics.ts';
import type { Wizard } from './sso-wizard.context.ts';
import { findTestFailure, takeTestSuccess } from './sso-test.service.ts';
import { currentConnection } from './sso-wizard.service.ts';
import { formatTime, providerOf, stepPath } from './sso-wizard.view.ts';

/**
 * Step 5, the test sign-in: a real round trip through the IdP (the same AuthnRequest or authorization
 * request as a sign-in, with purpose `test`) that ends back here, through the ACS or callback, with what
 * arrived or why it was refused. It signs nobody in and creates no user.
 */
export function registerTestStep(w: Wizard): void {
  const { router, session, uow, pages, db } = w;
  const form = [session, pages.formBody, pages.verifyCsrf];

  type Result =
    | { kind: 'success'; profile: TicketProfile; domain_verified: boolean; attributes: Array<{ name: string; values: string[] }>; warning: { title: string; message: string; fix: string | undefined } | null }
    | { kind: 'failure'; at: string; email: string | null; refusal: ReturnType<typeof explainRefusal> }
    | { kind: 'gone' };

  async function show(k: Context, connection: Connection, result: Result | null, status = 200, startError: string | null = null) {
    const portal = portalOf(k);
    const { guide, idpName } = providerOf(connection);
    const missing = await missingSettings(db, connection);
    await w.render(k, 'portal/sso/test.njk', {
      step: 'test', title: 'Test sign-in', connection, guide_name: idpName, missing, result, start_error: startError,
      attempts: (await recentAttempts(db, connection, portal.organization_name, guide, 5)).map((a) => ({ ...a, at: formatTime(a.at) })),
      status,
    });
  }

  router.get('/portal/sso/:id/test', session, async (k) => {
    await show(k, await w.connection(k, k.params.id), null);
  });

  router.post('/portal/sso/:id/test', ...form, async (k) => {
    const connection = await w.connection(k, k.params.id);
    const missing = await missingSettings(db, connection);
    if (missing.length) throw new AppError(409, 'connection_incomplete', `The test sign-in needs ${missing.join(', ')}: give them in step 3 first.`);
    if (connection.type === 'oidc') {
      let url: string;
      try {
        url = await w.oidc.start(connection.id, { purpose: 'test' });
      } catch (error) {
        // Discovery is fetched here: an issuer that stopped answering is shown as such, nothing started.
        if (error instanceof AppError) return show(k, connection, null, 502, error.message);
        throw error;
      }
      return continueTo(k, connection, url);
    }
    const message = await w.saml.start(connection.id, { purpose: 'test', interactionUid: null });
    if (message.binding === 'redirect') return continueTo(k, connection, message.url);
    allowFormTarget(k, message.url);
    pages.render(k, 'sso/post-binding.njk', { title: 'Starting the test sign-in', action: message.url, fields: message.fields, destination: new URL(message.url).host });
  });

  /**
   * A page rather than a redirect: browsers apply the test page's CSP form-action to every redirect after
   * its submission, and the IdP is on another origin (as views/login/continue-to-idp.njk explains).
   */
  function continueTo(k: Context, connection: Connection, url: string): Promise<void> {
    return w.render(k, 'portal/sso/continue.njk', { step: null, title: 'Continue to your identity provider', connection, url, guide_name: providerOf(connection).idpName });
  }

  /** The portal's CSP (frame-ancestors of the app) with form-action widened to the IdP's origin. */
  function allowFormTarget(k: Context, target: string) {
    const origin = new URL(target).origin;
    const csp = k.response.get('Content-Security-Policy');
    if (csp && origin !== 'null') k.set('Content-Security-Policy', csp.replace("form-action 'self'", `form-action 'self' ${origin}`));
  }

  // Where the ACS or callback sends the browser after a test: `ticket` (accepted) or `reference` (refused).
  router.get('/portal/sso/test-result', session, async (k) => {
    const portal = portalOf(k);
    const ticket = typeof k.query.ticket === 'string' ? k.query.ticket : undefined;
    const reference = typeof k.query.reference === 'string' ? k.query.reference : undefined;
    if (ticket) {
      const success = await uow((trx) => takeTestSuccess(trx, w.call(k), portal.organization_id, ticket));
      if (success) {
        const { profile, connection } = success;
        const outside = refusalText('email_outside_org_domains', portal.organization_name);
        return show(k, connection, {
          kind: 'success', profile, domain_verified: success.domainVerified,
          attributes: Object.entries(profile.attributes).map(([name, values]) => ({ name, values })),
          warning: success.domainVerified ? null : { ...outside, fix: providerOf(connection).guide?.diagnose.email_outside_org_domains },
        });
      }
    } else if (reference) {
      const found = await findTestFailure(db, portal.organization_id, reference);
      if (found) {
        const { connection, failure, at } = found;
        return show(k, connection, { kind: 'failure', at: formatTime(at), email: failure.email ?? null, refusal: explainRefusal(failure, portal.organization_name, providerOf(connection).guide) });
      }
    }
    // Shown once, expired, or another org's: say so on the current setup's page, without saying which.
    const { current } = await currentConnection(db, portal.organization_id);
    if (!current) {
      k.status = 303;
      return k.redirect(stepPath('provider'));
    }
    return show(k, current, { kind: 'gone' }, 404);
  });
}
