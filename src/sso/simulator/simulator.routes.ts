import Router from '@koa/router';
import type { Context } from 'koa';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../db/database.ts';
import type { Pages } from '../../http/pages.ts';
import { readRedirectAuthnRequest } from './authn-request-reader.ts';
import { postBindingCsp } from './post-binding-csp.ts';
import { simulatedResponse } from './simulated-response.ts';
import { connectionIdOf, findSimulatorTarget, type SimulatorTarget } from './simulator-connection.ts';
import { simulatorEndpoints } from './simulator-endpoints.ts';
import { checkAcsUrl, readPendingRequest, readPerson, type PendingRequest, type PersonValues } from './simulator-form.ts';
import { loadSimulatorKey, type SimulatorKey } from './simulator-key.ts';
import { simulatorMetadataXml } from './simulator-metadata.ts';

const EMPTY: PersonValues = { email: '', first_name: '', last_name: '', groups: '' };

/**
 * The development IdP simulator (DESIGN.md Layout `sso/simulator/`; app.ts mounts it only when
 * GATEHOUSE_MODE=development): a SAML IdP with its own key that signs in whoever the tester types, so a
 * sign-in runs through the real ACS, checks and provisioning without a real IdP.
 *
 *   GET  /sso/simulator            its entity id: redirects to the metadata
 *   GET  /sso/simulator/metadata   IdP metadata (certificate, HTTP-Redirect SSO URL)
 *   GET  /sso/simulator/sso        SP-initiated: reads the AuthnRequest, shows the sign-in page
 *   GET  /sso/simulator/start/:id  IdP-initiated: the same page for a connection, answering no request
 *   POST /sso/simulator/sso        signs a response and posts it to the ACS (HTTP-POST binding)
 */
export function createSimulatorRouter(deps: { db: Db; ctx: ServiceContext; pages: Pages }): Router {
  const { db, ctx, pages } = deps;
  const { baseUrl } = ctx.config;
  const idp = simulatorEndpoints(baseUrl);
  const router = new Router();

  // Made on first use, then kept for this app's life (the file is the source of truth across restarts).
  let key: Promise<SimulatorKey> | undefined;
  const simulatorKey = () => {
    key ??= loadSimulatorKey(ctx.config.dataDir, ctx.clock.now()).catch((err: unknown) => {
      key = undefined;
      throw err;
    });
    return key;
  };

  function renderSignIn(k: Context, target: SimulatorTarget, pending: PendingRequest, form: { values: PersonValues; errors?: Partial<PersonValues> }, status = 200) {
    const { connection } = target;
    pages.render(k, 'simulator/sign-in.njk', {
      action: new URL(idp.ssoUrl).pathname,
      organization: target.organizationName,
      connection: { id: connection.id, name: connection.name, state: connection.state, idp_initiated: connection.idp_initiated === 1 },
      domains: target.domains,
      sp_entity_id: target.sp.entityId,
      pending: { connection_id: pending.connectionId, request_id: pending.requestId ?? '', relay_state: pending.relayState ?? '', acs_url: pending.acsUrl },
      values: form.values,
      errors: form.errors ?? {},
      metadata_url: idp.metadataUrl,
    }, status);
  }

  router.get('/sso/simulator', (k) => k.redirect(idp.metadataUrl));

  router.get('/sso/simulator/metadata', async (k) => {
    k.type = 'application/xml; charset=utf-8';
    k.set('Cache-Control', 'no-cache');
    k.set('Content-Disposition', 'inline; filename="gatehouse-idp-simulator-metadata.xml"');
    k.body = simulatorMetadataXml(baseUrl, (await simulatorKey()).certificatePem);
  });

  router.get('/sso/simulator/sso', async (k) => {
    const request = readRedirectAuthnRequest(typeof k.query.SAMLRequest === 'string' ? k.query.SAMLRequest : '');
    const relayState = typeof k.query.RelayState === 'string' ? k.query.RelayState : '';
    const target = await findSimulatorTarget(db, baseUrl, connectionIdOf(baseUrl, request.issuer));
    const acsUrl = checkAcsUrl(target, request.acsUrl);
    // Checked as on POST, so a RelayState the form could not carry back is refused now rather than then.
    const pending = readPendingRequest({ connection_id: target.connection.id, request_id: request.id, relay_state: relayState, acs_url: acsUrl });
    renderSignIn(k, target, pending, { values: EMPTY });
  });

  router.get('/sso/simulator/start/:connectionId', async (k) => {
    const target = await findSimulatorTarget(db, baseUrl, k.params.connectionId);
    renderSignIn(k, target, { connectionId: target.connection.id, requestId: null, relayState: null, acsUrl: target.sp.acsUrl }, { values: EMPTY });
  });

  router.post('/sso/simulator/sso', pages.formBody, pages.verifyCsrf, async (k) => {
    const body = (k.request.body ?? {}) as Record<string, unknown>;
    const pending = readPendingRequest(body);
    const target = await findSimulatorTarget(db, baseUrl, pending.connectionId);
    checkAcsUrl(target, pending.acsUrl);
    const result = readPerson(body, target.domains);
    if (!result.ok) return renderSignIn(k, target, pending, result, 422);

    const samlResponse = await simulatedResponse({ key: await simulatorKey(), baseUrl, target, pending, person: result.person, now: ctx.clock.now() });
    const fields: Record<string, string> = { SAMLResponse: samlResponse, ...(pending.relayState ? { RelayState: pending.relayState } : {}) };
    k.set('Content-Security-Policy', await postBindingCsp(db, target.sp.acsUrl));
    pages.render(k, 'sso/post-binding.njk', { title: 'Signing you in', action: target.sp.acsUrl, fields, destination: new URL(target.sp.acsUrl).host });
  });

  return router;
}
