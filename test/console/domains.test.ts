import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { consolePerson, type ConsolePerson, signInHttp } from '../helpers/console.ts';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.ts';
import { csrfOf, type Page, postWithCsrf, text } from '../helpers/http-browser.ts';
import { type LiveApp, startLiveApp } from '../helpers/live-app.ts';

const AUTH = '/console/settings/authentication';
/** The token with its first character changed (the last one of a base64url string may carry only padding bits). */
const bend = (token: string) => (token.startsWith('A') ? 'B' : 'A') + token.slice(1);
const DAY_MS = 86_400_000;
/** What a form about a domain removed meanwhile (or another org's) says on the page it lands on. */
const GONE = 'That domain no longer exists: someone removed it. Nothing was changed.';

/**
 * Settings -> Authentication -> Domains over HTTP, against a real DNS server on loopback (DNS_SERVERS):
 * add a domain, copy its TXT record, press Verify, read the state and why it is not verified, remove it
 * after a confirmation page; and the refusals, each leaving the domains as they were.
 */
describe('console: domains', () => {
  let dns: TestDnsServer;
  let live: LiveApp;
  let people = 0;

  beforeAll(async () => {
    dns = await startDnsServer();
    live = await startLiveApp({ env: { DNS_SERVERS: dns.server } });
  });
  afterAll(async () => {
    await live?.close();
    await dns?.close();
  });
  beforeEach(() => {
    dns.clear();
    dns.queries.length = 0;
  });

  /** A signed-in admin of a new org, on the Authentication page. */
  async function signedInAdmin(orgName = 'Acme', role: 'admin' | 'member' = 'admin', orgId?: string) {
    const person = await consolePerson(live, { email: `person.${++people}@${orgName.toLowerCase()}.example`, orgName, role, orgId });
    await signInHttp(live, person);
    return person;
  }
  const authPage = (person: ConsolePerson) => person.browser.get(`${live.url}${AUTH}`);
  const domainsOf = (orgId: string) => live.app.db.selectFrom('domains').selectAll().where('organization_id', '=', orgId).orderBy('id').execute();
  const eventsOf = (orgId: string) => live.app.db.selectFrom('events').select(['type', 'actor_type', 'actor_id', 'data']).where('organization_id', '=', orgId).where('type', 'like', 'domain.%').orderBy('id').execute();
  const everyDomain = () => live.app.db.selectFrom('domains').selectAll().orderBy('id').execute();

  /** Posts the form of `page` whose action is exactly `action`, with the page's CSRF token, as its button does. */
  function post(person: ConsolePerson, page: Page, action: string, fields: Record<string, string> = {}) {
    expect(page.html).toContain(`action="${action}"`);
    return postWithCsrf(person.browser, page, `${live.url}${action}`, fields);
  }

  /** Posts a form of `page` and follows the 303 back to the page it leads to (with its flash message). */
  async function submitAndFollow(person: ConsolePerson, page: Page, action: string, fields: Record<string, string> = {}) {
    const posted = await post(person, page, action, fields);
    expect(posted.status, text(posted.html).slice(0, 300)).toBe(303);
    return person.browser.get(posted.location!);
  }

  it('adds a domain and shows the TXT record to publish, each value with its Copy button', async () => {
    const admin = await signedInAdmin();
    const empty = await authPage(admin);
    expect(empty.status).toBe(200);
    expect(text(empty.html)).toContain('No domains yet.');

    const posted = await admin.browser.submit(empty, `${AUTH}/domains`, { domain: ' Acme-Add.EXAMPLE ' });
    expect(posted.status).toBe(303);
    const [row] = await domainsOf(admin.orgId);
    expect(row).toMatchObject({ domain: 'acme-add.example', state: 'pending' });
    expect(posted.location).toBe(`${live.url}${AUTH}#${row!.id}`);
    const page = await admin.browser.get(posted.location!);
    const shown = text(page.html);
    expect(shown).toContain('acme-add.example added. Publish its TXT record at your DNS provider, then press Verify.');
    expect(shown).toContain('acme-add.example State: Pending');
    expect(page.html).toContain('class="chip chip--warning"');
    expect(page.html).toContain(`<code class="copy-value__text" id="${row!.id}-name">_gatehouse-challenge.acme-add.example</code>`);
    expect(page.html).toContain(`<code class="copy-value__text" id="${row!.id}-value">${row!.verification_value}</code>`);
    expect(page.html).toContain(`data-copy="${row!.id}-value" hidden>Copy<span class="visually-hidden"> record value for acme-add.example</span>`);
    expect(shown).toContain('Not checked yet.');
    // The flash is said once: the next visit shows the page without it.
    expect(text((await authPage(admin)).html)).not.toContain('acme-add.example added.');
    expect((await eventsOf(admin.orgId)).map((e) => [e.type, e.actor_type, e.actor_id])).toEqual([['domain.created', 'user', admin.userId]]);
  });

  it('verifies with a real DNS lookup when Verify is pressed, saying why it is not verified yet until the record is right', async () => {
    const admin = await signedInAdmin();
    await live.api('POST', `/organizations/${admin.orgId}/domains`, { domain: 'acme-verify.example' });
    const [row] = await domainsOf(admin.orgId);
    const verify = `${AUTH}/domains/${row!.id}/verify`;

    // No record yet: a danger flash and the reason under the domain, which stays pending.
    const missing = await submitAndFollow(admin, await authPage(admin), verify);
    expect(missing.url).toBe(`${live.url}${AUTH}#${row!.id}`);
    const notFound = 'No TXT record was found at _gatehouse-challenge.acme-verify.example. Add it at your DNS provider; changes can take a while to appear.';
    expect(text(missing.html)).toContain(`acme-verify.example is not verified yet. ${notFound}`);
    expect(missing.html).toContain('class="alert alert--error" role="alert"');
    expect(text(missing.html)).toContain(`acme-verify.example State: Pending`);
    expect(text(missing.html)).toContain(`Last check: ${notFound}`);
    expect(text(missing.html)).toMatch(/Last checked \d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC\./);
    expect(dns.queries).toEqual(['_gatehouse-challenge.acme-verify.example']);

    // A record with another value: said so, still pending.
    dns.setTxt('_gatehouse-challenge.acme-verify.example', 'v=spf1 -all');
    const wrong = await submitAndFollow(admin, missing, verify);
    expect(text(wrong.html)).toContain('Last check: The TXT record at _gatehouse-challenge.acme-verify.example does not hold the expected value (found 1 other value).');
    expect((await domainsOf(admin.orgId))[0]!.state).toBe('pending');

    // The right value: verified, the record and the Verify button gone.
    dns.setTxt('_gatehouse-challenge.acme-verify.example', 'v=spf1 -all', row!.verification_value);
    const done = await submitAndFollow(admin, wrong, verify);
    const shown = text(done.html);
    expect(shown).toContain('acme-verify.example is verified.');
    expect(done.html).toContain('class="alert alert--success" role="status"');
    expect(shown).toContain('acme-verify.example State: Verified');
    expect(done.html).toContain('class="chip chip--success"');
    expect(shown).toMatch(/Verified on \d{1,2} [A-Z][a-z]{2} \d{4}\. The TXT record is no longer needed\./);
    expect(done.html).not.toContain(verify);
    expect(done.html).not.toContain(row!.verification_value);
    expect(await domainsOf(admin.orgId)).toMatchObject([{ state: 'verified', verification_method: 'dns_txt' }]);
    expect((await eventsOf(admin.orgId)).map((e) => [e.type, e.actor_type])).toEqual([
      ['domain.created', 'api_key'],
      ['domain.verification_failed', 'user'],
      ['domain.verification_failed', 'user'],
      ['domain.verified', 'user'],
    ]);

    // Verify posted again (an old tab): no lookup, nothing changes.
    const queries = dns.queries.length;
    const before = await everyDomain();
    const again = await post(admin, missing, verify);
    expect(again.status).toBe(303);
    expect(dns.queries.length).toBe(queries);
    expect(await everyDomain()).toEqual(before);
  });

  it('shows a domain left pending for 30 days as failed, with the last check in words, and lets it be verified again', async () => {
    const admin = await signedInAdmin();
    const created = (await live.api('POST', `/organizations/${admin.orgId}/domains`, { domain: 'acme-late.example' })).body;
    // Added a month ago (the live app runs on the real clock).
    await live.app.db.updateTable('domains').set({ created_at: new Date(Date.now() - 31 * DAY_MS).toISOString() }).where('id', '=', created.id).execute();
    const failed = await submitAndFollow(admin, await authPage(admin), `${AUTH}/domains/${created.id}/verify`);
    const shown = text(failed.html);
    expect(shown).toContain('acme-late.example State: Failed');
    expect(failed.html).toContain('class="chip chip--danger"');
    expect(shown).toContain('Verification failed: The domain was not verified within 30 days. Last check: No TXT record was found at _gatehouse-challenge.acme-late.example.');
    // Still something to do about it: the record and the Verify button stay.
    dns.setTxt('_gatehouse-challenge.acme-late.example', created.verification.value);
    const verified = await submitAndFollow(admin, failed, `${AUTH}/domains/${created.id}/verify`);
    expect(text(verified.html)).toContain('acme-late.example State: Verified');
  });

  it('says when the DNS lookup itself failed', async () => {
    // A resolver that is not there: the lookup is refused at once (ECONNREFUSED) rather than answered.
    const gone = await startDnsServer();
    await gone.close();
    const other = await startLiveApp({ env: { DNS_SERVERS: gone.server } });
    try {
      const person = await consolePerson(other, { email: 'dns.admin@acme.example' });
      await signInHttp(other, person);
      const domain = (await other.api('POST', `/organizations/${person.orgId}/domains`, { domain: 'acme-dns.example' })).body;
      const page = await person.browser.get(`${other.url}${AUTH}`);
      const posted = await person.browser.submit(page, `${AUTH}/domains/${domain.id}/verify`, {});
      const shown = text((await person.browser.get(posted.location!)).html);
      expect(shown).toMatch(/Last check: The DNS lookup of _gatehouse-challenge\.acme-dns\.example failed \([A-Z]+\); try again in a few minutes\./);
      expect(shown).toContain('acme-dns.example State: Pending');
    } finally {
      await other.close();
    }
  });

  it('refuses a blank, malformed, public-suffix, duplicate or taken domain on the field, writing nothing', async () => {
    const globex = (await live.api('POST', '/organizations', { name: 'Globex' })).body.id;
    const taken = (await live.api('POST', `/organizations/${globex}/domains`, { domain: 'globex-taken.example' })).body.id;
    expect((await live.api('POST', `/domains/${taken}/verify`, { method: 'manual' })).status).toBe(200);
    const admin = await signedInAdmin();
    await live.api('POST', `/organizations/${admin.orgId}/domains`, { domain: 'acme-dup.example' });
    const page = await authPage(admin);
    const before = await everyDomain();
    const cases: Array<[string, number, string]> = [
      ['', 422, 'Enter a domain, such as example.com.'],
      ['https://acme.example/login', 422, '"https://acme.example/login" is not a valid domain name: give the bare domain, such as example.com, without a scheme, path, port or address.'],
      ['co.uk', 422, '"co.uk" is a public suffix, under which anyone can register names; claim your own domain under it instead.'],
      ['gmail.com', 422, '"gmail.com" is a consumer mail domain shared by many people; only a domain your organisation owns can be verified.'],
      ['ACME-dup.example', 409, 'acme-dup.example is already in the list below.'],
      ['globex-taken.example', 409, 'globex-taken.example is already verified by another organization.'],
    ];
    for (const [input, status, message] of cases) {
      const refused = await post(admin, page, `${AUTH}/domains`, { domain: input });
      expect(refused.status, input).toBe(status);
      // The whole page again, the typed value kept, the message tied to the field.
      expect(text(refused.html), input).toContain(`Error: ${message}`);
      expect(refused.html, input).toMatch(/<input class="input" id="domain" name="domain" type="text"[^>]* aria-describedby="domain-hint domain-error" aria-invalid="true">/);
      if (input) expect(refused.html, input).toContain(`value="${input.replace(/"/g, '&quot;')}"`);
      expect(text(refused.html), input).toContain('acme-dup.example State: Pending');
    }
    expect(await everyDomain()).toEqual(before);
  });

  it('removes a domain after a confirmation page that says what it means', async () => {
    const admin = await signedInAdmin();
    const verified = (await live.api('POST', `/organizations/${admin.orgId}/domains`, { domain: 'acme-gone.example' })).body;
    await live.api('POST', `/domains/${verified.id}/verify`, { method: 'manual' });
    const pending = (await live.api('POST', `/organizations/${admin.orgId}/domains`, { domain: 'acme-pend.example' })).body;
    const page = await authPage(admin);
    expect(page.html).toContain(`href="${AUTH}/domains/${verified.id}/remove"`);
    expect(text(page.html)).toContain('Verified on');
    expect(text(page.html)).toContain('by your Gatehouse operator');

    const confirm = await admin.browser.get(`${live.url}${AUTH}/domains/${verified.id}/remove`);
    expect(confirm.status).toBe(200);
    const asked = text(confirm.html);
    expect(asked).toContain('Remove acme-gone.example?');
    expect(asked).toContain('People signing in with an @acme-gone.example email will no longer be sent to your identity provider');
    expect(confirm.html).toContain(`<a class="button button--secondary" href="${AUTH}#${verified.id}">Cancel</a>`);
    // Looking at the question changes nothing.
    expect(await domainsOf(admin.orgId)).toHaveLength(2);

    const done = await submitAndFollow(admin, confirm, `${AUTH}/domains/${verified.id}/remove`);
    expect(text(done.html)).toContain('acme-gone.example removed.');
    expect(text(done.html)).not.toContain('acme-gone.example State');
    expect((await domainsOf(admin.orgId)).map((d) => d.domain)).toEqual(['acme-pend.example']);
    expect((await eventsOf(admin.orgId)).at(-1)).toMatchObject({ type: 'domain.deleted', actor_type: 'user', actor_id: admin.userId });

    // With single sign-on required there is no password to fall back on: the question says they are locked out.
    const locked = (await live.api('POST', `/organizations/${admin.orgId}/domains`, { domain: 'acme-sso.example' })).body;
    await live.api('POST', `/domains/${locked.id}/verify`, { method: 'manual' });
    await live.app.db.updateTable('organizations').set({ enforce_sso: 1 }).where('id', '=', admin.orgId).execute();
    const enforced = text((await admin.browser.get(`${live.url}${AUTH}/domains/${locked.id}/remove`)).html);
    expect(enforced).toContain('Single sign-on is required for Acme, so people with an @acme-sso.example email will not be able to sign in at all');
    await live.app.db.updateTable('organizations').set({ enforce_sso: 0 }).where('id', '=', admin.orgId).execute();

    // A domain that was never verified: the question says nobody signs in differently.
    const second = await admin.browser.get(`${live.url}${AUTH}/domains/${pending.id}/remove`);
    expect(text(second.html)).toContain('acme-pend.example is not verified, so nobody signs in differently once it is gone.');
  });

  it('a Verify or Remove of a domain removed meanwhile comes back to the section saying so, changing nothing', async () => {
    const admin = await signedInAdmin();
    const domain = (await live.api('POST', `/organizations/${admin.orgId}/domains`, { domain: 'acme-meanwhile.example' })).body;
    const page = await authPage(admin);
    const confirm = await admin.browser.get(`${live.url}${AUTH}/domains/${domain.id}/remove`);
    expect(confirm.status).toBe(200);
    // Another admin removes it through the management API while both pages are open.
    expect((await live.api('DELETE', `/domains/${domain.id}`)).status).toBe(204);
    const before = await everyDomain();
    const events = await eventsOf(admin.orgId);

    for (const [from, action] of [[page, `${AUTH}/domains/${domain.id}/verify`], [confirm, `${AUTH}/domains/${domain.id}/remove`]] as const) {
      const posted = await post(admin, from, action);
      expect(posted.status, action).toBe(303);
      expect(posted.location).toBe(`${live.url}${AUTH}#domains`);
      const next = await admin.browser.get(posted.location!);
      expect(next.status).toBe(200);
      expect(text(next.html)).toContain(GONE);
      expect(next.html).toContain('class="alert alert--error" role="alert"');
      // Said once.
      expect(text((await authPage(admin)).html)).not.toContain(GONE);
    }
    expect(dns.queries).toEqual([]);
    expect(await everyDomain()).toEqual(before);
    expect(await eventsOf(admin.orgId)).toEqual(events);
  });

  it("refuses a member, another org's admin (at this org's URLs) and a forged CSRF token, with no lookup and nothing changed", async () => {
    const admin = await signedInAdmin();
    const domain = (await live.api('POST', `/organizations/${admin.orgId}/domains`, { domain: 'acme-safe.example' })).body;
    dns.setTxt('_gatehouse-challenge.acme-safe.example', domain.verification.value);
    const member = await consolePerson(live, { email: `member.${++people}@acme.example`, role: 'member', orgId: admin.orgId });
    expect((await signInHttp(live, member)).status).toBe(403);
    const outsider = await signedInAdmin('Globex');
    const before = await everyDomain();
    const events = await eventsOf(admin.orgId);

    const paths = [`${AUTH}/domains`, `${AUTH}/domains/${domain.id}/verify`, `${AUTH}/domains/${domain.id}/remove`];
    for (const path of paths) {
      const refused = await member.browser.request('POST', `${live.url}${path}`, { _csrf: 'x', domain: 'member.example' });
      expect(refused.status, path).toBe(403);
      expect(text(refused.html)).toContain('Administrators only');
    }

    const theirs = await authPage(outsider);
    for (const path of paths.slice(1)) {
      // Their own session and valid token, this org's domain id: told as for a domain removed meanwhile.
      const refused = await outsider.browser.request('POST', `${live.url}${path}`, { _csrf: csrfOf(theirs) });
      expect(refused.status, path).toBe(303);
      expect(refused.location, path).toBe(`${live.url}${AUTH}#domains`);
      const next = await outsider.browser.get(refused.location!);
      expect(text(next.html)).toContain(GONE);
      expect(next.html).not.toContain(domain.id);
    }
    expect((await outsider.browser.get(`${live.url}${AUTH}/domains/${domain.id}/remove`)).status).toBe(404);
    expect(text(theirs.html)).not.toContain('acme-safe.example');

    const page = await authPage(admin);
    expect(csrfOf(page)).not.toBe('forged');
    for (const path of paths) {
      expect((await admin.browser.request('POST', `${live.url}${path}`, { _csrf: 'forged', domain: 'forged.example' })).status, path).toBe(403);
      const bent = bend(csrfOf(page));
      expect((await admin.browser.request('POST', `${live.url}${path}`, { _csrf: bent, domain: 'forged.example' })).status, path).toBe(403);
    }
    // The same admin with the page's real token is let through (so the refusals above were the token's doing).
    expect((await admin.browser.request('POST', `${live.url}${AUTH}/domains`, { _csrf: csrfOf(page), domain: '' })).status).toBe(422);

    expect(dns.queries).toEqual([]);
    expect(await everyDomain()).toEqual(before);
    expect(await eventsOf(admin.orgId)).toEqual(events);
  });
});
