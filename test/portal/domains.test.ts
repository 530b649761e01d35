import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { csrfOf, text } from '../helpers/http-browser.ts';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { listen, openPortal, type PortalServer, post, snapshot } from './portal-helpers.ts';

/**
 * The domain_verification intent (/portal/domains) against a real DNS server on loopback: add a domain,
 * read the TXT record to publish, press Verify, read the state and the last check in plain words.
 */
describe('setup wizard: domain verification', () => {
  let dns: TestDnsServer;
  let t: TestApp;
  let server: PortalServer;
  let orgId: string;

  beforeAll(async () => {
    dns = await startDnsServer();
  });
  afterAll(async () => dns.close());
  beforeEach(async () => {
    dns.clear();
    dns.queries.length = 0;
    t = await createTestApp({ DNS_SERVERS: dns.server });
    server = await listen(t);
    orgId = (await t.api.post('/api/v1/organizations', { name: 'Acme' }).expect(201)).body.id;
  });
  afterEach(async () => {
    await server.close();
    await t.close();
  });

  async function addDomain(domain: string) {
    const { browser, page } = await openPortal(t, server, orgId, 'domain_verification');
    const added = await post(browser, page, '/portal/domains', { domain });
    expect(added.status).toBe(303);
    const shown = await browser.get(added.location!);
    const row = await t.app.db.selectFrom('domains').selectAll().where('domain', '=', domain).executeTakeFirstOrThrow();
    return { browser, page: shown, row };
  }

  it('shows the TXT record to publish, then verifies it with a real DNS lookup when Verify is pressed', async () => {
    const { browser, page: empty } = await openPortal(t, server, orgId, 'domain_verification');
    expect(text(empty.html)).toContain('No domains yet');
    const added = await post(browser, empty, '/portal/domains', { domain: 'Acme.TEST' });
    expect(added.status).toBe(303);
    const page = await browser.get(added.location!);
    const row = await t.app.db.selectFrom('domains').selectAll().where('organization_id', '=', orgId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ domain: 'acme.test', state: 'pending' });
    const shown = text(page.html);
    expect(shown).toContain('Domain added');
    expect(shown).toContain('acme.test Pending');
    // The record to copy, each value with its Copy button (shown by portal.js) and as selectable text.
    expect(page.html).toContain(`<code class="copy-value__text" id="${row.id}-name">_gatehouse-challenge.acme.test</code>`);
    expect(page.html).toContain(`<code class="copy-value__text" id="${row.id}-value">${row.verification_value}</code>`);
    expect(page.html).toMatch(new RegExp(`data-copy="${row.id}-value" hidden>Copy`));
    expect(shown).toContain('Not checked yet.');

    // Not published yet: the check runs, the domain stays pending with the reason in words.
    const first = await post(browser, page, `/portal/domains/${row.id}/verify`, {});
    expect(first.status).toBe(303);
    expect(first.location).toBe(`${server.url}/portal/domains?checked=${row.id}#${row.id}`);
    const notYet = text((await browser.get(first.location!)).html);
    expect(notYet).toContain('Not verified yet');
    expect(notYet).toContain('No TXT record was found at _gatehouse-challenge.acme.test. Add it at your DNS provider; changes can take a while to appear.');
    expect(notYet).toContain('Last checked 1 Dec 2026, 09:00 UTC.');
    expect(dns.queries).toEqual(['_gatehouse-challenge.acme.test']);

    // A wrong value: mismatch, still pending.
    dns.setTxt('_gatehouse-challenge.acme.test', 'v=spf1 -all');
    t.clock.advance(5 * 60_000);
    const wrong = await browser.get((await post(browser, page, `/portal/domains/${row.id}/verify`, {})).location!);
    expect(text(wrong.html)).toContain('The TXT record at _gatehouse-challenge.acme.test does not hold the expected value (found 1 other value).');
    expect(text(wrong.html)).toContain('Last checked 1 Dec 2026, 09:05 UTC.');

    // Published: verified, with the check recorded as the portal's doing.
    dns.setTxt('_gatehouse-challenge.acme.test', 'v=spf1 -all', row.verification_value);
    const done = await browser.get((await post(browser, page, `/portal/domains/${row.id}/verify`, {})).location!);
    expect(text(done.html)).toContain('acme.test is verified');
    expect(text(done.html)).toContain('acme.test Verified');
    expect(done.html).not.toContain(`/portal/domains/${row.id}/verify`);
    expect((await t.app.db.selectFrom('domains').select(['state', 'verification_method']).where('id', '=', row.id).executeTakeFirstOrThrow())).toEqual({ state: 'verified', verification_method: 'dns_txt' });
    const events = await t.app.db.selectFrom('events').select(['type', 'actor_type', 'actor_id']).where('organization_id', '=', orgId).where('type', 'like', 'domain.%').orderBy('id').execute();
    const link = await t.app.db.selectFrom('portal_links').select('id').where('organization_id', '=', orgId).executeTakeFirstOrThrow();
    expect(events).toEqual([
      { type: 'domain.created', actor_type: 'portal', actor_id: link.id },
      { type: 'domain.verification_failed', actor_type: 'portal', actor_id: link.id },
      { type: 'domain.verification_failed', actor_type: 'portal', actor_id: link.id },
      { type: 'domain.verified', actor_type: 'portal', actor_id: link.id },
    ]);

    // Verify again on a verified domain: no lookup, nothing changes.
    const queries = dns.queries.length;
    const before = await snapshot(t);
    expect((await browser.request('POST', `${server.url}/portal/domains/${row.id}/verify`, { _csrf: csrfOf(done) })).status).toBe(303);
    expect(dns.queries.length).toBe(queries);
    expect(await snapshot(t)).toEqual(before);
  });

  it('shows a domain that stayed pending for 30 days as failed, with the reason, and lets it be verified again', async () => {
    const { row } = await addDomain('acme.test');
    t.clock.advance(31 * 86_400_000);
    // A setup session lasts an hour without activity: a month later the admin opens a new link.
    const { browser, page } = await openPortal(t, server, orgId, 'domain_verification');
    const failed = await browser.get((await post(browser, page, `/portal/domains/${row.id}/verify`, {})).location!);
    const shown = text(failed.html);
    expect(shown).toContain('acme.test Failed');
    expect(shown).toContain('The domain was not verified within 30 days. Last check: No TXT record was found at _gatehouse-challenge.acme.test.');
    dns.setTxt('_gatehouse-challenge.acme.test', row.verification_value);
    const verified = await browser.get((await post(browser, failed, `/portal/domains/${row.id}/verify`, {})).location!);
    expect(text(verified.html)).toContain('acme.test Verified');
  });

  it('refuses a malformed domain, a public suffix and a duplicate in the form, writing nothing', async () => {
    const { browser, page } = await addDomain('acme.test');
    const before = await snapshot(t);
    for (const [input, message] of [
      ['', 'Enter a domain, such as example.com.'],
      ['not a domain', ''],
      ['co.uk', ''],
      ['acme.test', 'acme.test is already added to this organization'],
    ] as const) {
      const refused = await post(browser, page, '/portal/domains', { domain: input });
      expect(refused.status, input).toBe(input === 'acme.test' ? 409 : 422);
      expect(refused.html, input).toContain('aria-invalid="true"');
      expect(refused.html, input).toMatch(/class="field__error" id="domain-error"/);
      if (message) expect(text(refused.html), input).toContain(message);
    }
    expect(await snapshot(t)).toEqual(before);
  });

  it("answers 404 for another org's domain in the URL, without a DNS lookup or any change", async () => {
    const other = (await t.api.post('/api/v1/organizations', { name: 'Globex' }).expect(201)).body.id;
    const theirs = (await t.api.post(`/api/v1/organizations/${other}/domains`, { domain: 'globex.test' }).expect(201)).body.id;
    dns.setTxt('_gatehouse-challenge.globex.test', 'anything');
    const { page } = await addDomain('acme.test');
    const { browser } = await openPortal(t, server, orgId, 'domain_verification');
    const before = await snapshot(t);
    const res = await browser.request('POST', `${server.url}/portal/domains/${theirs}/verify`, { _csrf: csrfOf((await browser.get(`${server.url}/portal/domains`))) });
    expect(res.status).toBe(404);
    expect(text(res.html)).toContain(`No domain with id ${theirs}.`);
    expect(dns.queries).not.toContain('_gatehouse-challenge.globex.test');
    expect(await snapshot(t)).toEqual(before);
    expect(page.html).not.toContain('globex');
  });

  it('refuses a forged CSRF token, writing nothing', async () => {
    const { browser, page, row } = await addDomain('acme.test');
    const before = await snapshot(t);
    const csrf = csrfOf(page);
    const forged = (csrf.startsWith('A') ? 'B' : 'A') + csrf.slice(1);
    for (const [path, form] of [['/portal/domains', { domain: 'other.test' }], [`/portal/domains/${row.id}/verify`, {}]] as const) {
      const res = await browser.request('POST', `${server.url}${path}`, { ...form, _csrf: forged });
      expect(res.status, path).toBe(403);
      expect(text(res.html), path).toContain('This form expired or was not sent from this site.');
      const none = await browser.request('POST', `${server.url}${path}`, { ...form });
      expect(none.status, path).toBe(403);
    }
    expect(dns.queries).toEqual([]);
    expect(await snapshot(t)).toEqual(before);
  });
});
