import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpBrowser } from '../helpers/http-browser.ts';
import { type LiveApp, startLiveApp } from '../helpers/live-app.ts';
import { IDP, readRedirectRequest, samlResponse, type SpValues } from '../helpers/saml.ts';
import { startUpstreamOidc, type UpstreamOidc } from '../helpers/upstream-oidc.ts';

const CALLBACK = 'http://127.0.0.1:9/callback';
// An Entra-style group object id: the mapping names it in capitals, the IdP sends it in lower case.
const ENTRA_GROUP = '6A2F1C3E-0B7D-4A4E-9A51-2D3B0C9E8F11';

interface Person {
  email: string;
  firstName?: string;
  /** Absent: no groups attribute at all; []: a groups attribute without a value. */
  groups?: string[];
}

type Event = { type: string; actor: { type: string }; data: Record<string, unknown> };

/**
 * DESIGN.md Data rules, Group mappings: the groups an SSO sign-in asserts apply the org's group mappings
 * (the app -> Gatehouse -> SAML IdP or upstream OpenID provider -> the app, over real HTTP), with the
 * rules of an assertion: never admin, hand-made access stays, and a directory's people are the directory's.
 */
describe('SSO groups apply group mappings, end to end', () => {
  let live: LiveApp;
  let upstream: UpstreamOidc;
  let orgId: string;
  let sp: SpValues;
  let config: oidc.Configuration;
  let directory: { id: string; scim_base_url: string; bearer_token: string };
  let hq: string;
  let lab: string;
  let annex: string;
  let initech: string;
  let plant: string;

  beforeAll(async () => {
    live = await startLiveApp();
    orgId = (await live.api('POST', '/organizations', { name: 'Acme', sso_entitled: true })).body.id;
    const domain = (await live.api('POST', `/organizations/${orgId}/domains`, { domain: 'acme.test' })).body;
    expect((await live.api('POST', `/domains/${domain.id}/verify`, { method: 'manual' })).status).toBe(200);

    const saml = await live.api('POST', `/organizations/${orgId}/connections`, {
      type: 'saml', provider: 'okta', saml: { idp_entity_id: IDP.entityId, sso_url: IDP.ssoUrl, certificates: [IDP.certificate] },
    });
    expect(saml.status).toBe(201);
    sp = { entityId: saml.body.saml.sp_entity_id, acsUrl: saml.body.saml.acs_url };
    expect((await live.api('POST', `/connections/${saml.body.id}/activate`)).body.state).toBe('active');

    // A second org signs in through an upstream OpenID provider (an org has one active connection).
    initech = (await live.api('POST', '/organizations', { name: 'Initech', sso_entitled: true })).body.id;
    const other = (await live.api('POST', `/organizations/${initech}/domains`, { domain: 'initech.test' })).body;
    expect((await live.api('POST', `/domains/${other.id}/verify`, { method: 'manual' })).status).toBe(200);
    const draft = await live.api('POST', `/organizations/${initech}/connections`, { type: 'oidc', provider: 'generic-oidc' });
    expect(draft.status).toBe(201);
    upstream = await startUpstreamOidc({ redirectUris: [draft.body.oidc.redirect_uri] });
    const patched = await live.api('PATCH', `/connections/${draft.body.id}`, {
      oidc: { issuer: upstream.issuer, client_id: upstream.clientId, client_secret: upstream.clientSecret, scopes: ['openid', 'email', 'profile', 'groups'] },
    });
    expect(patched.status).toBe(200);
    expect((await live.api('POST', `/connections/${draft.body.id}/activate`)).body.state).toBe('active');
    plant = (await live.api('POST', `/organizations/${initech}/sites`, { name: 'Plant' })).body.id;
    const initechDirectory = (await live.api('POST', `/organizations/${initech}/directories`, { provider: 'generic' })).body;
    expect((await live.api('PUT', `/directories/${initechDirectory.id}/group_mappings`, { data: [{ group: ENTRA_GROUP, sites: [{ site_id: plant, role: 'admin' }] }] })).status).toBe(200);

    const site = async (name: string) => (await live.api('POST', `/organizations/${orgId}/sites`, { name })).body.id as string;
    [hq, lab, annex] = [await site('HQ'), await site('Lab'), await site('Annex')];
    directory = (await live.api('POST', `/organizations/${orgId}/directories`, { provider: 'generic' })).body;
    const mapped = await live.api('PUT', `/directories/${directory.id}/group_mappings`, {
      data: [
        { group: 'HQ People', sites: [{ site_id: hq, role: 'member' }] },
        { group: 'Gatehouse Admins', org_role: 'admin', sites: [{ site_id: annex, role: 'member' }] },
        { group: ENTRA_GROUP, sites: [{ site_id: lab, role: 'admin' }] },
      ],
    });
    expect(mapped.status).toBe(200);

    const client = (await live.api('POST', '/clients', { name: 'Workplace', redirect_uris: [CALLBACK] })).body;
    config = await oidc.discovery(new URL(live.url), client.client_id, client.client_secret, oidc.ClientSecretBasic(client.client_secret), { execute: [oidc.allowInsecureRequests] });
  });
  afterAll(async () => {
    await live?.close();
    await upstream?.close();
  });

  /** The app's authorisation request, the email typed; resolves to the page that leaves for the IdP. */
  async function start(browser: HttpBrowser, email: string) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK, scope: 'openid email profile organization', state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const toIdp = await browser.submit(await browser.follow(url.href, CALLBACK), '/email', { email });
    return { toIdp, verifier, state };
  }

  /** The claims of the first ID token the app gets after the sign-in. */
  async function tokenClaims(back: { location?: string }, verifier: string, state: string) {
    expect(back.location).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    return (await oidc.authorizationCodeGrant(config, new URL(back.location!), { pkceCodeVerifier: verifier, expectedState: state })).claims()!;
  }

  /** A SAML sign-in: the IdP's signed response to Gatehouse's AuthnRequest, posted to the ACS. */
  async function samlSignIn(person: Person) {
    const browser = new HttpBrowser();
    const { toIdp, verifier, state } = await start(browser, person.email);
    expect(toIdp.location?.startsWith(IDP.ssoUrl)).toBe(true);
    const request = readRedirectRequest(toIdp.location!);
    const acs = await browser.request('POST', sp.acsUrl, { SAMLResponse: await samlResponse(sp, person, { inResponseTo: request.id }), RelayState: request.relayState });
    expect(acs.status).toBe(303);
    return tokenClaims(await browser.follow(acs.location!, CALLBACK), verifier, state);
  }

  /** An OIDC sign-in through the upstream provider, which releases these claims. */
  async function oidcSignIn(sub: string, claims: Record<string, unknown>) {
    upstream.signInAs({ sub, claims: { email_verified: true, ...claims } });
    const browser = new HttpBrowser();
    const { toIdp, verifier, state } = await start(browser, String(claims.email));
    expect(toIdp.location?.startsWith(upstream.issuer)).toBe(true);
    return tokenClaims(await browser.follow(toIdp.location!, CALLBACK), verifier, state);
  }

  const sites = (...entries: Array<[string, string, string]>) => entries.map(([id, name, role]) => ({ id, name, role }));

  async function userId(email: string): Promise<string> {
    return (await live.api('GET', `/users?email=${encodeURIComponent(email)}`)).body.data[0].id;
  }

  async function assignments(id: string) {
    const list = (await live.api('GET', `/users/${id}/site_assignments?organization_id=${orgId}`)).body.data as Array<Record<string, string>>;
    return list.map((a) => [a.site_name, a.role, a.source]);
  }

  async function membership(id: string) {
    const list = (await live.api('GET', `/organizations/${orgId}/memberships?limit=100`)).body.data as Array<Record<string, string>>;
    return list.find((m) => m.user_id === id)!;
  }

  const ACCESS = 'membership.created,membership.updated,site_assignment.created,site_assignment.updated,site_assignment.deleted,sso.signin_succeeded,user.signed_in';
  let seen: string | undefined;
  /** The org's events about access and sign-ins since the last call, oldest first. */
  async function newEvents(): Promise<Event[]> {
    const all: Array<Event & { id: string }> = [];
    for (;;) {
      const page = (await live.api('GET', `/events?organization_id=${orgId}&types=${ACCESS}${seen ? `&after=${seen}` : ''}`)).body;
      all.push(...page.data);
      if (page.data.length) seen = page.data.at(-1).id;
      if (!page.list_metadata.after) return all;
    }
  }
  const catchUp = newEvents;

  it('gives a new person the site of their mapped group in the very first ID token (group names match case-insensitively)', async () => {
    await catchUp();
    const claims = await samlSignIn({ email: 'grace@acme.test', firstName: 'Grace', groups: ['hq people', 'Everyone'] });
    const id = await userId('grace@acme.test');
    expect(claims).toMatchObject({ sub: id, org_id: orgId, org_role: 'member', sites: sites([hq, 'HQ', 'member']) });
    expect(await assignments(id)).toEqual([['HQ', 'member', 'group_mapping']]);
    // Provisioned, then signed in, with the mapped assignment written in between, through the one writer.
    const events = await newEvents();
    expect(events.map((e) => e.type)).toEqual(['membership.created', 'sso.signin_succeeded', 'site_assignment.created', 'user.signed_in']);
    expect(events[2]).toMatchObject({ actor: { type: 'system' }, data: { site_id: hq, user_id: id, role: 'member' } });
  });

  it('takes the mapped site away when the person leaves the group, and keeps the one assigned by hand', async () => {
    const first = await samlSignIn({ email: 'lin@acme.test', groups: ['HQ People'] });
    const id = await userId('lin@acme.test');
    expect(first.sites).toEqual(sites([hq, 'HQ', 'member']));
    expect((await live.api('PUT', `/sites/${lab}/assignments/${id}`, { role: 'member' })).status).toBe(200);
    await catchUp();

    // The next assertion names other groups only: the mapping's site goes, the Lab stays.
    const left = await samlSignIn({ email: 'lin@acme.test', groups: ['Everyone'] });
    expect(left.sites).toEqual(sites([lab, 'Lab', 'member']));
    expect(await assignments(id)).toEqual([['Lab', 'member', 'manual']]);
    const events = await newEvents();
    expect(events.map((e) => e.type)).toEqual(['sso.signin_succeeded', 'site_assignment.deleted', 'user.signed_in']);
    expect(events[1]!.data).toEqual({ site_id: hq, user_id: id, role: 'member' });

    // Back in the group, then a groups attribute without any value: in no group, so the site goes again.
    expect((await samlSignIn({ email: 'lin@acme.test', groups: ['HQ People'] })).sites).toEqual(sites([hq, 'HQ', 'member'], [lab, 'Lab', 'member']));
    expect((await samlSignIn({ email: 'lin@acme.test', groups: [] })).sites).toEqual(sites([lab, 'Lab', 'member']));
  });

  it('a mapping does not overwrite a site assigned by hand, and leaving its group keeps that site', async () => {
    const first = await samlSignIn({ email: 'ken@acme.test' });
    const id = await userId('ken@acme.test');
    expect(first.sites).toEqual([]);
    expect((await live.api('PUT', `/sites/${lab}/assignments/${id}`, { role: 'member' })).status).toBe(200);
    // The Entra-style group maps the Lab with role admin: the hand-made member assignment wins.
    expect((await samlSignIn({ email: 'ken@acme.test', groups: [ENTRA_GROUP.toLowerCase()] })).sites).toEqual(sites([lab, 'Lab', 'member']));
    expect((await samlSignIn({ email: 'ken@acme.test', groups: [] })).sites).toEqual(sites([lab, 'Lab', 'member']));
    expect(await assignments(id)).toEqual([['Lab', 'member', 'manual']]);
  });

  it('changes nothing when the assertion carries no groups attribute at all', async () => {
    await samlSignIn({ email: 'mo@acme.test', groups: ['HQ People'] });
    const id = await userId('mo@acme.test');
    await catchUp();
    const claims = await samlSignIn({ email: 'mo@acme.test' });
    expect(claims.sites).toEqual(sites([hq, 'HQ', 'member']));
    expect(await assignments(id)).toEqual([['HQ', 'member', 'group_mapping']]);
    expect((await newEvents()).map((e) => e.type)).toEqual(['sso.signin_succeeded', 'user.signed_in']);
  });

  it('never makes anyone an org admin: an admin mapping applies its sites but not its role', async () => {
    await catchUp();
    const claims = await samlSignIn({ email: 'eve@acme.test', groups: ['Gatehouse Admins'] });
    const id = await userId('eve@acme.test');
    expect(claims).toMatchObject({ org_role: 'member', sites: sites([annex, 'Annex', 'member']) });
    expect(await membership(id)).toMatchObject({ role: 'member' });
    // Signing in again in the same group changes nothing either: no membership.updated, ever.
    expect((await samlSignIn({ email: 'eve@acme.test', groups: ['Gatehouse Admins', 'HQ People'] })).org_role).toBe('member');
    const types = (await newEvents()).map((e) => e.type);
    expect(types).not.toContain('membership.updated');
    expect(types.filter((t) => t === 'site_assignment.created')).toHaveLength(2);

    // An admin made by hand stays admin whatever the groups say.
    expect((await live.api('PATCH', `/memberships/${(await membership(id)).id}`, { role: 'admin' })).status).toBe(200);
    expect((await samlSignIn({ email: 'eve@acme.test', groups: [] })).org_role).toBe('admin');
    expect(await membership(id)).toMatchObject({ role: 'admin' });
  });

  it("ignores the SSO groups of a person a directory provisions: SCIM is authoritative for them", async () => {
    const created = await fetch(`${directory.scim_base_url}/Users`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${directory.bearer_token}`, 'Content-Type': 'application/scim+json' },
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'sam@acme.test', emails: [{ value: 'sam@acme.test', primary: true }], active: true }),
    });
    expect(created.status).toBe(201);
    const id = await userId('sam@acme.test');
    expect((await live.api('PUT', `/sites/${lab}/assignments/${id}`, { role: 'member' })).status).toBe(200);
    await catchUp();

    expect((await samlSignIn({ email: 'sam@acme.test', groups: ['HQ People', 'Gatehouse Admins'] })).sites).toEqual(sites([lab, 'Lab', 'member']));
    expect((await samlSignIn({ email: 'sam@acme.test', groups: [] })).sites).toEqual(sites([lab, 'Lab', 'member']));
    expect(await assignments(id)).toEqual([['Lab', 'member', 'manual']]);
    expect((await newEvents()).map((e) => e.type)).toEqual(['sso.signin_succeeded', 'user.signed_in', 'sso.signin_succeeded', 'user.signed_in']);
  });

  it('reads a groups claim from an upstream OpenID provider: Entra-style ids, none, and an empty one', async () => {
    const person = { email: 'ada@initech.test', given_name: 'Ada' };
    const first = await oidcSignIn('up-ada', { ...person, groups: [ENTRA_GROUP.toLowerCase()] });
    expect(first).toMatchObject({ org_id: initech, org_role: 'member', sites: sites([plant, 'Plant', 'admin']) });
    // No groups claim: the mapped site stays.
    expect((await oidcSignIn('up-ada', person)).sites).toEqual(sites([plant, 'Plant', 'admin']));
    // An empty groups claim: in no group, so the site goes.
    expect((await oidcSignIn('up-ada', { ...person, groups: [] })).sites).toEqual([]);
  });
});
