import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import http from 'node:http';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from '../../helpers/api.ts';
import { HttpBrowser, type Page } from '../../helpers/http-browser.ts';
import { type LiveApp, startLiveApp } from '../../helpers/live-app.ts';
import { freePort } from '../../helpers/server-process.ts';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';
import { startUpstreamOidc, type UpstreamOidc } from '../../helpers/upstream-oidc.ts';

/**
 * Attacks on Gatehouse as OIDC relying party (DESIGN.md Security rules, "OIDC RP" and identity linking):
 * each answer is refused with its own reason, the person is not signed in, and the only row written is
 * the `sso.signin_failed` event.
 */

const CALLBACK = 'http://127.0.0.1:9/callback';
const FAKE_CLIENT = { id: 'gatehouse', secret: 'fake-secret-fake-secret-0123456789' };

// ---------------------------------------------------------------------------------------------------
// A fake OpenID provider that misbehaves on request. Honest by default: single-use codes, PKCE and
// client_secret_basic checked, ID tokens signed RS256 by the key its JWKS publishes.
// ---------------------------------------------------------------------------------------------------

interface Person {
  sub: string;
  claims: Record<string, unknown>;
}

/** How the next sign-in goes wrong (each bad case differs from a good one by this one change). */
interface Misbehaviour {
  /** Claims laid over the honest ID token (nonce, aud, exp, iss…). */
  idToken?: Record<string, unknown>;
  /** The authorization response's `iss` parameter (RFC 9207) instead of the issuer. */
  responseIss?: string;
  /** Sign the ID token with a key the JWKS does not publish, now or later, under this `kid`. */
  rogueKid?: string;
}

interface FakeProvider {
  issuer: string;
  /** Every request path it answered, in order. */
  requests: string[];
  signInAs(person: Person, misbehaviour?: Misbehaviour): void;
  /** The provider's admin regenerated the client secret: the one Gatehouse holds is now wrong. */
  acceptSecret(secret: string, options?: { challenge: boolean }): void;
  /** Every code issued so far expires (or was redeemed already): the token endpoint answers invalid_grant. */
  expireCodes(): void;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

const b64json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A compact JWS, RS256 (RFC 7515 §3.1), by hand: the fake must be able to sign what no library would. */
function signJwt(payload: Record<string, unknown>, key: KeyObject, kid: string): string {
  const input = `${b64json({ alg: 'RS256', typ: 'JWT', kid })}.${b64json(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

async function startFakeProvider(): Promise<FakeProvider> {
  const good = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rogue = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...good.publicKey.export({ format: 'jwk' }), kid: 'fake-1', alg: 'RS256', use: 'sig' };
  let person: Person = { sub: 'nobody', claims: {} };
  let misbehaviour: Misbehaviour = {};
  let secret = { value: FAKE_CLIENT.secret, challenge: true };
  const codes = new Map<string, { nonce: string; challenge: string; redirectUri: string; person: Person; misbehaviour: Misbehaviour }>();
  const accessTokens = new Map<string, Person>();
  const requests: string[] = [];
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const issuer = `http://127.0.0.1:${port}`;

  const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(JSON.stringify(body));
  };
  const readBody = (req: http.IncomingMessage) => new Promise<string>((resolve) => {
    let text = '';
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => resolve(text));
  });

  server.on('request', async (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    requests.push(url.pathname);
    if (url.pathname.endsWith('/.well-known/openid-configuration')) {
      // Served under any path, always naming the root issuer: `${issuer}/tenant-b` is a mix-up.
      return json(res, 200, {
        issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`,
        userinfo_endpoint: `${issuer}/userinfo`, response_types_supported: ['code'], code_challenge_methods_supported: ['S256'],
        id_token_signing_alg_values_supported: ['RS256'], token_endpoint_auth_methods_supported: ['client_secret_basic'],
        subject_types_supported: ['public'], authorization_response_iss_parameter_supported: true,
      });
    }
    if (url.pathname === '/jwks') return json(res, 200, { keys: [jwk] });
    if (url.pathname === '/authorize') {
      const q = url.searchParams;
      const code = randomBytes(16).toString('base64url');
      codes.set(code, { nonce: q.get('nonce') ?? '', challenge: q.get('code_challenge') ?? '', redirectUri: q.get('redirect_uri')!, person, misbehaviour });
      misbehaviour = {};
      const back = new URL(q.get('redirect_uri')!);
      back.search = new URLSearchParams({ code, state: q.get('state') ?? '', iss: codes.get(code)!.misbehaviour.responseIss ?? issuer }).toString();
      res.writeHead(302, { location: back.href }).end();
      return;
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      const form = new URLSearchParams(await readBody(req));
      const [id, pass] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString().split(':').map((s) => decodeURIComponent(s ?? ''));
      if (id !== FAKE_CLIENT.id || pass !== secret.value) {
        // RFC 6749 §5.2: a client that tried HTTP Basic gets 401 and a Basic challenge (node-oidc-provider does so).
        return json(res, 401, { error: 'invalid_client', error_description: 'client authentication failed' }, secret.challenge ? { 'www-authenticate': `Basic realm="${issuer}", error="invalid_client"` } : {});
      }
      const entry = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? '');
      const verifier = form.get('code_verifier') ?? '';
      if (!entry || entry.redirectUri !== form.get('redirect_uri') || createHash('sha256').update(verifier).digest('base64url') !== entry.challenge) {
        return json(res, 400, { error: 'invalid_grant', error_description: 'grant request is invalid' });
      }
      const accessToken = randomBytes(16).toString('base64url');
      accessTokens.set(accessToken, entry.person);
      const now = Math.floor(Date.now() / 1000);
      const claims = { iss: issuer, sub: entry.person.sub, aud: FAKE_CLIENT.id, iat: now, exp: now + 300, nonce: entry.nonce, ...entry.person.claims, ...entry.misbehaviour.idToken };
      const idToken = entry.misbehaviour.rogueKid ? signJwt(claims, rogue.privateKey, entry.misbehaviour.rogueKid) : signJwt(claims, good.privateKey, jwk.kid);
      return json(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: 300, id_token: idToken });
    }
    if (url.pathname === '/userinfo') {
      const found = accessTokens.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
      return found ? json(res, 200, { sub: found.sub, ...found.claims }) : json(res, 401, {}, { 'www-authenticate': 'Bearer error="invalid_token"' });
    }
    res.writeHead(404).end();
  });

  return {
    issuer, requests,
    signInAs(next, bad = {}) {
      person = next;
      misbehaviour = bad;
    },
    acceptSecret(value, options = { challenge: true }) {
      secret = { value, challenge: options.challenge };
    },
    expireCodes() {
      codes.clear();
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
    async restart() {
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Driving Gatehouse as the app and the person's browser do, and proving nothing was written.
// ---------------------------------------------------------------------------------------------------

interface Harness {
  live: LiveApp;
  app: oidc.Configuration;
}

async function startHarness(): Promise<Harness> {
  const live = await startLiveApp();
  const client = (await live.api('POST', '/clients', { name: 'Workplace', redirect_uris: [CALLBACK] })).body;
  const app = await oidc.discovery(new URL(live.url), client.client_id, client.client_secret, oidc.ClientSecretBasic(client.client_secret), { execute: [oidc.allowInsecureRequests] });
  return { live, app };
}

async function orgWithDomain(live: LiveApp, name: string, domain: string): Promise<string> {
  const orgId = (await live.api('POST', '/organizations', { name, sso_entitled: true })).body.id as string;
  const created = (await live.api('POST', `/organizations/${orgId}/domains`, { domain })).body;
  expect((await live.api('POST', `/domains/${created.id}/verify`, { method: 'manual' })).status).toBe(200);
  return orgId;
}

async function activeOidcConnection(live: LiveApp, orgId: string, provider: string, settings: (redirectUri: string) => Promise<object> | object): Promise<{ id: string; redirectUri: string }> {
  const draft = await live.api('POST', `/organizations/${orgId}/connections`, { type: 'oidc', provider });
  expect(draft.status).toBe(201);
  const patched = await live.api('PATCH', `/connections/${draft.body.id}`, { oidc: await settings(draft.body.oidc.redirect_uri) });
  expect(patched.status).toBe(200);
  expect((await live.api('POST', `/connections/${draft.body.id}/activate`)).body.state).toBe('active');
  return { id: draft.body.id, redirectUri: draft.body.oidc.redirect_uri };
}

/**
 * The app sends the person to Gatehouse, they type their email, Gatehouse sends them to the upstream,
 * which answers at once: the browser stops with Gatehouse's callback URL in hand, not yet opened.
 */
async function startSignIn(h: Harness, email: string, upstreamIssuer: string) {
  const browser = new HttpBrowser();
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(h.app, { redirect_uri: CALLBACK, scope: 'openid email profile organization', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
  const page = await browser.follow(url.href, CALLBACK);
  const toUpstream = await browser.submit(page, '/email', { email });
  expect(toUpstream.location?.startsWith(upstreamIssuer)).toBe(true);
  const atCallback = await browser.follow(toUpstream.location!, `${h.live.url}/sso/oidc/`);
  expect(atCallback.location).toMatch(/\/sso\/oidc\/[^/]+\/callback\?/);
  return { browser, callbackUrl: atCallback.location!, verifier };
}

/** Opens the callback and follows Gatehouse to the app: a code there means the person signed in. */
async function finish(h: Harness, browser: HttpBrowser, callbackUrl: string, verifier: string) {
  const end = await browser.follow(callbackUrl, CALLBACK);
  expect(end.location, end.html.slice(0, 500)).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
  return (await oidc.authorizationCodeGrant(h.app, new URL(end.location!), { pkceCodeVerifier: verifier })).claims()!;
}

const WATCHED = ['users', 'memberships', 'sso_identities', 'login_tickets', 'events', 'connections'] as const;
type Snapshot = Record<(typeof WATCHED)[number], Array<Record<string, any>>>;

async function snapshot(live: LiveApp): Promise<Snapshot> {
  const out = {} as Snapshot;
  for (const table of WATCHED) out[table] = await live.app.db.selectFrom(table).selectAll().orderBy('id').execute();
  return out;
}

/** The browser has no Gatehouse session: a silent authorization request (prompt=none) comes back login_required. */
async function expectSignedOut(h: Harness, browser: HttpBrowser) {
  const url = oidc.buildAuthorizationUrl(h.app, { redirect_uri: CALLBACK, scope: 'openid', prompt: 'none', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256' });
  const end = await browser.follow(url.href, CALLBACK);
  expect(new URL(end.location!).searchParams.get('error')).toBe('login_required');
}

interface Expected {
  orgId: string;
  connectionId: string;
  reason: string;
  detail?: RegExp;
  email?: string;
  /** JIT refusals happen after the callback handed the profile over in a login ticket (consumed at once). */
  afterHandOver?: boolean;
}

/**
 * Opens the callback (following Gatehouse's redirects) and proves the refusal: a 403 page naming the
 * event's reference, nobody signed in, and nothing written but one `sso.signin_failed` with `reason`.
 */
async function expectRefused(h: Harness, browser: HttpBrowser, callbackUrl: string, expected: Expected): Promise<Record<string, unknown>> {
  const before = await snapshot(h.live);
  const page: Page = await browser.follow(callbackUrl, CALLBACK);
  const after = await snapshot(h.live);
  const events = after.events.slice(before.events.length);
  expect(events.map((e) => [e.type, e.organization_id])).toEqual([['sso.signin_failed', expected.orgId]]);
  const data = JSON.parse(events[0]!.data as string) as Record<string, unknown>;
  expect(data).toMatchObject({ connection_id: expected.connectionId, reason: expected.reason, reference: expect.any(String), detail: expect.any(String) });
  if (expected.detail) expect(data.detail).toMatch(expected.detail);
  expect(data.email).toBe(expected.email);
  expect(page.status).toBe(403);
  expect(page.location).toBeUndefined();
  expect(page.html).toContain(String(data.reference));
  expect(after.users).toEqual(before.users);
  expect(after.memberships).toEqual(before.memberships);
  expect(after.sso_identities).toEqual(before.sso_identities);
  expect(after.connections).toEqual(before.connections);
  if (expected.afterHandOver) {
    const handed = after.login_tickets.slice(before.login_tickets.length);
    expect(after.login_tickets.slice(0, before.login_tickets.length)).toEqual(before.login_tickets);
    expect(handed.map((t) => [t.connection_id, t.consumed_at !== null])).toEqual([[expected.connectionId, true]]);
  } else {
    expect(after.login_tickets).toEqual(before.login_tickets);
  }
  await expectSignedOut(h, browser);
  return data;
}

// ---------------------------------------------------------------------------------------------------

describe('OIDC callback: a provider that misbehaves on purpose', () => {
  let h: Harness;
  let fake: FakeProvider;
  let acme: string;
  let okta: { id: string; redirectUri: string };
  let contoso: string;
  let entra: { id: string; redirectUri: string };
  const settings = () => ({ issuer: fake.issuer, client_id: FAKE_CLIENT.id, client_secret: FAKE_CLIENT.secret, scopes: ['openid', 'email', 'profile'] });
  const grace: Person = { sub: 'fake-grace', claims: { email: 'grace@acme.test', email_verified: true, given_name: 'Grace' } };
  const refusedAt = (reason: string, detail?: RegExp): Expected => ({ orgId: acme, connectionId: okta.id, reason, ...(detail ? { detail } : {}) });
  const start = () => startSignIn(h, 'grace@acme.test', fake.issuer);

  beforeAll(async () => {
    [h, fake] = await Promise.all([startHarness(), startFakeProvider()]);
    acme = await orgWithDomain(h.live, 'Acme', 'acme.test');
    okta = await activeOidcConnection(h.live, acme, 'okta', settings);
    contoso = await orgWithDomain(h.live, 'Contoso', 'contoso.test');
    entra = await activeOidcConnection(h.live, contoso, 'entra', settings);
  });
  afterAll(async () => {
    await h?.live.close();
    await fake?.stop().catch(() => undefined);
  });

  it('a good answer signs the person in (the baseline every bad case below differs from by one change)', async () => {
    fake.signInAs(grace);
    const { browser, callbackUrl, verifier } = await start();
    expect(new URL(callbackUrl).searchParams.get('iss')).toBe(fake.issuer);
    expect(await finish(h, browser, callbackUrl, verifier)).toMatchObject({ email: 'grace@acme.test', org_id: acme });
  });

  it('a state Gatehouse never issued: state_unknown, and the code never reaches the token endpoint', async () => {
    fake.signInAs(grace);
    const { browser, callbackUrl } = await start();
    const forged = new URL(callbackUrl);
    forged.searchParams.set('state', oidc.randomState());
    const tokenCalls = fake.requests.filter((p) => p === '/token').length;
    await expectRefused(h, browser, forged.href, refusedAt('state_unknown'));
    expect(fake.requests.filter((p) => p === '/token')).toHaveLength(tokenCalls);
  });

  it('no state at all: state_unknown', async () => {
    fake.signInAs(grace);
    const { browser, callbackUrl } = await start();
    const stripped = new URL(callbackUrl);
    stripped.searchParams.delete('state');
    await expectRefused(h, browser, stripped.href, refusedAt('state_unknown'));
  });

  it("a state started for another connection (Acme's) used at Contoso's callback: state_unknown", async () => {
    fake.signInAs(grace);
    const { browser, callbackUrl } = await start();
    const elsewhere = new URL(callbackUrl);
    elsewhere.pathname = new URL(entra.redirectUri).pathname;
    await expectRefused(h, browser, elsewhere.href, { orgId: contoso, connectionId: entra.id, reason: 'state_unknown' });
  });

  it('the same callback URL twice (replayed code and state): the first signs in, the second is state_unknown', async () => {
    fake.signInAs(grace);
    const { browser, callbackUrl, verifier } = await start();
    expect(await finish(h, browser, callbackUrl, verifier)).toMatchObject({ email: 'grace@acme.test' });
    const tokenCalls = fake.requests.filter((p) => p === '/token').length;
    // The attacker replays the URL from their own browser.
    await expectRefused(h, new HttpBrowser(), callbackUrl, refusedAt('state_unknown'));
    expect(fake.requests.filter((p) => p === '/token')).toHaveLength(tokenCalls);
  });

  it('an ID token with another nonce: id_token_invalid', async () => {
    fake.signInAs(grace, { idToken: { nonce: oidc.randomNonce() } });
    const { browser, callbackUrl } = await start();
    await expectRefused(h, browser, callbackUrl, refusedAt('id_token_invalid', /"nonce"/));
  });

  it('an ID token without a nonce: id_token_invalid', async () => {
    fake.signInAs(grace, { idToken: { nonce: undefined } });
    const { browser, callbackUrl } = await start();
    await expectRefused(h, browser, callbackUrl, refusedAt('id_token_invalid', /nonce/));
  });

  it('an ID token for another audience (another client of the same provider): id_token_invalid', async () => {
    fake.signInAs(grace, { idToken: { aud: 'another-app' } });
    const { browser, callbackUrl } = await start();
    await expectRefused(h, browser, callbackUrl, refusedAt('id_token_invalid', /"aud"/));
  });

  it('an expired ID token (exp an hour ago): id_token_invalid', async () => {
    const hourAgo = Math.floor(Date.now() / 1000) - 3600;
    fake.signInAs(grace, { idToken: { iat: hourAgo - 300, exp: hourAgo } });
    const { browser, callbackUrl } = await start();
    await expectRefused(h, browser, callbackUrl, refusedAt('id_token_invalid', /exp|timestamp/));
  });

  it('an ID token from another issuer: id_token_invalid', async () => {
    fake.signInAs(grace, { idToken: { iss: 'http://127.0.0.1:1/other-tenant' } });
    const { browser, callbackUrl } = await start();
    await expectRefused(h, browser, callbackUrl, refusedAt('id_token_invalid', /JWT "iss"/));
  });

  it.each([
    ['a kid the JWKS does not list', 'rogue-1', /no applicable keys/],
    ["the kid of the provider's real key", 'fake-1', /signature verification failed/],
  ])('an ID token signed by a key the JWKS does not have (and does not get), under %s: id_token_invalid', async (_kid, rogueKid, detail) => {
    fake.signInAs(grace, { rogueKid });
    const { browser, callbackUrl } = await start();
    const seen = fake.requests.length;
    await expectRefused(h, browser, callbackUrl, refusedAt('id_token_invalid', detail));
    // Checked against the provider's current JWKS, read after the token answer (not a stale copy).
    expect(fake.requests.slice(seen)).toEqual(['/token', '/jwks']);
  });

  it('RFC 9207 mix-up: the authorization response names another issuer: issuer_mismatch, before the code is sent anywhere', async () => {
    fake.signInAs(grace, { responseIss: 'http://127.0.0.1:1/attacker' });
    const { browser, callbackUrl } = await start();
    const tokenCalls = fake.requests.filter((p) => p === '/token').length;
    await expectRefused(h, browser, callbackUrl, refusedAt('issuer_mismatch', /"iss" \(issuer\) response parameter/));
    expect(fake.requests.filter((p) => p === '/token')).toHaveLength(tokenCalls);
  });

  it.each([
    ['with the Basic challenge RFC 6749 §5.2 requires (as node-oidc-provider sends it)', true],
    ['with the error in the body only', false],
  ])('a client secret the provider no longer accepts, 401 invalid_client %s: token_exchange_failed', async (_how, challenge) => {
    fake.acceptSecret('regenerated-by-the-idp-admin', { challenge });
    try {
      fake.signInAs(grace);
      const { browser, callbackUrl } = await start();
      await expectRefused(h, browser, callbackUrl, refusedAt('token_exchange_failed', /invalid_client/));
    } finally {
      fake.acceptSecret(FAKE_CLIENT.secret);
    }
  });

  it('a code the provider no longer honours (already redeemed or expired there): invalid_grant -> token_exchange_failed', async () => {
    fake.signInAs(grace);
    const { browser, callbackUrl } = await start();
    fake.expireCodes();
    await expectRefused(h, browser, callbackUrl, refusedAt('token_exchange_failed', /invalid_grant/));
  });

  it('the issuer went down between the start and the callback: idp_unreachable', async () => {
    // The discovery document is cached for an hour, so at the callback Gatehouse's first request to the
    // provider is the token request: stopping the whole server is what an outage looks like there
    // (a discovery URL on a closed port would only be read at the next start).
    fake.signInAs(grace);
    const { browser, callbackUrl } = await start();
    await fake.stop();
    try {
      await expectRefused(h, browser, callbackUrl, refusedAt('idp_unreachable'));
    } finally {
      await fake.restart();
    }
  });

  it("Entra ID: `oid` is the subject, so two sign-ins with one `oid` and different (pairwise) `sub` are one person", async () => {
    const claims = { oid: '00000000-0000-0000-0000-00000000a3c1', email: 'ada@contoso.test', given_name: 'Ada', family_name: 'Lovelace' };
    for (const sub of ['pairwise-sub-for-app-1', 'pairwise-sub-for-app-2']) {
      fake.signInAs({ sub, claims });
      const { browser, callbackUrl, verifier } = await startSignIn(h, 'ada@contoso.test', fake.issuer);
      expect(await finish(h, browser, callbackUrl, verifier)).toMatchObject({ email: 'ada@contoso.test', org_id: contoso });
    }
    const after = await snapshot(h.live);
    expect(after.users.filter((u) => u.email === 'ada@contoso.test')).toHaveLength(1);
    expect(after.sso_identities.filter((i) => i.connection_id === entra.id).map((i) => i.subject)).toEqual([claims.oid]);
  });

  it('connection creation: an issuer nobody answers at (closed port): 422 issuer_unreachable, nothing written', async () => {
    const before = await snapshot(h.live);
    const res = await h.live.api('POST', `/organizations/${acme}/connections`, { type: 'oidc', provider: 'okta', oidc: { ...settings(), issuer: `http://127.0.0.1:${await freePort()}` } });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ type: 'https://gatehouse.dev/problems/issuer_unreachable', title: 'issuer_unreachable' });
    expect(await snapshot(h.live)).toEqual(before);
  });

  it('connection creation: an issuer whose discovery document names another issuer: 422 issuer_mismatch, nothing written', async () => {
    const before = await snapshot(h.live);
    const res = await h.live.api('POST', `/organizations/${acme}/connections`, { type: 'oidc', provider: 'okta', oidc: { ...settings(), issuer: `${fake.issuer}/tenant-b` } });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ type: 'https://gatehouse.dev/problems/issuer_mismatch', title: 'issuer_mismatch' });
    expect(res.body.detail).toContain(`The document's issuer is "${fake.issuer}"`);
    expect(await snapshot(h.live)).toEqual(before);
  });
});

describe('OIDC callback: what a real provider (node-oidc-provider) sends that Gatehouse must refuse', () => {
  let h: Harness;
  let upstream: UpstreamOidc;
  let acme: string;
  let connection: { id: string; redirectUri: string };
  const oidcSettings = (extra: object = {}) => ({ issuer: upstream.issuer, client_id: upstream.clientId, client_secret: upstream.clientSecret, scopes: ['openid', 'email', 'profile'], ...extra });
  const patch = async (extra: object) => expect((await h.live.api('PATCH', `/connections/${connection.id}`, { oidc: oidcSettings(extra) })).status).toBe(200);

  beforeAll(async () => {
    h = await startHarness();
    acme = await orgWithDomain(h.live, 'Acme', 'acme.test');
    await orgWithDomain(h.live, 'Other', 'other.test');
    connection = await activeOidcConnection(h.live, acme, 'okta', async (redirectUri) => {
      upstream = await startUpstreamOidc({ redirectUris: [redirectUri] });
      return oidcSettings();
    });
  });
  afterAll(async () => {
    await h?.live.close();
    await upstream?.close();
  });

  it('an email the provider says is unverified: email_unverified', async () => {
    upstream.signInAs({ sub: 'okta-mallory', claims: { email: 'mallory@acme.test', email_verified: false } });
    const { browser, callbackUrl } = await startSignIn(h, 'mallory@acme.test', upstream.issuer);
    await expectRefused(h, browser, callbackUrl, { orgId: acme, connectionId: connection.id, reason: 'email_unverified', email: 'mallory@acme.test' });
  });

  it("an email on a domain Acme does not own (another org's verified domain): email_outside_org_domains", async () => {
    // The person types an Acme address, so Gatehouse sends them to Acme's provider, which answers with other.test.
    upstream.signInAs({ sub: 'okta-eve', claims: { email: 'eve@other.test', email_verified: true } });
    const { browser, callbackUrl } = await startSignIn(h, 'eve@acme.test', upstream.issuer);
    await expectRefused(h, browser, callbackUrl, { orgId: acme, connectionId: connection.id, reason: 'email_outside_org_domains', email: 'eve@other.test', afterHandOver: true });
  });

  it('the provider answers access_denied: idp_error', async () => {
    upstream.failNextWith('access_denied');
    const { browser, callbackUrl } = await startSignIn(h, 'grace@acme.test', upstream.issuer);
    await expectRefused(h, browser, callbackUrl, { orgId: acme, connectionId: connection.id, reason: 'idp_error', detail: /access_denied/ });
  });

  it('a client secret the provider does not know (its 401 invalid_client with a Basic challenge): token_exchange_failed', async () => {
    await patch({ client_secret: 'not-the-secret-the-provider-knows-0123' });
    try {
      upstream.signInAs({ sub: 'okta-grace', claims: { email: 'grace@acme.test', email_verified: true } });
      const { browser, callbackUrl } = await startSignIn(h, 'grace@acme.test', upstream.issuer);
      await expectRefused(h, browser, callbackUrl, { orgId: acme, connectionId: connection.id, reason: 'token_exchange_failed', detail: /invalid_client/ });
    } finally {
      await patch({});
    }
  });

  it('the same unverified email with the connection set to trust_emails: true is accepted', async () => {
    await patch({ trust_emails: true });
    upstream.signInAs({ sub: 'okta-mallory', claims: { email: 'mallory@acme.test', email_verified: false } });
    const { browser, callbackUrl, verifier } = await startSignIn(h, 'mallory@acme.test', upstream.issuer);
    expect(await finish(h, browser, callbackUrl, verifier)).toMatchObject({ email: 'mallory@acme.test', org_id: acme });
    const identities = (await snapshot(h.live)).sso_identities.filter((i) => i.connection_id === connection.id);
    expect(identities.map((i) => i.subject)).toContain('okta-mallory');
  });
});

describe('OIDC connection creation in production mode', () => {
  let t: TestApp;
  let fake: FakeProvider;

  beforeAll(async () => {
    [t, fake] = await Promise.all([createTestApp(), startFakeProvider()]);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });

  it('a plain-http issuer: 422 insecure_endpoint, before downloading anything, nothing written', async () => {
    const org = (await t.api.post('/api/v1/organizations', { name: 'Acme', sso_entitled: true }).expect(201)).body.id;
    const before = await t.snapshot();
    const res = await t.api.post(`/api/v1/organizations/${org}/connections`, { type: 'oidc', provider: 'okta', oidc: { issuer: fake.issuer, client_id: FAKE_CLIENT.id, client_secret: FAKE_CLIENT.secret } });
    expectProblem(res, 422, 'insecure_endpoint', 'The issuer must be an https URL.');
    expect(fake.requests).toEqual([]);
    expect(await t.snapshot()).toEqual(before);
  });
});
