import http from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

/** A person at the upstream provider, with the claims it releases. */
export interface UpstreamAccount {
  sub: string;
  claims: Record<string, unknown>;
}

export interface UpstreamOidc {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Who the next authorisation request signs in (the upstream's login page is skipped). */
  signInAs(account: UpstreamAccount): void;
  /** The next authorisation request answers with this OAuth error instead of signing in. */
  failNextWith(error: string | undefined): void;
  /** Replaces the signing key (the old one leaves the JWKS at once). */
  rotateKeys(): void;
  close(): Promise<void>;
}

function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: `k-${Date.now()}-${Math.random().toString(36).slice(2)}`, alg: 'RS256', use: 'sig' };
}

/**
 * A real OpenID provider (node-oidc-provider) on 127.0.0.1, standing in for a customer's Okta or
 * Keycloak: discovery, authorization code with PKCE, ID tokens signed with its own JWKS, userinfo.
 */
export async function startUpstreamOidc(options: { redirectUris: string[]; clientId?: string; clientSecret?: string }): Promise<UpstreamOidc> {
  let account: UpstreamAccount = { sub: 'nobody', claims: {} };
  let failWith: string | undefined;
  const accounts = new Map<string, UpstreamAccount>();
  const clientId = options.clientId ?? 'gatehouse';
  const clientSecret = options.clientSecret ?? 'upstream-secret-upstream-secret-0123456789';
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  const build = (keys: object[]) => {
    const provider = new Provider(issuer, {
      clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: options.redirectUris, grant_types: ['authorization_code'], response_types: ['code'] }],
      jwks: { keys } as never,
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['given_name', 'family_name', 'name'], groups: ['groups'] },
      features: { devInteractions: { enabled: false } },
      pkce: { required: () => true },
      findAccount: async (_ctx: unknown, sub: string) => {
        const found = accounts.get(sub);
        return found ? { accountId: sub, claims: async () => ({ sub, ...found.claims }) } : undefined;
      },
      interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
      cookies: { keys: ['upstream-cookie-key'] },
      ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 600, Grant: 600 },
    } as never);
    provider.proxy = false;
    return provider;
  };
  let provider = build([signingKey()]);

  server.on('request', async (req, res) => {
    const match = /^\/interaction\/([^/?]+)/.exec(req.url ?? '');
    if (!match) return provider.callback()(req, res);
    try {
      const details = await provider.interactionDetails(req, res);
      if (failWith) {
        const error = failWith;
        failWith = undefined;
        return await provider.interactionFinished(req, res, { error, error_description: 'The user is not assigned to this application.' }, { mergeWithLastSubmission: false });
      }
      accounts.set(account.sub, account);
      const grant = new provider.Grant({ accountId: account.sub, clientId: String(details.params.client_id) });
      grant.addOIDCScope(String(details.params.scope));
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { login: { accountId: account.sub }, consent: { grantId } }, { mergeWithLastSubmission: false });
    } catch (error) {
      res.statusCode = 500;
      res.end(String(error));
    }
  });

  return {
    issuer, clientId, clientSecret,
    signInAs(next) { account = next; },
    failNextWith(error) { failWith = error; },
    rotateKeys() { provider = build([signingKey()]); },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
