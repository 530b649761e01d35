import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadActivityNames } from '../../src/console/activity/activity-names.ts';
import { ACTIVITY_CATEGORIES, OPERATOR_EVENT_TYPES } from '../../src/console/activity/activity-types.ts';
import { describeEvent } from '../../src/console/activity/event-wording.ts';
import { EVENT_TYPES } from '../../src/events/catalogue.ts';
import { changeUserEmail, setMembershipRole } from '../../src/users/provisioning.ts';
import { consolePerson, type ConsolePerson, signInHttp } from '../helpers/console.ts';
import { HttpBrowser, type Page, text } from '../helpers/http-browser.ts';
import { type LiveApp, startLiveApp } from '../helpers/live-app.ts';
import { IDP, readRedirectRequest, samlResponse, type SpValues } from '../helpers/saml.ts';

/** One event as the log shows it: its sentence, the time and actor line, and the <details> text. */
interface Shown {
  text: string;
  meta: string;
  details: string;
  datetime: string;
}

const shown = (page: Page): Shown[] =>
  [...page.html.matchAll(/<li class="log__item">([\s\S]*?)<\/li>/g)].map((m) => ({
    text: text(/<p class="log__text">([\s\S]*?)<\/p>/.exec(m[1]!)![1]!),
    meta: text(/<p class="log__meta">([\s\S]*?)<\/p>/.exec(m[1]!)![1]!),
    details: text(/<details[\s\S]*?<\/details>/.exec(m[1]!)![0]),
    datetime: /<time datetime="([^"]+)">/.exec(m[1]!)![1]!,
  }));
const sentences = (page: Page) => shown(page).map((e) => e.text);

/** Types a wrong password on the console's sign-in pages. */
async function wrongPassword(live: LiveApp, email: string): Promise<void> {
  const browser = new HttpBrowser();
  const passwordPage = await browser.submit(await browser.follow(`${live.url}/console`), '/email', { email });
  expect((await browser.submit(passwordPage, '/password', { email, password: 'not the password at all' })).status).toBe(401);
}

describe('console: activity log', () => {
  let live: LiveApp;
  let ada: ConsolePerson;
  let grace: ConsolePerson;
  let alan: ConsolePerson;
  let eve: ConsolePerson;
  let orgId: string;
  let sp: SpValues;

  const log = (query = '') => ada.browser.get(`${live.url}/console/activity${query}`);

  /** The console's sign-in through the org's SAML IdP: `typed` on the email page, `sent` in the IdP's answer. */
  async function ssoSignIn(typed: string, sent: { email: string; firstName?: string; lastName?: string }): Promise<Page> {
    const browser = new HttpBrowser();
    const toIdp = await browser.submit(await browser.follow(`${live.url}/console`), '/email', { email: typed });
    expect(toIdp.location?.startsWith(IDP.ssoUrl)).toBe(true);
    const request = readRedirectRequest(toIdp.location!);
    const acs = await browser.request('POST', sp.acsUrl, { SAMLResponse: await samlResponse(sp, sent, { inResponseTo: request.id }), RelayState: request.relayState });
    return acs.location ? browser.follow(acs.location) : acs;
  }

  beforeAll(async () => {
    live = await startLiveApp();
    ada = await consolePerson(live, { email: 'ada.lovelace@acme.test', orgName: 'Acme' });
    orgId = ada.orgId;
    grace = await consolePerson(live, { email: 'grace.hopper@acme.test', role: 'member', orgId });
    alan = await consolePerson(live, { email: 'alan.turing@acme.test', role: 'member', orgId });
    eve = await consolePerson(live, { email: 'eve.mallory@globex.test', orgName: 'Globex' });
    const oscar = await consolePerson(live, { email: 'oscar.grouch@globex.test', role: 'member', orgId: eve.orgId });

    // Acme: the admin signs in and changes things; a member is refused twice.
    expect((await signInHttp(live, ada)).url).toBe(`${live.url}/console`);
    const sites = await ada.browser.get(`${live.url}/console/sites`);
    expect((await ada.browser.submit(sites, '/console/sites', { name: 'Berlin' })).status).toBe(303);
    const berlin = (await live.api('GET', `/organizations/${orgId}/sites`)).body.data[0];
    const rename = await ada.browser.get(`${live.url}/console/sites/${berlin.id}/rename`);
    expect((await ada.browser.submit(rename, `/rename`, { name: 'Berlin Mitte' })).status).toBe(303);
    expect((await live.api('PUT', `/sites/${berlin.id}/assignments/${grace.userId}`, { role: live.app.config.siteRoles[0] })).status).toBe(200);
    const alanMembership = (await live.api('GET', `/organizations/${orgId}/memberships?limit=100`)).body.data.find((m: { user_id: string }) => m.user_id === alan.userId);
    await live.app.uow((trx) => setMembershipRole(trx, { ctx: live.app.ctx, actor: { type: 'user', id: ada.userId } }, alanMembership.id, 'admin'));
    await wrongPassword(live, 'grace.hopper@acme.test');
    expect((await signInHttp(live, grace)).status).toBe(403);

    // Acme's second domain signs in through Okta (SAML): one person in, one email refused.
    const domain = (await live.api('POST', `/organizations/${orgId}/domains`, { domain: 'sso.acme.test' })).body;
    expect((await live.api('POST', `/domains/${domain.id}/verify`, { method: 'manual' })).status).toBe(200);
    const connection = (await live.api('POST', `/organizations/${orgId}/connections`, { type: 'saml', provider: 'okta', saml: { idp_entity_id: IDP.entityId, sso_url: IDP.ssoUrl, certificates: [IDP.certificate] } })).body;
    sp = { entityId: connection.saml.sp_entity_id, acsUrl: connection.saml.acs_url };
    expect((await live.api('POST', `/connections/${connection.id}/activate`)).status).toBe(200);
    expect((await ssoSignIn('barbara@sso.acme.test', { email: 'barbara@sso.acme.test', firstName: 'Barbara', lastName: 'Liskov' })).status).toBe(403);
    expect((await ssoSignIn('mallory@sso.acme.test', { email: 'mallory@evil.test' })).status).toBe(403);

    // Globex: its own admin, site, and a refused member: none of it is Acme's.
    expect((await signInHttp(live, eve)).url).toBe(`${live.url}/console`);
    await live.api('POST', `/organizations/${eve.orgId}/sites`, { name: 'Springfield' });
    await wrongPassword(live, oscar.email);
    expect((await signInHttp(live, oscar)).status).toBe(403);
  }, 90_000);
  afterAll(async () => live?.close());

  it('shows the events newest first, in words, with the time, who did it and the details', async () => {
    const page = await log();
    expect(page.status).toBe(200);
    const events = shown(page);
    const said = events.map((e) => e.text);
    const expected = [
      'Sign-in refused for mallory@evil.test through SSO (Okta): email outside the organization’s verified domains',
      'Sign-in refused for Barbara Liskov: not an administrator (the console is for administrators only)',
      'Barbara Liskov signed in with SSO (Okta) to the Gatehouse console',
      'SSO (Okta) accepted the sign-in of Barbara Liskov; their account was created just in time',
      'Sign-in refused for Grace Hopper: not an administrator (the console is for administrators only)',
      'Grace Hopper signed in with a password to the Gatehouse console',
      'Sign-in refused for Grace Hopper: wrong password',
      'Alan Turing’s role changed from member to admin by Ada Lovelace',
      'Grace Hopper assigned to “Berlin Mitte” as member through the management API',
      'Site “Berlin” renamed to “Berlin Mitte” by Ada Lovelace',
      'Site “Berlin” created by Ada Lovelace',
      'Ada Lovelace signed in with a password to the Gatehouse console',
    ];
    // In this order, newest first (other events, such as the connection's setup, sit between them).
    const positions = expected.map((sentence) => said.indexOf(sentence));
    expect(positions.filter((p) => p < 0), said.join('\n')).toEqual([]);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect([...events.map((e) => e.datetime)].sort().reverse()).toEqual(events.map((e) => e.datetime));

    const role = events.find((e) => e.text.startsWith('Alan Turing’s role changed'))!;
    expect(role.meta).toMatch(/^\d{1,2} \w{3} \d{4}, \d{2}:\d{2} UTC · by Ada Lovelace · Provisioning$/);
    const refused = events.find((e) => e.text.endsWith('wrong password'))!;
    expect(refused.meta).toMatch(/by Grace Hopper · Sign-in refusals$/);
    expect(refused.details).toContain('Reason code wrong_password');
    expect(refused.details).toContain(`User id ${grace.userId}`);
    expect(refused.details).toMatch(/Event id evt_[0-9A-Z]{26}/);
    const sso = events.find((e) => e.text.includes('mallory@evil.test'))!;
    expect(sso.details).toContain('Reason code email_outside_org_domains');
    expect(sso.details).toMatch(/Reference shown to the person \S+/);
    expect(events.find((e) => e.text.startsWith('Grace Hopper assigned'))!.meta).toContain('by API key “live”');
    expect(page.html).toContain('<details class="log__details">');
  });

  it('filters by a category or a single type', async () => {
    const refusals = await log('?type=refusals');
    expect(refusals.html).toMatch(/<option value="refusals" selected>All sign-in refusals<\/option>/);
    expect(sentences(refusals)).toEqual([
      'Sign-in refused for mallory@evil.test through SSO (Okta): email outside the organization’s verified domains',
      'Sign-in refused for Barbara Liskov: not an administrator (the console is for administrators only)',
      'Sign-in refused for Grace Hopper: not an administrator (the console is for administrators only)',
      'Sign-in refused for Grace Hopper: wrong password',
    ]);
    const signIns = sentences(await log('?type=sign-ins'));
    expect(signIns).toHaveLength(4);
    expect(signIns.every((s) => / signed in with | accepted the sign-in of /.test(s))).toBe(true);
    expect(sentences(await log('?type=site.updated'))).toEqual(['Site “Berlin” renamed to “Berlin Mitte” by Ada Lovelace']);
    const admin = sentences(await log('?type=admin'));
    expect(admin).toContain('Site “Berlin” created by Ada Lovelace');
    expect(admin).toContain('Domain sso.acme.test verified manually through the management API');
    expect(admin.some((s) => s.includes('signed in'))).toBe(false);
    // An unknown type is said, and everything is shown.
    const unknown = await log('?type=nothing.like_this');
    expect(text(unknown.html)).toContain('That type of event is not one the activity log knows');
    expect(shown(unknown).length).toBe(shown(await log()).length);
  });

  it('filters by person: what they did and what happened to them', async () => {
    const byName = await log('?person=grace');
    expect(text(byName.html)).toContain('Showing activity of Grace Hopper (grace.hopper@acme.test)');
    const about = sentences(byName);
    expect(about).toContain('Sign-in refused for Grace Hopper: wrong password');
    expect(about).toContain('Grace Hopper assigned to “Berlin Mitte” as member through the management API');
    expect(about).toContain('Grace Hopper joined the organization as member by accepting an invitation');
    expect(about.some((s) => s.includes('Ada Lovelace') || s.includes('Barbara'))).toBe(false);
    // The admin's own actions, by full name.
    const byAda = sentences(await log('?person=Ada%20Lovelace'));
    expect(byAda).toContain('Alan Turing’s role changed from member to admin by Ada Lovelace');
    expect(byAda).toContain('Site “Berlin” created by Ada Lovelace');
    // Both filters at once, and an address that is no member's still finds the refusals naming it.
    expect(sentences(await log('?type=refusals&person=grace.hopper%40acme.test'))).toEqual([
      'Sign-in refused for Grace Hopper: not an administrator (the console is for administrators only)',
      'Sign-in refused for Grace Hopper: wrong password',
    ]);
    const outsider = await log('?person=mallory%40evil.test');
    expect(text(outsider.html)).toContain('Nobody in Acme matches “mallory@evil.test”: showing refused sign-ins with that email address only.');
    expect(sentences(outsider)).toEqual(['Sign-in refused for mallory@evil.test through SSO (Okta): email outside the organization’s verified domains']);
    const nobody = await log('?person=zzz');
    expect(text(nobody.html)).toContain('Nobody in Acme matches “zzz”');
    expect(shown(nobody)).toEqual([]);
    expect(text(nobody.html)).toContain('No activity matches these filters.');
    expect(nobody.html).toContain('value="zzz"');
  });

  it("shows the creation and email changes of its members' accounts (events without an org), and no one else's", async () => {
    const created = sentences(await log('?type=user.created'));
    expect(created).toContain('Account created for Grace Hopper (grace.hopper@acme.test)');
    expect(created.some((line) => line.includes('oscar') || line.includes('Oscar'))).toBe(false);
    await live.app.uow((trx) => changeUserEmail(trx, { ctx: live.app.ctx, actor: { type: 'system' } }, alan.userId, 'alan@acme.test'));
    const changed = sentences(await log('?type=user.email_changed'));
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatch(/email address changed from alan\.turing@acme\.test to alan@acme\.test/);
    // Globex's admin sees Globex's members only.
    const globex = sentences(await eve.browser.get(`${live.url}/console/activity?type=user.created`));
    expect(globex.some((line) => line.includes('Grace') || line.includes('alan'))).toBe(false);
    expect(globex.some((line) => line.includes('oscar.grouch@globex.test'))).toBe(true);
  });

  it("never shows another org's events, whatever the filter or cursor", async () => {
    const globexEvents = (await live.api('GET', `/events?organization_id=${eve.orgId}&limit=100`)).body.data as Array<{ id: string }>;
    expect(globexEvents.length).toBeGreaterThan(3);
    const queries = ['', '?type=refusals', '?type=sign-ins', '?type=admin', '?person=oscar', '?person=eve.mallory%40globex.test', '?person=oscar.grouch%40globex.test', `?before=${globexEvents.at(-1)!.id}`, `?after=${globexEvents[0]!.id}`];
    for (const query of queries) {
      const page = await log(query);
      expect(page.status, query).toBe(200);
      // What the admin typed is echoed in the filter; anything else of Globex's would be a leak.
      const typed = new URLSearchParams(query.slice(1)).get('person') ?? '';
      const visible = typed ? text(page.html).replaceAll(typed, '') : text(page.html);
      for (const foreign of ['Springfield', 'Globex', 'globex.test', 'Eve Mallory', 'Oscar Grouch']) expect(visible, `${query}: ${foreign}`).not.toContain(foreign);
      for (const event of globexEvents) expect(page.html, query).not.toContain(event.id);
    }
    // Globex's admin sees Globex's log, with its refused member, and nothing of Acme's.
    const theirs = await eve.browser.get(`${live.url}/console/activity`);
    expect(sentences(theirs)).toContain('Sign-in refused for Oscar Grouch: wrong password');
    expect(text(theirs.html)).not.toMatch(/Acme|Berlin|Grace|Ada Lovelace|mallory@evil/);
    // A member who is not an admin does not get the log at all.
    expect((await grace.browser.get(`${live.url}/console/activity`)).status).toBe(302);
  });
});

describe('console: activity log paging', () => {
  let live: LiveApp;
  let ada: ConsolePerson;

  beforeAll(async () => {
    live = await startLiveApp();
    ada = await consolePerson(live, { email: 'ada.lovelace@acme.test', orgName: 'Acme' });
    for (let i = 1; i <= 30; i++) await live.api('POST', `/organizations/${ada.orgId}/sites`, { name: `Site ${String(i).padStart(2, '0')}` });
    expect((await signInHttp(live, ada)).status).toBe(200);
  }, 60_000);
  afterAll(async () => live?.close());

  const href = (page: Page, label: string) => {
    const found = new RegExp(`<a [^>]*href="([^"]+)"[^>]*>(?:<span aria-hidden="true">← </span>)?${label}`).exec(page.html)?.[1];
    return found ? `${live.url}${found.replace(/&amp;/g, '&')}` : undefined;
  };

  it('pages 25 at a time with Older and Newer, keeping the filters', async () => {
    const first = await ada.browser.get(`${live.url}/console/activity?type=admin`);
    const firstPage = sentences(first);
    expect(firstPage).toHaveLength(25);
    expect(firstPage[0]).toBe('Site “Site 30” created through the management API');
    expect(firstPage[24]).toBe('Site “Site 06” created through the management API');
    expect(href(first, 'Newer')).toBeUndefined();
    const olderUrl = href(first, 'Older')!;
    expect(olderUrl).toMatch(/\?type=admin&before=evt_/);

    const second = await ada.browser.get(olderUrl);
    // The rest of the sites, then the organization's and invitation's own events, oldest last.
    const secondPage = sentences(second);
    expect(secondPage.slice(0, 5)).toEqual(['Site “Site 05” created through the management API', 'Site “Site 04” created through the management API', 'Site “Site 03” created through the management API', 'Site “Site 02” created through the management API', 'Site “Site 01” created through the management API']);
    expect(secondPage.at(-1)).toBe('Organization “Acme” created through the management API');
    expect(href(second, 'Older')).toBeUndefined();
    const newerUrl = href(second, 'Newer')!;
    expect(newerUrl).toMatch(/\?type=admin&after=evt_/);
    expect(sentences(await ada.browser.get(newerUrl))).toEqual(firstPage);

    // Without a filter the sign-in and the membership are in the log too.
    const all = sentences(await ada.browser.get(`${live.url}/console/activity`));
    expect(all[0]).toBe('Ada Lovelace signed in with a password to the Gatehouse console');
    // A cursor that is not an event id is ignored.
    expect(sentences(await ada.browser.get(`${live.url}/console/activity?before=1%20OR%201=1`))).toEqual(all);
  });
});

describe('activity wording and categories', () => {
  let live: LiveApp;
  beforeAll(async () => {
    live = await startLiveApp();
  });
  afterAll(async () => live?.close());

  it('files every event type an org can have under exactly one category', () => {
    const filed = ACTIVITY_CATEGORIES.flatMap((c) => c.types.map((t) => t.type));
    expect(new Set(filed).size).toBe(filed.length);
    expect([...filed, ...OPERATOR_EVENT_TYPES].sort()).toEqual([...EVENT_TYPES].sort());
  });

  it('puts every event type into its own sentence', async () => {
    const names = await loadActivityNames(live.app.db, 'org_none', []);
    for (const type of EVENT_TYPES) {
      const line = describeEvent({ id: 'evt_x', type, organization_id: 'org_none', actor: { type: 'system', id: null }, data: {}, created_at: '2026-01-01T00:00:00.000Z' }, names, 'Acme');
      expect(line.text, type).not.toBe(`${type} event`);
      expect(line.text, type).not.toMatch(/undefined|null|\[object/);
    }
  });
});
