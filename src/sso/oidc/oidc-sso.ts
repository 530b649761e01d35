import Router from '@koa/router';
import * as client from 'openid-client';
import type { Context } from 'koa';
import type { Call, ServiceContext } from '../../context.ts';
import type { Db, Executor } from '../../db/database.ts';
import type { Connection, UpstreamPurpose } from '../../db/schema.ts';
import type { UnitOfWork } from '../../db/transaction.ts';
import { AppError } from '../../http/errors.ts';
import type { Pages } from '../../http/pages.ts';
import { mapOidcProfile, type AttributeMapping } from '../attribute-mapping.ts';
import { activeConnectionOfType, getConnection } from '../connections.service.ts';
import type { SsoConnectionType } from '../home-realm.ts';
import { issueLoginTicket, testResultPath } from '../login-tickets.ts';
import { recordSsoRefusal, renderRefusalPage, type SsoRefusal } from '../refusals.ts';
import { createUpstreamClients, type UpstreamClients } from './upstream-client.ts';

/** How long Gatehouse waits for the person to come back from the provider. */
export const OIDC_REQUEST_TTL_MS = 15 * 60_000;

export const oidcRedirectUri = (baseUrl: string, connectionId: string) => `${baseUrl}/sso/oidc/${connectionId}/callback`;

export interface OidcSso {
  type: SsoConnectionType;
  router: Router;
  clients: UpstreamClients;
  /** Starts a sign-in for a caller other than the provider (the wizard's test sign-in): the provider's authorization URL. */
  start(connectionId: string, signIn: { purpose: UpstreamPurpose; interactionUid?: string | null; loginHint?: string }): Promise<string>;
}

type Refused = { refused: SsoRefusal; detail: string; email?: string };

/**
 * Gatehouse as OIDC relying party to a customer's provider (DESIGN.md Security rules): authorization code
 * with PKCE S256, state and nonce kept server side and bound to the sign-in, RFC 9207 `iss`, the ID token
 * checked against the provider's JWKS by openid-client, userinfo merged, then the same login ticket as SAML.
 */
export function createOidcSso(deps: { db: Db; uow: UnitOfWork; ctx: ServiceContext; pages: Pages }): OidcSso {
  const { db, uow, ctx, pages } = deps;
  const call: Call = { ctx, actor: { type: 'system' } };
  const clients = createUpstreamClients({ box: ctx.box, mode: ctx.config.mode, now: () => ctx.clock.now().getTime() });
  const router = new Router();

  async function oidcConnection(executor: Executor, id: string): Promise<Connection> {
    const row = await getConnection(executor, id).catch(() => undefined);
    if (!row || row.type !== 'oidc') throw new AppError(404, 'not_found', 'There is no OIDC connection at this address.');
    return row;
  }

  async function start(connectionId: string, signIn: { purpose: UpstreamPurpose; interactionUid?: string | null; loginHint?: string }): Promise<string> {
    const connection = await oidcConnection(db, connectionId);
    const config = await clients.configuration(connection);
    const state = client.randomState();
    const nonce = client.randomNonce();
    const verifier = client.randomPKCECodeVerifier();
    const now = ctx.clock.now();
    await db
      .insertInto('oidc_requests')
      .values({
        state, connection_id: connection.id, interaction_uid: signIn.interactionUid ?? null, purpose: signIn.purpose, nonce,
        code_verifier_sealed: ctx.box.seal(verifier, `oidc-request:${state}`),
        expires_at: new Date(now.getTime() + OIDC_REQUEST_TTL_MS).toISOString(), created_at: now.toISOString(),
      })
      .execute();
    return client.buildAuthorizationUrl(config, {
      redirect_uri: oidcRedirectUri(ctx.config.baseUrl, connection.id),
      scope: connection.oidc_scopes ?? 'openid email profile',
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...(signIn.loginHint ? { login_hint: signIn.loginHint } : {}),
    }).href;
  }

  const type: SsoConnectionType = {
    type: 'oidc',
    async activeConnection(executor, organizationId) {
      return activeConnectionOfType(executor, organizationId, 'oidc');
    },
    startUrl: (connectionId, signIn) => start(connectionId, { purpose: 'sign_in', interactionUid: signIn.interactionUid, loginHint: signIn.loginHint }),
  };

  /** The token exchange and ID token checks (network: outside any transaction). */
  async function exchange(connection: Connection, k: Context, request: { state: string; nonce: string; verifier: string }): Promise<{ claims: Record<string, unknown> } | Refused> {
    let config: client.Configuration;
    try {
      config = await clients.configuration(connection);
    } catch (error) {
      return { refused: 'idp_unreachable', detail: error instanceof Error ? error.message : String(error) };
    }
    const currentUrl = new URL(`${oidcRedirectUri(ctx.config.baseUrl, connection.id)}?${k.querystring}`);
    try {
      const tokens = await client.authorizationCodeGrant(config, currentUrl, { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce, idTokenExpected: true });
      const claims: Record<string, unknown> = { ...tokens.claims() };
      if (config.serverMetadata().userinfo_endpoint) {
        // Userinfo fills in what the ID token left out (Okta and Keycloak keep names there); the ID token wins.
        const userinfo = await client.fetchUserInfo(config, tokens.access_token, String(claims.sub));
        for (const [name, value] of Object.entries(userinfo)) if (!(name in claims)) claims[name] = value;
      }
      return { claims };
    } catch (error) {
      return classify(error);
    }
  }

  router.get('/sso/oidc/:id/callback', async (k) => {
    const connection = await oidcConnection(db, k.params.id!);
    const org = await db.selectFrom('organizations').select('name').where('id', '=', connection.organization_id).executeTakeFirstOrThrow();
    const reference: string = k.state.requestId;
    // The purpose of the sign-in this answers, once its state is found: a test ends in the setup wizard.
    let purpose: UpstreamPurpose | null = null;
    const refuse = async (refusal: Refused) => {
      await uow((trx) => recordSsoRefusal(trx, call, connection.organization_id, { connection_id: connection.id, reason: refusal.refused, reference, detail: refusal.detail, ...(refusal.email ? { email: refusal.email } : {}) }));
      if (purpose === 'test') {
        k.status = 303;
        return k.redirect(testResultPath({ reference }));
      }
      return renderRefusalPage(pages, k, refusal.refused, org.name);
    };

    const state = typeof k.query.state === 'string' ? k.query.state : '';
    // The request this answers, spent now whatever happens next (a second use of the link is refused).
    const request = state ? await uow(async (trx) => {
      const row = await trx.selectFrom('oidc_requests').selectAll().where('state', '=', state).where('connection_id', '=', connection.id).executeTakeFirst();
      if (row) await trx.deleteFrom('oidc_requests').where('state', '=', state).execute();
      return row;
    }) : undefined;
    if (!request || request.expires_at <= ctx.clock.now().toISOString()) {
      return refuse({ refused: 'state_unknown', detail: 'The callback\'s state names no sign-in this connection started, or it was already used or expired.' });
    }
    purpose = request.purpose;
    if (typeof k.query.error === 'string') {
      const description = typeof k.query.error_description === 'string' ? `: ${k.query.error_description.slice(0, 300)}` : '';
      return refuse({ refused: 'idp_error', detail: `The provider answered ${k.query.error.slice(0, 100)}${description}` });
    }
    const verifier = ctx.box.open(request.code_verifier_sealed, `oidc-request:${request.state}`);
    const exchanged = await exchange(connection, k, { state: request.state, nonce: request.nonce, verifier });
    if ('refused' in exchanged) return refuse(exchanged);
    const { claims } = exchanged;

    const mapping = JSON.parse(connection.attribute_mapping) as AttributeMapping;
    const trust = connection.oidc_trust_emails === null ? {} : { trustEmails: connection.oidc_trust_emails === 1 };
    const mapped = mapOidcProfile(claims, connection.provider, { ...mapping, ...trust });
    if (!mapped.ok) {
      const email = typeof claims.email === 'string' ? claims.email : undefined;
      return refuse({ refused: mapped.reason, detail: `The ID token for subject "${String(claims.sub)}" has no usable email (claims: ${Object.keys(claims).join(', ')}).`, ...(email ? { email } : {}) });
    }
    if (request.purpose === 'sign_in' && connection.state !== 'active') {
      return refuse({ refused: 'connection_inactive', detail: `The connection is ${connection.state}.` });
    }
    const ticket = await uow((trx) => issueLoginTicket(trx, call, {
      connectionId: connection.id, organizationId: connection.organization_id, purpose: request.purpose, interactionUid: request.interaction_uid, clientId: null,
      profile: { ...mapped.profile, attributes: Object.fromEntries(Object.entries(claims).map(([n, v]) => [n, (Array.isArray(v) ? v : [v]).map(String)])), nameIdFormat: null },
    }));
    if (request.purpose === 'test' || !request.interaction_uid) {
      // The setup wizard's test sign-in ends in the wizard, which shows what arrived.
      k.status = 303;
      return k.redirect(testResultPath({ ticketId: ticket.id }));
    }
    k.status = 303;
    k.redirect(`/login/${request.interaction_uid}/sso`);
  });

  return { type, router, clients, start };
}

/** openid-client's errors, as typed refusal reasons with the details an admin needs. */
function classify(error: unknown): Refused {
  // openid-client wraps oauth4webapi's errors in a generic ClientError ("invalid response encountered",
  // "unexpected JWT claim value encountered"): its cause names the check that failed.
  const cause = error instanceof client.ClientError && error.cause instanceof Error ? error.cause : undefined;
  const message = `${error instanceof Error ? error.message : String(error)}${cause ? `: ${cause.message}` : ''}`;
  const code = (error as { code?: string }).code ?? '';
  if (error instanceof client.ResponseBodyError) {
    return { refused: 'token_exchange_failed', detail: `The token endpoint refused the code: ${error.error}${error.error_description ? ` (${error.error_description})` : ''}. A wrong client secret answers invalid_client.` };
  }
  // RFC 6749 §5.2: a client that authenticated with HTTP Basic gets its refusal as a 401 challenge.
  if (error instanceof client.WWWAuthenticateChallengeError) {
    const challenge = error.cause[0];
    const description = challenge?.parameters.error_description ? ` (${challenge.parameters.error_description})` : '';
    return { refused: 'token_exchange_failed', detail: `The provider answered HTTP ${error.status} with a ${challenge?.scheme ?? 'WWW-Authenticate'} challenge: ${challenge?.parameters.error ?? 'no error code'}${description}. A wrong client secret answers invalid_client.` };
  }
  if (error instanceof client.AuthorizationResponseError) return { refused: 'idp_error', detail: `The provider answered ${error.error}: ${error.error_description ?? ''}` };
  if (/"iss"/.test(message) && !/ID Token|id_token|JWT/i.test(message)) return { refused: 'issuer_mismatch', detail: `The authorization response names another issuer (RFC 9207): ${message}` };
  if (error instanceof TypeError || /fetch failed|timed out|ECONNREFUSED|ENOTFOUND/i.test(message) || code === 'ECONNREFUSED') {
    return { refused: 'idp_unreachable', detail: `The provider could not be reached: ${message}` };
  }
  return { refused: 'id_token_invalid', detail: `The ID token was refused (${code || 'invalid'}): ${message}` };
}
