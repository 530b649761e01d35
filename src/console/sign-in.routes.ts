import * as oidc from 'openid-client';
import type { Call } from '../context.ts';
import { CONSOLE_CLIENT_ID } from '../provider/clients.service.ts';
import { OIDC_PREFIX } from '../provider/provider.ts';
import { recordSignInRefusal } from '../provider/sign-in.service.ts';
import type { ConsoleRouter } from './console.router.ts';

/**
 * The org admin console signs in through Gatehouse's own provider exactly as any app does (code flow
 * with PKCE, state and nonce, ID token checked against the JWKS) and admits admins of the chosen org.
 */
export function registerSignInPages({ router, page, deps, cookies, render, adminsOnly }: ConsoleRouter): void {
  const { pages } = deps;
  const base = deps.ctx.config.baseUrl;

  function rpConfig(): oidc.Configuration {
    const config = new oidc.Configuration(
      {
        issuer: base,
        authorization_endpoint: `${base}${OIDC_PREFIX}/auth`,
        token_endpoint: `${base}${OIDC_PREFIX}/token`,
        jwks_uri: `${base}${OIDC_PREFIX}/jwks`,
        end_session_endpoint: `${base}${OIDC_PREFIX}/session/end`,
        authorization_response_iss_parameter_supported: true,
      },
      CONSOLE_CLIENT_ID,
      deps.clientSecret,
      oidc.ClientSecretBasic(deps.clientSecret),
    );
    // Token and JWKS requests go to this process directly, not out through the public URL and back.
    config[oidc.customFetch] = (url: string, options: oidc.CustomFetchOptions) => {
      const internal = deps.internalUrl();
      const target = internal && url.startsWith(base) ? internal + url.slice(base.length) : url;
      return fetch(target, options as RequestInit);
    };
    if (new URL(base).protocol === 'http:') oidc.allowInsecureRequests(config);
    return config;
  }

  router.get('/console', page, async (ctx) => {
    await render(ctx, 'console/home.njk', 'home');
  });

  router.get('/console/login', async (ctx) => {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    cookies.writeAuth(ctx, { state, nonce, verifier });
    const organization = typeof ctx.query.organization === 'string' ? ctx.query.organization : undefined;
    const url = oidc.buildAuthorizationUrl(rpConfig(), {
      redirect_uri: `${base}/console/callback`,
      scope: 'openid email profile organization',
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...(organization ? { organization } : {}),
    });
    ctx.redirect(url.href);
  });

  router.get('/console/callback', async (ctx) => {
    const auth = cookies.readAuth(ctx);
    cookies.clearAuth(ctx);
    const retry = { href: '/console/login', label: 'Sign in again' };
    if (!auth) return pages.render(ctx, 'login/message.njk', { title: 'This sign-in has expired', message: 'Start again from the console.', tone: 'error', action: retry }, 400);
    let claims: oidc.IDToken;
    let idToken: string;
    try {
      const current = new URL(ctx.originalUrl, base);
      const tokens = await oidc.authorizationCodeGrant(rpConfig(), current, { pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce });
      claims = tokens.claims()!;
      idToken = tokens.id_token!;
    } catch (err) {
      ctx.state.log?.info({ error: (err as Error).message }, 'console sign-in failed');
      return pages.render(ctx, 'login/message.njk', { title: 'Sign-in did not complete', message: 'The console could not finish signing you in. Try again.', tone: 'error', action: retry }, 400);
    }
    const organizationId = String(claims.org_id ?? '');
    if (claims.org_role !== 'admin') {
      const call: Call = { ctx: deps.ctx, actor: { type: 'user', id: claims.sub } };
      await deps.uow((trx) => recordSignInRefusal(trx, call, { reason: 'not_an_admin', clientId: CONSOLE_CLIENT_ID, organizationId: organizationId || null, userId: claims.sub }));
      // Kept only so "Sign out" can end the provider session: currentAdmin() admits admins alone.
      cookies.writeSession(ctx, { userId: claims.sub, organizationId, idToken });
      return adminsOnly(ctx, 'The Gatehouse console is for administrators of your organization. Sign out, then sign in with an administrator account, or ask an administrator for access.', { href: '/console/sign-out', label: 'Sign out' });
    }
    cookies.writeSession(ctx, { userId: claims.sub, organizationId, idToken });
    ctx.redirect('/console');
  });

  // Signing out is a POST with the CSRF field: a GET would let any page sign an admin out.
  router.post('/console/logout', pages.formBody, pages.verifyCsrf, async (ctx) => {
    const session = cookies.readSession(ctx);
    cookies.clearSession(ctx);
    if (!session) return ctx.redirect('/console/signed-out');
    ctx.redirect(oidc.buildEndSessionUrl(rpConfig(), { id_token_hint: session.idToken, post_logout_redirect_uri: `${base}/console/signed-out` }).href);
  });

  // A page with the sign-out form, for places that can only link (the "Administrators only" page).
  router.get('/console/sign-out', (ctx) => {
    pages.render(ctx, 'login/sign-out.njk', { action: '/console/logout' });
  });

  router.get('/console/signed-out', (ctx) => {
    pages.render(ctx, 'login/message.njk', { title: 'You are signed out', message: 'You have signed out of the Gatehouse console.', tone: 'success', action: { href: '/console/login', label: 'Sign in again' } });
  });

}
