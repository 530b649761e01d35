import { createPublicKey, verify } from 'node:crypto';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.ts';
import { HttpBrowser } from '../helpers/http-browser.ts';
import { type LiveApp, startLiveApp } from '../helpers/live-app.ts';
import { TEST_SECRET } from '../helpers/test-app.ts';

const CALLBACK = 'http://127.0.0.1:9/callback';
const PASSWORD = 'correct horse battery staple';
type Jwk = { kid: string; alg: string; kty: string; d?: string };

const header = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()) as { kid: string; alg: string };

/** Checks an RS256 JWT's signature with a published JWK, as any relying party would. */
function signatureValid(jwt: string, jwk: Jwk): boolean {
  const [h, p, s] = jwt.split('.');
  return verify('RSA-SHA256', Buffer.from(`${h}.${p}`), createPublicKey({ key: jwk as never, format: 'jwk' }), Buffer.from(s!, 'base64url'));
}

describe('signing keys', () => {
  let live: LiveApp;
  const browser = new HttpBrowser();
  let client: { client_id: string; client_secret: string };

  beforeAll(async () => {
    live = await startLiveApp();
    client = (await live.api('POST', '/clients', { name: 'Rotating', redirect_uris: [CALLBACK] })).body;
    const orgId = (await live.api('POST', '/organizations', { name: 'Rot' })).body.id;
    const inv = (await live.api('POST', `/organizations/${orgId}/invitations`, { email: 'r@rot.test', role: 'member' })).body;
    await browser.submit(await browser.get(inv.accept_url), '/invitations/', { first_name: 'R', last_name: 'T', password: PASSWORD, password_confirm: PASSWORD });
  });
  afterAll(async () => live.close());

  const jwks = async (url = live.url) => ((await (await fetch(`${url}/oidc/jwks`)).json()) as { keys: Jwk[] }).keys;

  async function signIn(url: string) {
    const config = await oidc.discovery(new URL(url), client.client_id, client.client_secret, oidc.ClientSecretBasic(client.client_secret), { execute: [oidc.allowInsecureRequests] });
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const auth = oidc.buildAuthorizationUrl(config, { redirect_uri: CALLBACK, scope: 'openid', state, login_hint: 'r@rot.test', prompt: 'login', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
    const passwordPage = await browser.follow(auth.href, CALLBACK);
    const after = await browser.submit(passwordPage, '/password', { email: 'r@rot.test', password: PASSWORD });
    const done = await browser.follow(after.location!, CALLBACK);
    return oidc.authorizationCodeGrant(config, new URL(done.location!), { pkceCodeVerifier: verifier, expectedState: state });
  }

  it('publishes one RS256 and one ES256 public key, and keeps the private keys encrypted at rest', async () => {
    const keys = await jwks();
    expect(keys.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    expect(keys.every((k) => k.d === undefined)).toBe(true);
    const rows = await live.app.db.selectFrom('signing_keys').selectAll().execute();
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.private_jwk_sealed).toMatch(/^v1\./);
      expect(row.private_jwk_sealed).not.toContain('"d"');
    }
  });

  it('`gatehouse keys rotate` signs new tokens with a new key and keeps the old one published', async () => {
    const before = await signIn(live.url);
    const oldKid = header(before.id_token!).kid;

    const rotated = await cli({ GATEHOUSE_DATA_DIR: live.dir, GATEHOUSE_SECRET: TEST_SECRET, GATEHOUSE_BASE_URL: live.url }, 'keys', 'rotate', '--json');
    expect(rotated.code).toBe(0);
    const { added, retired } = JSON.parse(rotated.out) as { added: string[]; retired: string[] };
    expect(retired).toContain(oldKid);
    expect(added).toHaveLength(2);

    // A server (re)started after the rotation uses the new keys; running ones switch within a minute.
    await live.stop();
    live = await startLiveApp({ dir: live.dir, apiKey: live.apiKey });

    const keys = await jwks();
    expect(keys.map((k) => k.kid)).toEqual(expect.arrayContaining([...added, ...retired]));
    const oldKey = keys.find((k) => k.kid === oldKid)!;
    expect(signatureValid(before.id_token!, oldKey)).toBe(true);

    const after = await signIn(live.url);
    expect(added).toContain(header(after.id_token!).kid);
  });
});

describe('clients through the API', () => {
  let live: LiveApp;
  beforeAll(async () => {
    live = await startLiveApp();
  });
  afterAll(async () => live.close());

  it('creates a confidential client (secret once, stored hashed), lists, reads and deletes it', async () => {
    const created = await live.api('POST', '/clients', {
      name: 'Workplace', redirect_uris: ['https://app.example.com/callback'], post_logout_redirect_uris: ['https://app.example.com/'],
      initiate_login_uri: 'https://app.example.com/login', allowed_origins: ['https://app.example.com'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Workplace', public: false, initiate_login_uri: 'https://app.example.com/login', allowed_origins: ['https://app.example.com'] });
    expect(created.body.client_secret).toMatch(/^ghcs_/);
    const row = await live.app.db.selectFrom('oidc_clients').selectAll().where('id', '=', created.body.id).executeTakeFirstOrThrow();
    expect(row.secret_hash).not.toContain(created.body.client_secret);
    expect(JSON.stringify(row)).not.toContain(created.body.client_secret);

    const got = await live.api('GET', `/clients/${created.body.id}`);
    expect(got.body.client_secret).toBeUndefined();
    expect((await live.api('GET', '/clients')).body.data.map((c: { id: string }) => c.id)).toContain(created.body.id);
    // The console's built-in client is not the API's to list or delete.
    expect((await live.api('GET', '/clients')).body.data.map((c: { client_id: string }) => c.client_id)).not.toContain('gatehouse-console');

    expect((await live.api('DELETE', `/clients/${created.body.id}`)).status).toBe(204);
    expect((await live.api('GET', `/clients/${created.body.id}`)).status).toBe(404);
  });

  it.each([
    [{ name: 'X', redirect_uris: [] }, 'redirect_uris needs at least one URL.'],
    [{ name: 'X', redirect_uris: ['not a url'] }, 'redirect_uris[0] is not an absolute URL: "not a url".'],
    [{ name: 'X', redirect_uris: ['http://app.example.com/cb'] }, 'redirect_uris[0] must use https (http only for localhost).'],
    [{ name: 'X', redirect_uris: ['https://app.example.com/cb#frag'] }, 'redirect_uris[0] must not have a fragment.'],
    [{ name: 'X', redirect_uris: ['com.example.app:/cb'] }, 'redirect_uris[0] must be an http(s) URL.'],
    [{ name: 'X', redirect_uris: ['https://a.example/cb'], initiate_login_uri: 'http://a.example/login' }, 'initiate_login_uri must be an https URL (OIDC Core §4).'],
    [{ name: 'X', redirect_uris: ['https://a.example/cb'], allowed_origins: ['https://a.example/'] }, 'allowed_origins[0] must be an origin such as https://app.example.com (no path or trailing slash).'],
    [{ redirect_uris: ['https://a.example/cb'] }, 'name is required.'],
  ])('refuses %o with a field error and writes nothing', async (body, message) => {
    const before = await live.app.db.selectFrom('oidc_clients').select('id').execute();
    const res = await live.api('POST', '/clients', body);
    expect(res.status).toBe(422);
    expect(res.body.errors[0].message).toBe(message);
    expect(await live.app.db.selectFrom('oidc_clients').select('id').execute()).toEqual(before);
  });

  it('a public (native) client may use a custom-scheme redirect and gets no secret', async () => {
    const res = await live.api('POST', '/clients', { name: 'Mobile', redirect_uris: ['com.example.app:/oauth/callback'], public: true });
    expect(res.status).toBe(201);
    expect(res.body.client_secret).toBeUndefined();
  });

  it('`gatehouse client create` prints the settings an app needs', async () => {
    const res = await cli({ GATEHOUSE_DATA_DIR: live.dir, GATEHOUSE_SECRET: TEST_SECRET, GATEHOUSE_BASE_URL: live.url }, 'client', 'create', '--name', 'CLI app', '--redirect-uri', 'https://cli.example/cb', '--json');
    expect(res.code).toBe(0);
    const out = JSON.parse(res.out);
    expect(out).toMatchObject({ name: 'CLI app', issuer: live.url, redirect_uris: ['https://cli.example/cb'] });
    expect(out.client_secret).toMatch(/^ghcs_/);
    expect(await cli({ GATEHOUSE_DATA_DIR: live.dir, GATEHOUSE_SECRET: TEST_SECRET }, 'client', 'create', '--name', 'No uri')).toMatchObject({ code: 64, err: expect.stringContaining('missing --redirect-uri') });
  });
});
