import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_IT_CONTACTS } from '../../src/orgs/it-contacts.service.ts';
import { ensureMembership, upsertUser } from '../../src/users/provisioning.ts';
import { launchChromium, newChromiumPage, runBrowserSuite, screenshotDir, shot } from '../helpers/chromium.ts';
import { consolePerson, signInChromium } from '../helpers/console.ts';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.ts';
import { type LiveApp, startLiveApp } from '../helpers/live-app.ts';

const AUTH = '/console/settings/authentication';
const DAY_MS = 86_400_000;

/**
 * Settings -> Authentication in real Chromium: domains in their three states (verified through the
 * Verify button against a real DNS server), then IT contacts filled up to the limit of 20 (most
 * through the management API, the last ones through the page), the limit explained, one removed
 * through its confirmation page, and the add form back.
 */
describe.runIf(runBrowserSuite)('console: domains and IT contacts in a browser', () => {
  let dns: TestDnsServer;
  let live: LiveApp;
  let browser: Browser;
  const dir = screenshotDir('console-domains-contacts');

  beforeAll(async () => {
    dns = await startDnsServer();
    live = await startLiveApp({ env: { DNS_SERVERS: dns.server } });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await live?.close();
    await dns?.close();
  });

  it('an admin verifies domains, fills the IT contacts up to the limit, removes one and can add again', async () => {
    const admin = await consolePerson(live, { email: 'ada.lovelace@acme.test', orgName: 'Acme' });
    const orgId = admin.orgId;
    const { page, errors } = await newChromiumPage(browser);
    await signInChromium(page, live, admin.email);
    await page.goto(`${live.url}${AUTH}`);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Authentication');

    // Domains: one added and verified through the page, one whose record is not there yet, one that
    // stayed pending for a month.
    // A refused name is said on the field, with what was typed kept.
    await page.getByLabel('Domain', { exact: true }).fill('gmail.com');
    await page.getByRole('button', { name: 'Add domain' }).click();
    await expect.poll(() => page.locator('#domain-error').textContent()).toContain('"gmail.com" is a consumer mail domain shared by many people');
    expect(await page.getByLabel('Domain', { exact: true }).inputValue()).toBe('gmail.com');
    await page.locator('#domains').scrollIntoViewIfNeeded();
    await shot(page, dir, '0-domain-refused');
    await page.getByLabel('Domain', { exact: true }).fill('acme.test');
    await page.getByRole('button', { name: 'Add domain' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('acme.test added.');
    const acme = await live.app.db.selectFrom('domains').selectAll().where('domain', '=', 'acme.test').executeTakeFirstOrThrow();
    dns.setTxt('_gatehouse-challenge.acme.test', acme.verification_value);
    await page.getByRole('button', { name: 'Verify acme.test' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('acme.test is verified.');

    await live.api('POST', `/organizations/${orgId}/domains`, { domain: 'acme-labs.test' });
    await page.reload();
    await page.getByRole('button', { name: 'Verify acme-labs.test' }).click();
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('acme-labs.test is not verified yet.');

    const old = (await live.api('POST', `/organizations/${orgId}/domains`, { domain: 'old-acme.test' })).body;
    await live.app.db.updateTable('domains').set({ created_at: new Date(Date.now() - 31 * DAY_MS).toISOString() }).where('id', '=', old.id).execute();
    expect((await live.api('POST', `/domains/${old.id}/verify`)).body.state).toBe('failed');
    await page.goto(`${live.url}${AUTH}`);
    const domains = page.locator('#domains');
    await expect.poll(() => domains.locator('.chip').allTextContents()).toEqual(['State: Verified', 'State: Pending', 'State: Failed']);
    // The Copy buttons show where the clipboard can be written, next to the values.
    await expect.poll(() => domains.getByRole('button', { name: 'Copy record value for acme-labs.test' }).isVisible()).toBe(true);
    await shot(page, dir, '1-authentication-domains');

    // IT contacts: all but three through the management API, the rest through the page.
    for (let i = 1; i <= MAX_IT_CONTACTS - 3; i++) {
      expect((await live.api('POST', `/organizations/${orgId}/it_contacts`, { email: `it.desk${i}@acme.test`, name: `IT desk ${i}` })).status).toBe(201);
    }
    await live.app.uow(async (trx) => {
      const { user } = await upsertUser(trx, live.call, { email: 'grace.hopper@acme.test', first_name: 'Grace', last_name: 'Hopper' });
      await ensureMembership(trx, live.call, { organizationId: orgId, userId: user.id, role: 'member', source: 'sso' });
    });
    await page.reload();
    const contacts = page.locator('#it-contacts');
    await expect.poll(() => contacts.textContent()).toContain('17 of 20');

    // A member, found with the search field.
    await contacts.getByLabel('Search members').fill('grace');
    await contacts.getByRole('button', { name: 'Search', exact: true }).click();
    await expect.poll(() => page.url()).toBe(`${live.url}${AUTH}?contact_search=grace#it-contacts`);
    await shot(page, dir, '2-contacts-member-search');
    await page.getByRole('button', { name: 'Add Grace Hopper' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('Grace Hopper (grace.hopper@acme.test) is now an IT contact.');
    await expect.poll(() => contacts.getByRole('row', { name: /Grace Hopper/ }).textContent()).toContain('Member');

    // Two by email, one with a name.
    await contacts.getByLabel('Email').fill('Security@Acme.test');
    await contacts.getByLabel('Name (optional)').fill('Security team');
    await contacts.getByRole('button', { name: 'Add IT contact' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('Security team (security@acme.test) is now an IT contact.');
    await contacts.getByLabel('Email').fill('oncall@acme.test');
    await contacts.getByRole('button', { name: 'Add IT contact' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('oncall@acme.test is now an IT contact.');

    // At the limit: a line says why, and there is no form to add with.
    await expect.poll(() => contacts.textContent()).toContain('20 of 20');
    await expect.poll(() => contacts.textContent()).toContain('Acme has 20 IT contacts, the most it can have. To add someone else, remove one first.');
    expect(await contacts.getByRole('button', { name: 'Add IT contact' }).count()).toBe(0);
    expect(await contacts.getByLabel('Search members').count()).toBe(0);
    expect(await contacts.getByRole('row').count()).toBe(MAX_IT_CONTACTS + 1);
    await contacts.scrollIntoViewIfNeeded();
    await shot(page, dir, '3-contacts-at-limit');

    // Remove one, through its confirmation page.
    await contacts.getByRole('link', { name: 'Remove IT desk 3' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Remove IT desk 3 as an IT contact?');
    await shot(page, dir, '4-contact-remove-confirm');
    await page.getByRole('button', { name: 'Remove IT contact' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('IT desk 3 (it.desk3@acme.test) is no longer an IT contact.');
    await expect.poll(() => contacts.textContent()).toContain('19 of 20');
    expect(await contacts.getByRole('button', { name: 'Add IT contact' }).isVisible()).toBe(true);
    expect(await contacts.getByLabel('Search members').isVisible()).toBe(true);
    expect((await live.api('GET', `/organizations/${orgId}/it_contacts`)).body.data.map((c: { email: string }) => c.email)).not.toContain('it.desk3@acme.test');

    // Chromium logs the refused form's 422 answer as a failed resource; nothing else may go wrong.
    expect(errors.filter((e) => !e.includes('status of 422'))).toEqual([]);
    expect(errors).toHaveLength(1);
  }, 90_000);
});
