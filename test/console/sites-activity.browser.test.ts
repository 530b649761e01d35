import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, newChromiumPage, runBrowserSuite, screenshotDir, shot } from '../helpers/chromium.ts';
import { consolePerson, signInChromium, signInHttp } from '../helpers/console.ts';
import { type LiveApp, startLiveApp } from '../helpers/live-app.ts';

/**
 * Sites and the activity log in real Chromium: a site created (after a refused duplicate), renamed and,
 * with people assigned through the management API, deleted through its confirmation page; then the
 * activity log shows those changes and a member's refused console sign-in with its reason, filtered by
 * type and by person.
 */
describe.runIf(runBrowserSuite)('console: sites and activity in a browser', () => {
  let live: LiveApp;
  let browser: Browser;
  const dir = screenshotDir('console-sites-activity');

  beforeAll(async () => {
    live = await startLiveApp();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await live?.close();
  });

  it('an admin creates, renames and deletes sites, then reads what happened in the activity log', async () => {
    const admin = await consolePerson(live, { email: 'ada.lovelace@acme.test', orgName: 'Acme' });
    const orgId = admin.orgId;
    const grace = await consolePerson(live, { email: 'grace.hopper@acme.test', role: 'member', orgId });
    const alan = await consolePerson(live, { email: 'alan.turing@acme.test', role: 'member', orgId });
    const role = live.app.config.siteRoles[0]!;
    await live.api('POST', `/organizations/${orgId}/sites`, { name: 'Amsterdam HQ' });
    await live.api('POST', `/organizations/${orgId}/sites`, { name: 'Cambridge lab' });

    const { page, errors } = await newChromiumPage(browser);
    await signInChromium(page, live, admin.email);
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Sites' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Sites');

    // Create: a duplicate is refused next to the field, then a new name goes in.
    await page.getByLabel('Site name').fill('amsterdam hq');
    await page.getByRole('button', { name: 'Add site' }).click();
    await expect.poll(() => page.locator('#name-error').textContent()).toContain('Acme already has a site named “amsterdam hq”');
    await expect.poll(() => page.getByLabel('Site name').inputValue()).toBe('amsterdam hq');
    await page.getByLabel('Site name').fill('Berlin office');
    await page.getByRole('button', { name: 'Add site' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('Site “Berlin office” added.');

    // Rename through its own page.
    await page.getByRole('link', { name: 'Rename Berlin office' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Rename “Berlin office”');
    await shot(page, dir, '1-rename');
    await page.getByLabel('Site name').fill('Berlin Mitte');
    await page.getByRole('button', { name: 'Save name' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('Site “Berlin office” renamed to “Berlin Mitte”.');

    // People assigned through the management API, as the app would.
    const berlin = (await live.api('GET', `/organizations/${orgId}/sites`)).body.data.find((s: { name: string }) => s.name === 'Berlin Mitte');
    for (const person of [grace, alan]) expect((await live.api('PUT', `/sites/${berlin.id}/assignments/${person.userId}`, { role })).status).toBe(200);
    await page.reload();
    const berlinRow = page.getByRole('row').filter({ hasText: 'Berlin Mitte' });
    await expect.poll(() => berlinRow.textContent()).toContain('2 people');
    await shot(page, dir, '2-sites');

    // Delete: the confirmation says who loses what; Cancel changes nothing; Delete does it.
    await berlinRow.getByRole('link', { name: 'Delete Berlin Mitte' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Delete the site “Berlin Mitte”?');
    expect(await page.locator('.confirm').textContent()).toContain('2 people lose their assignment');
    await shot(page, dir, '3-delete-confirmation');
    await page.getByRole('link', { name: 'Cancel' }).click();
    await expect.poll(() => page.getByRole('row').filter({ hasText: 'Berlin Mitte' }).count()).toBe(1);
    await page.getByRole('link', { name: 'Delete Berlin Mitte' }).click();
    await page.getByRole('button', { name: 'Delete site' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('Site “Berlin Mitte” deleted. 2 people lost their assignment to it.');
    expect(await page.getByRole('row').filter({ hasText: 'Berlin Mitte' }).count()).toBe(0);
    expect((await live.api('GET', `/users/${grace.userId}/site_assignments?organization_id=${orgId}`)).body.data).toEqual([]);

    // A member tries the console and is refused.
    expect((await signInHttp(live, grace)).status).toBe(403);

    // The activity log: the changes, by whom, and the refusal with its reason.
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Activity' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Activity');
    const events = page.getByRole('list', { name: 'Events, newest first' }).getByRole('listitem');
    const lines = async () => (await page.locator('.log__text').allTextContents()).map((s) => s.trim());
    await expect.poll(lines).toContain('Sign-in refused for Grace Hopper: not an administrator (the console is for administrators only)');
    const said = await lines();
    for (const sentence of ['Site “Berlin Mitte” deleted by Ada Lovelace, with everyone’s assignment to it', 'Site “Berlin office” renamed to “Berlin Mitte” by Ada Lovelace', 'Site “Berlin office” created by Ada Lovelace', 'Grace Hopper assigned to “Berlin Mitte” as member through the management API']) {
      expect(said).toContain(sentence);
    }
    expect(said.indexOf('Site “Berlin Mitte” deleted by Ada Lovelace, with everyone’s assignment to it')).toBeLessThan(said.indexOf('Site “Berlin office” created by Ada Lovelace'));
    // The details of the refusal open in place.
    const refusal = events.filter({ hasText: 'Sign-in refused for Grace Hopper' });
    await refusal.getByText('Details').click();
    await expect.poll(() => refusal.locator('dl').isVisible()).toBe(true);
    expect(await refusal.locator('dl').textContent()).toContain('not_an_admin');
    await shot(page, dir, '4-activity');

    // Filter by type: refusals only.
    await page.getByLabel('Type').selectOption({ label: 'All sign-in refusals' });
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.url()).toContain('type=refusals');
    await expect.poll(lines).toEqual(['Sign-in refused for Grace Hopper: not an administrator (the console is for administrators only)']);

    // Filter by type and person: Ada's admin changes (and her own invitation) only.
    await page.getByLabel('Type').selectOption({ label: 'All admin changes' });
    await page.getByLabel('Person').fill('Ada');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('Showing activity of Ada Lovelace');
    await expect.poll(lines).toEqual(['Site “Berlin Mitte” deleted by Ada Lovelace, with everyone’s assignment to it', 'Site “Berlin office” renamed to “Berlin Mitte” by Ada Lovelace', 'Site “Berlin office” created by Ada Lovelace', 'Ada Lovelace accepted the invitation sent to ada.lovelace@acme.test']);
    await shot(page, dir, '5-activity-filtered');

    // By person alone: what happened to Grace.
    await page.getByLabel('Type').selectOption({ label: 'All activity' });
    await page.getByLabel('Person').fill('grace.hopper@acme.test');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(lines).toContain('Grace Hopper assigned to “Berlin Mitte” as member through the management API');
    expect((await lines()).every((s) => s.includes('Grace Hopper') || s.includes('grace.hopper@acme.test'))).toBe(true);
    await page.getByRole('link', { name: 'Clear filters' }).click();
    await expect.poll(() => page.getByLabel('Person').inputValue()).toBe('');

    // The refused duplicate answered 409 (Chromium logs the status); nothing else went wrong on any page.
    expect(errors).toEqual(['Failed to load resource: the server responded with a status of 409 (Conflict)']);
  }, 90_000);
});
