import type { Context } from 'koa';
import Provider, { type Adapter } from 'oidc-provider';
import type { Logger } from 'pino';
import type { ServiceContext } from '../context.ts';
import { tokenMatches } from '../crypto/tokens.ts';
import type { Db } from '../db/database.ts';
import { CLAIMS_BY_SCOPE, SCOPES, grantOrganization, loadAccountClaims } from './account.ts';
import { createClientAdapter } from './client-adapter.ts';
import { createAdapterFactory } from './kysely-adapter.ts';
import { deriveKey } from '../crypto/master-key.ts';

/** Paths node-oidc-provider answers; everything else is Gatehouse's. */
export const OIDC_PREFIX = '/oidc';
export const isProviderPath = (path: string) => path === '/.well-known/openid-configuration' || path.startsWith(`${OIDC_PREFIX}/`);

// @types/oidc-provider does not resolve fully under TypeScript 7 (an `import = require` in an ESM
// declaration file), so the configuration's callbacks get small local types instead.
/* eslint-disable @typescript-eslint/no-explicit-any */
type OidcCtx = any;
type Configuration = Record<string, any>;
type OidcClientInstance = { tokenEndpointAuthMethod: string; grantTypeAllowed(type: string): boolean; [key: string]: unknown };

const HOUR = 3600;
const DAY = 24 * HOUR;

export interface ProviderDeps {
  ctx: ServiceContext;
  db: Db;
  log: Logger;
  masterKey: Buffer;
  jwks: { keys: object[] };
  renderError?: (ctx: Context, out: Record<string, string>, error: Error) => void;
  logoutSource?: (ctx: Context, form: string, clientName: string | undefined) => void;
  postLogoutSuccessSource?: (ctx: Context, clientName: string | undefined) => void;
}

/** node-oidc-provider configured as Gatehouse's own OpenID provider (DESIGN.md "Sign-in"). */
export function createOidcProvider(deps: ProviderDeps): Provider {
  const { ctx: service, db } = deps;
  const payloadAdapters = createAdapterFactory(db, service.clock);
  const adapter = (name: string): Adapter => (name === 'Client' ? createClientAdapter(db) : payloadAdapters(name));
  const cookieKey = deriveKey(deps.masterKey, 'oidc cookie keys').toString('base64url');

  const configuration: Configuration = {
    adapter,
    jwks: deps.jwks as Configuration['jwks'],
    cookies: {
      keys: [cookieKey],
      long: { httpOnly: true, sameSite: 'lax', secure: service.config.mode !== 'development' && service.config.baseUrl.startsWith('https:') },
      short: { httpOnly: true, sameSite: 'lax', secure: service.config.mode !== 'development' && service.config.baseUrl.startsWith('https:') },
    },
    routes: {
      authorization: `${OIDC_PREFIX}/auth`,
      token: `${OIDC_PREFIX}/token`,
      userinfo: `${OIDC_PREFIX}/me`,
      jwks: `${OIDC_PREFIX}/jwks`,
      end_session: `${OIDC_PREFIX}/session/end`,
      revocation: `${OIDC_PREFIX}/token/revocation`,
      introspection: `${OIDC_PREFIX}/token/introspection`,
    },
    responseTypes: ['code'],
    scopes: SCOPES,
    claims: { ...CLAIMS_BY_SCOPE, openid: [...CLAIMS_BY_SCOPE.openid] } as unknown as Configuration['claims'],
    extraParams: ['organization', 'domain_hint'],
    pkce: { required: (_ctx: OidcCtx, client: OidcClientInstance) => client.tokenEndpointAuthMethod === 'none' },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        ...(deps.logoutSource ? { logoutSource: async (ctx: OidcCtx, form: string) => deps.logoutSource!(ctx as Context, form, ctx.oidc.client?.clientName) } : {}),
        ...(deps.postLogoutSuccessSource ? { postLogoutSuccessSource: async (ctx: OidcCtx) => deps.postLogoutSuccessSource!(ctx as Context, ctx.oidc.client?.clientName) } : {}),
      },
      revocation: { enabled: true },
      userinfo: { enabled: true },
    },
    interactions: { url: (_ctx: OidcCtx, interaction: { uid: string }) => `/login/${interaction.uid}` },
    ttl: {
      AccessToken: HOUR,
      AuthorizationCode: 60,
      IdToken: HOUR,
      Interaction: HOUR,
      Grant: 14 * DAY,
      Session: 14 * DAY,
      RefreshToken: 14 * DAY,
    },
    conformIdTokenClaims: false,
    clientBasedCORS: (_ctx: OidcCtx, origin: string, client: OidcClientInstance) => ((client['urn:gatehouse:allowed_origins'] as string[] | undefined) ?? []).includes(origin),
    extraClientMetadata: { properties: ['urn:gatehouse:allowed_origins'] },
    issueRefreshToken: async (_ctx: OidcCtx, client: OidcClientInstance, code: { scopes: Set<string> }) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    async findAccount(ctx: OidcCtx, sub: string, token: unknown) {
      const grantId = (token as { grantId?: string } | undefined)?.grantId ?? (ctx.oidc.entities as { Grant?: { jti: string } }).Grant?.jti;
      const claims = await loadAccountClaims(db, sub, grantId);
      if (!claims) return undefined;
      return { accountId: sub, claims: async () => claims as { sub: string } };
    },
    /**
     * First-party clients: no consent screen. An existing grant is reused when it was made for the
     * organization the app asks for (the `organization` parameter); otherwise the consent prompt runs,
     * which is where Gatehouse asks the person to choose an organization.
     */
    async loadExistingGrant(ctx: OidcCtx) {
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session?.grantIdFor(ctx.oidc.client!.clientId);
      if (!grantId) return undefined;
      const grant = await ctx.oidc.provider.Grant.find(grantId);
      if (!grant) return undefined;
      const bound = await grantOrganization(db, grantId);
      const wanted = ctx.oidc.params?.organization as string | undefined;
      if (!bound || (wanted && bound.organizationId !== wanted)) return undefined;
      const requested = String(ctx.oidc.params?.scope ?? '').split(' ').filter((s) => SCOPES.includes(s));
      if (requested.some((s: string) => !grant.getOIDCScope().split(' ').includes(s))) {
        grant.addOIDCScope(requested.join(' '));
        await grant.save();
      }
      return grant;
    },
    renderError: async (ctx: OidcCtx, out: Record<string, string>, error: Error) => {
      if (deps.renderError) return deps.renderError(ctx as unknown as Context, out as Record<string, string>, error);
      ctx.type = 'html';
      ctx.body = `<!doctype html><title>Sign-in error</title><h1>Sign-in error</h1><p>${String(out.error_description ?? out.error).replace(/[<>&"]/g, '')}</p>`;
    },
  };

  const provider = new Provider(service.config.baseUrl, configuration as never);
  provider.proxy = service.config.baseUrl.startsWith('https:');
  // Client secrets are stored as SHA-256 hashes (the metadata's client_secret holds the hash): compare
  // the presented secret's hash in constant time instead of the plaintext.
  (provider.Client as unknown as { prototype: { compareClientSecret: (actual: string) => boolean } }).prototype.compareClientSecret = function compareClientSecret(this: { clientSecret?: string }, actual: string) {
    return Boolean(this.clientSecret) && tokenMatches(actual, this.clientSecret!);
  };
  for (const event of ['server_error', 'authorization.error', 'grant.error', 'end_session.error', 'userinfo.error']) {
    (provider as unknown as { on(e: string, f: (...args: any[]) => void): void }).on(event, (_ctx: unknown, err: Error & { error_description?: string }) => deps.log.info({ event, error: err.message, description: err.error_description }, 'oidc refusal'));
  }
  return provider;
}
