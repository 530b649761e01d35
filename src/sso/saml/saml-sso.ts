import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import type { Call, ServiceContext } from '../../context.ts';
import type { Db } from '../../db/database.ts';
import type { Connection } from '../../db/schema.ts';
import type { UnitOfWork } from '../../db/transaction.ts';
import { AppError } from '../../http/errors.ts';
import type { Pages } from '../../http/pages.ts';
import { pageCspAllowingFormTarget } from '../../http/security-headers.ts';
import { activeConnectionOfType, getConnection, listCertificates } from '../connections.service.ts';
import type { SsoConnectionType } from '../home-realm.ts';
import { testResultPath, TICKET_TTL_MS } from '../login-tickets.ts';
import { renderRefusalPage } from '../refusals.ts';
import { completeSamlResponse } from './acs.service.ts';
import { createAuthnRequest, type AuthnRequestMessage } from './authn-request.ts';
import { loadSpKeys } from './sp-keys.ts';
import { spMetadataXml } from './sp-metadata.ts';
import { samlEndpoints } from './sp-endpoints.ts';
import { createValidatorPool, type ValidatorPool } from './validator-pool.ts';

/** The cookie that carries an IdP-initiated sign-in's ticket to the app's next authorisation request. */
export const IDP_INITIATED_COOKIE = 'gh_sso_ticket';
/** SAMLResponse form posts: a signed response with many groups is large, but never this large. */
const ACS_BODY_LIMIT = '512kb';

export interface SamlSso {
  type: SsoConnectionType;
  router: Router;
  pool: ValidatorPool;
  /** Starts a sign-in for a caller other than the provider (the wizard's test sign-in). */
  start(connectionId: string, signIn: { purpose: 'sign_in' | 'test'; interactionUid: string | null; loginHint?: string }): Promise<AuthnRequestMessage>;
  stop(): Promise<void>;
}

/** SAML SP: SP metadata, AuthnRequests, and the ACS (DESIGN.md HTTP surface, Sign-in, Security rules). */
export function createSamlSso(deps: { db: Db; uow: UnitOfWork; ctx: ServiceContext; pages: Pages; poolSize?: number }): SamlSso {
  const { db, uow, ctx, pages } = deps;
  const call: Call = { ctx, actor: { type: 'system' } };
  const pool = createValidatorPool({ size: deps.poolSize });
  const router = new Router();

  // SP keys are read (and unsealed) once a minute, not on every response: a rotation by the CLI, possibly
  // on another replica, shows within a minute, and the previous keys stay usable through their overlap.
  let spKeys: { at: number; keys: Promise<Awaited<ReturnType<typeof loadSpKeys>>> } | undefined;
  const currentSpKeys = () => {
    const now = ctx.clock.now().getTime();
    if (!spKeys || now - spKeys.at >= 60_000 || now < spKeys.at) {
      const keys = loadSpKeys(db, ctx.clock, ctx.box);
      spKeys = { at: now, keys };
      keys.catch(() => (spKeys = undefined));
    }
    return spKeys.keys;
  };

  async function samlConnection(id: string): Promise<Connection> {
    const row = await getConnection(db, id).catch(() => undefined);
    if (!row || row.type !== 'saml') throw new AppError(404, 'not_found', 'There is no SAML connection at this address.');
    return row;
  }

  async function start(connectionId: string, signIn: { purpose: 'sign_in' | 'test'; interactionUid: string | null; loginHint?: string }) {
    const connection = await samlConnection(connectionId);
    const keys = await currentSpKeys();
    return createAuthnRequest(db, call, connection, keys.signing[0]!, signIn);
  }

  const type: SsoConnectionType = {
    type: 'saml',
    async activeConnection(executor, organizationId) {
      return activeConnectionOfType(executor, organizationId, 'saml');
    },
    async startUrl(connectionId, signIn) {
      const connection = await samlConnection(connectionId);
      // HTTP-POST-only IdPs get a page that posts the request; the page builds it when opened.
      if (connection.saml_sso_binding === 'post') return `/sso/saml/${connectionId}/start?interaction=${encodeURIComponent(signIn.interactionUid)}`;
      const message = await start(connectionId, { purpose: 'sign_in', interactionUid: signIn.interactionUid, loginHint: signIn.loginHint });
      return message.url;
    },
  };

  function postPage(ctx: Context, message: Extract<AuthnRequestMessage, { binding: 'post' }>) {
    ctx.set('Content-Security-Policy', pageCspAllowingFormTarget(message.url));
    pages.render(ctx, 'sso/post-binding.njk', { title: 'Signing you in', action: message.url, fields: message.fields, destination: new URL(message.url).host });
  }

  router.get('/sso/saml/:id', async (k) => {
    await samlConnection(k.params.id!);
    k.redirect(`/sso/saml/${k.params.id}/metadata`);
  });

  router.get('/sso/saml/:id/metadata', async (k) => {
    const connection = await samlConnection(k.params.id!);
    k.type = 'application/xml; charset=utf-8';
    k.set('Cache-Control', 'no-cache');
    k.set('Content-Disposition', `inline; filename="gatehouse-${connection.id}-sp-metadata.xml"`);
    k.body = spMetadataXml(ctx.config.baseUrl, connection.id, await currentSpKeys());
  });

  router.get('/sso/saml/:id/start', async (k) => {
    const interaction = typeof k.query.interaction === 'string' ? k.query.interaction : '';
    if (!/^[A-Za-z0-9_-]{10,64}$/.test(interaction)) throw new AppError(400, 'bad_request', 'This sign-in link is incomplete. Go back to the application and sign in again.');
    const message = await start(k.params.id!, { purpose: 'sign_in', interactionUid: interaction });
    if (message.binding === 'redirect') return k.redirect(message.url);
    postPage(k, message);
  });

  const parseAcs = bodyParser({ enableTypes: ['form'], formLimit: ACS_BODY_LIMIT });
  router.post('/sso/saml/:id/acs', parseAcs, async (k) => {
    const connection = await samlConnection(k.params.id!);
    const body = (k.request.body ?? {}) as Record<string, unknown>;
    const samlResponse = typeof body.SAMLResponse === 'string' ? body.SAMLResponse : '';
    const relayState = typeof body.RelayState === 'string' ? body.RelayState : undefined;
    if (samlResponse === '') throw new AppError(400, 'bad_request', 'This address receives SAML responses from your identity provider; nothing was sent.');
    const reference: string = k.state.requestId;

    const [certificates, keys] = await Promise.all([listCertificates(db, connection.id), currentSpKeys()]);
    const sp = samlEndpoints(ctx.config.baseUrl, connection.id);
    const validation = await pool.validate({
      samlResponse,
      idpCertificates: certificates.map((c) => c.pem),
      spEntityId: sp.entityId,
      acsUrl: sp.acsUrl,
      decryptionKeys: keys.encryption.map((key) => key.privateKeyPem),
    });
    const outcome = await uow((trx) => completeSamlResponse(trx, call, connection, { validation, relayState, reference }));

    switch (outcome.kind) {
      case 'sign_in':
        // A top-level GET: the browser sends its SameSite=Lax interaction cookie again (the POST did not).
        k.status = 303;
        return k.redirect(`/login/${outcome.interactionUid}/sso`);
      case 'idp_initiated': {
        k.cookies.set(IDP_INITIATED_COOKIE, outcome.ticket.token, {
          httpOnly: true, sameSite: 'lax', path: '/login', maxAge: TICKET_TTL_MS, secure: ctx.config.baseUrl.startsWith('https:') && ctx.config.mode !== 'development', overwrite: true,
        });
        // OpenID Connect Core §4: third-party initiated login; the app starts a normal authorisation request.
        const target = new URL(outcome.initiateLoginUri);
        target.searchParams.set('iss', ctx.config.baseUrl);
        k.status = 303;
        return k.redirect(target.toString());
      }
      case 'test':
        // The setup wizard's test sign-in ends in the wizard, which shows what arrived (a GET: see sign_in).
        k.status = 303;
        return k.redirect(testResultPath({ ticketId: outcome.ticket.id }));
      case 'refused': {
        if (outcome.purpose === 'test') {
          k.status = 303;
          return k.redirect(testResultPath({ reference }));
        }
        const org = await db.selectFrom('organizations').select('name').where('id', '=', connection.organization_id).executeTakeFirst();
        return renderRefusalPage(pages, k, outcome.reason, org?.name);
      }
    }
  });

  return { type, router, pool, start, stop: () => pool.stop() };
}
