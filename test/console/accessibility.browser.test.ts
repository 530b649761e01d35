import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/clock.ts';
import { replaceCertificates } from '../../src/sso/connections.service.ts';
import { DESKTOP, launchChromium, newChromiumPage, PHONE, runBrowserSuite, sidewaysOverflow } from '../helpers/chromium.ts';
import { consolePerson, signInChromium } from '../helpers/console.ts';
import { type LiveApp, startLiveApp } from '../helpers/live-app.ts';
import { certificateUntil } from '../monitor/monitor-harness.ts';

const BROWSER_TEST_MS = 120_000;
const AUTH = '/console/settings/authentication';
/** axe-core's engine, injected into each page over CDP (the page's CSP would refuse a script tag). */
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const STANDARDS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
const BLOCKING = new Set(['serious', 'critical']);

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[]; html: string; failureSummary?: string }>;
}

/** A console page, and what to do there before the audit (a refused form, a preview, a flash): nothing that changes data. */
interface Visit {
  name: string;
  path: string;
  then?: (page: Page) => Promise<unknown>;
  /** An element the state shows (so a changed form cannot quietly audit another state). */
  shows?: string;
}

/** Fills the fields (by CSS selector) and presses the button, as a person would; waits for the answer. */
const submit = (fields: Record<string, string>, button: string) => async (page: Page) => {
  for (const [selector, value] of Object.entries(fields)) await page.locator(selector).fill(value);
  await page.getByRole('button', { name: button, exact: true }).click();
  await page.waitForLoadState('load');
};

/**
 * In the page (a string: the tests are typed without the DOM library): each id given to two elements, and
 * each id reference (for, form, aria-*) naming no element. axe 4.x no longer checks either.
 */
const ID_PROBLEMS = `(() => {
  const problems = [];
  const seen = new Set();
  for (const el of document.querySelectorAll('[id]')) {
    if (seen.has(el.id)) problems.push('id "' + el.id + '" is used more than once');
    seen.add(el.id);
  }
  for (const attr of ['for', 'form', 'aria-describedby', 'aria-labelledby', 'aria-controls', 'aria-owns']) {
    for (const el of document.querySelectorAll('[' + attr + ']')) {
      for (const ref of el.getAttribute(attr).split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(ref)) problems.push(attr + '="' + ref + '" names no element: ' + el.outerHTML.slice(0, 160));
      }
    }
  }
  return problems;
})()`;

interface Finding {
  where: string;
  violation: Violation;
}

/** One line per violation: what to fix, and the first element that shows it. */
const describeFinding = ({ where, violation: v }: Finding) =>
  `${where}: [${v.impact}] ${v.id}: ${v.help}${v.nodes[0] ? ` (${v.nodes.length}×) at ${JSON.stringify(v.nodes[0].target)} ${v.nodes[0].html.slice(0, 200)}` : ''}`;

/**
 * The org admin console against axe-core (WCAG 2.1 A/AA and best practice) in real Chromium: every page,
 * seeded so each shows what it can (domains verified and pending, an IT contact, an active SSO connection
 * whose certificate expires soon, a directory with a group mapping, a site with an assignment, an
 * invitation, a disabled member) and in the states forms lead to (refusals, a preview, a flash), at
 * desktop and phone width,
 * then the color contrast again in the dark theme, and the skip link from the keyboard. A serious or
 * critical finding fails, named by rule, page and element.
 */
describe.runIf(runBrowserSuite)('console accessibility (axe-core, keyboard)', () => {
  let live: LiveApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let pages: Visit[];

  beforeAll(async () => {
    live = await startLiveApp();
    // The admin signs in with a password: their address is not on the domain that goes to SSO.
    const admin = await consolePerson(live, { email: 'ada.lovelace@acme-admins.test', orgName: 'Acme', sso: true });
    const orgId = admin.orgId;
    const member = await consolePerson(live, { email: 'grace.hopper@acme.test', role: 'member', orgId });
    const verified = (await live.api('POST', `/organizations/${orgId}/domains`, { domain: 'acme.test' })).body;
    await live.api('POST', `/domains/${verified.id}/verify`, { method: 'manual' });
    await live.api('POST', `/organizations/${orgId}/domains`, { domain: 'acme-pending.test' });
    const contact = (await live.api('POST', `/organizations/${orgId}/it_contacts`, { email: 'it@acme.test', name: 'IT desk' })).body;
    const site = (await live.api('POST', `/organizations/${orgId}/sites`, { name: 'Oslo' })).body;
    await live.api('POST', `/organizations/${orgId}/sites`, { name: 'Bergen' });
    const siteRole = live.app.config.siteRoles[0]!;
    await live.api('PUT', `/sites/${site.id}/assignments/${member.userId}`, { role: siteRole });
    const invitation = (await live.api('POST', `/organizations/${orgId}/invitations`, { email: 'new.person@acme.test', role: 'member' })).body;
    const directory = (await live.api('POST', `/organizations/${orgId}/directories`, { provider: 'okta' })).body;
    const mapped = await live.api('PUT', `/directories/${directory.id}/group_mappings`, { data: [{ group: 'Engineering', org_role: 'member', sites: [{ site_id: site.id, role: siteRole }] }] });
    expect(mapped.status, JSON.stringify(mapped.body)).toBe(200);
    const metadata = await (await fetch(`${live.url}/sso/simulator/metadata`)).text();
    const connection = await live.api('POST', `/organizations/${orgId}/connections`, { type: 'saml', provider: 'okta', saml: { metadata_xml: metadata } });
    expect(connection.status, JSON.stringify(connection.body)).toBe(201);
    expect((await live.api('POST', `/connections/${connection.body.id}/activate`)).status).toBe(200);
    // Its signing certificate expires in 20 days: the banner on every page.
    const expiring = await certificateUntil('Acme IdP', new Date(Date.now() + 20 * DAY_MS));
    await live.app.uow((trx) => replaceCertificates(trx, live.call, connection.body.id, [expiring], 'manual'));
    const leaver = await consolePerson(live, { email: 'alan.turing@acme.test', role: 'member', orgId });
    const memberships = (await live.api('GET', `/organizations/${orgId}/memberships?limit=100`)).body.data as Array<{ id: string; user_id: string }>;
    expect((await live.api('POST', `/memberships/${memberships.find((m) => m.user_id === leaver.userId)!.id}/disable`)).status).toBe(200);

    const user = `/console/users/${member.userId}`;
    const mappings = `${AUTH}/directory-sync/mappings`;
    pages = [
      { name: 'home', path: '/console' },
      { name: 'authentication', path: AUTH },
      { name: 'authentication, contact search', path: `${AUTH}?contact_search=grace` },
      { name: 'authentication, refused domain', path: AUTH, then: submit({ '#domain': 'not a domain' }, 'Add domain'), shows: '#domain[aria-invalid="true"]' },
      { name: 'authentication, refused contact', path: AUTH, then: submit({ '#email': 'not-an-email' }, 'Add IT contact'), shows: '#email[aria-invalid="true"]' },
      { name: 'directory-sync mappings', path: mappings },
      { name: 'directory-sync mappings, preview', path: mappings, then: submit({}, 'Preview changes'), shows: '#preview' },
      { name: 'directory-sync mappings, refused row', path: mappings, then: submit({ '#group-1': 'Sales' }, 'Preview changes'), shows: '#group-1[aria-invalid="true"]' },
      { name: 'enforce SSO confirmation', path: `${AUTH}/sso/enforce?auto_provision=1` },
      { name: 'domain removal', path: `${AUTH}/domains/${verified.id}/remove` },
      { name: 'IT contact removal', path: `${AUTH}/it-contacts/${contact.id}/remove` },
      { name: 'users', path: '/console/users' },
      { name: 'users, refused invitation', path: '/console/users', then: submit({ '#email': 'nobody' }, 'Send invitation'), shows: '#email[aria-invalid="true"]' },
      { name: 'member', path: user },
      { name: 'member, flash', path: user, then: submit({}, 'Save role'), shows: '.alert--info' },
      { name: 'member, refused site', path: user, then: submit({}, 'Add to site'), shows: '#add-site[aria-invalid="true"]' },
      { name: 'disabled member', path: `/console/users/${leaver.userId}` },
      { name: 'disable member', path: `${user}/disable` },
      { name: 'remove site', path: `${user}/sites/${site.id}/remove` },
      { name: 'revoke invitation', path: `/console/users/invitations/${invitation.id}/revoke` },
      { name: 'sites', path: '/console/sites' },
      { name: 'sites, refused name', path: '/console/sites', then: submit({ '#name': 'Oslo' }, 'Add site'), shows: '#name[aria-invalid="true"]' },
      { name: 'rename site', path: `/console/sites/${site.id}/rename` },
      { name: 'rename site, refused name', path: `/console/sites/${site.id}/rename`, then: submit({ '#name': 'Bergen' }, 'Save name'), shows: '#name[aria-invalid="true"]' },
      { name: 'delete site', path: `/console/sites/${site.id}/delete` },
      { name: 'activity', path: '/console/activity' },
      { name: 'activity, filtered', path: '/console/activity?type=admin&person=grace' },
      { name: 'activity, unknown type', path: '/console/activity?type=nonsense', shows: '.alert--info' },
    ];

    browser = await launchChromium();
    ({ context, page } = await newChromiumPage(browser));
    await signInChromium(page, live, admin.email);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await live?.close();
  });

  /** Opens each console page in `on` and runs axe there; answers what it found at the impacts that fail. */
  async function audit(on: Page, label: string, rules?: string[]): Promise<Finding[]> {
    const findings: Finding[] = [];
    for (const { name, path, then, shows } of pages) {
      const response = await on.goto(live.url + path);
      expect(response?.status(), `${name} (${path})`).toBe(200);
      expect(new URL(on.url()).pathname, `${name} (${path}) led elsewhere`).toBe(path.split('?')[0]);
      await then?.(on);
      for (const shown of ['.banner', shows ?? []].flat()) expect(await on.locator(shown).count(), `${name}: ${shown}`).toBeGreaterThan(0);
      await on.evaluate(AXE_SOURCE);
      const options = rules ? { runOnly: { type: 'rule', values: rules } } : { runOnly: STANDARDS };
      const where = `${label} ${name} (${path})`;
      for (const violation of await on.evaluate<Violation[]>(`axe.run(document, ${JSON.stringify(options)}).then((r) => r.violations)`)) findings.push({ where, violation });
      if (rules) continue;
      for (const help of await on.evaluate<string[]>(ID_PROBLEMS)) findings.push({ where, violation: { id: 'ids', impact: 'serious', help, nodes: [] } });
      // Readable on a phone: nothing makes the page scroll sideways.
      const overflow = on.viewportSize()?.width === PHONE.width ? await sidewaysOverflow(on) : 0;
      if (overflow > 0) findings.push({ where, violation: { id: 'sideways-scroll', impact: 'serious', help: `scrolls ${overflow} px sideways at ${PHONE.width} px`, nodes: [] } });
    }
    // AXE_ALL=1 prints the moderate and minor findings too (they do not fail).
    if (process.env.AXE_ALL) for (const f of findings) console.log(describeFinding(f));
    return findings.filter((f) => BLOCKING.has(f.violation.impact ?? ''));
  }

  const expectNone = (findings: Finding[]) => expect(findings.map(describeFinding), findings.map(describeFinding).join('\n')).toEqual([]);

  it('has no serious or critical violation on any page at desktop width', async () => {
    await page.setViewportSize(DESKTOP);
    expectNone(await audit(page, '1280'));
  }, BROWSER_TEST_MS);

  it('has no serious or critical violation on any page at phone width', async () => {
    await page.setViewportSize(PHONE);
    try {
      expectNone(await audit(page, '390'));
    } finally {
      await page.setViewportSize(DESKTOP);
    }
  }, BROWSER_TEST_MS);

  it('keeps its color contrast in the dark theme', async () => {
    const dark = await browser.newContext({ colorScheme: 'dark', viewport: DESKTOP, storageState: await context.storageState() });
    try {
      const darkPage = await dark.newPage();
      expect(await darkPage.evaluate<boolean>("matchMedia('(prefers-color-scheme: dark)').matches")).toBe(true);
      expectNone(await audit(darkPage, 'dark', ['color-contrast']));
    } finally {
      await dark.close();
    }
  }, BROWSER_TEST_MS);

  it('reaches the skip link first from the keyboard, and it moves focus to the content', async () => {
    await page.goto(`${live.url}/console/users`);
    await page.keyboard.press('Tab');
    const focused = () => page.evaluate<Record<string, unknown>>(`(() => {
      const el = document.activeElement;
      return { tag: el.tagName.toLowerCase(), id: el.id, className: el.getAttribute('class') ?? '', text: el.textContent.trim(), onScreen: el.getBoundingClientRect().top >= 0 };
    })()`);
    expect(await focused()).toMatchObject({ tag: 'a', className: 'skip-link', text: 'Skip to content', onScreen: true });
    await page.keyboard.press('Enter');
    expect(await focused()).toMatchObject({ tag: 'main', id: 'main' });
    // The next Tab goes on from the content, past the header's links and Sign out.
    await page.keyboard.press('Tab');
    expect(await page.evaluate<boolean>("Boolean(document.activeElement.closest('main'))")).toBe(true);
  }, BROWSER_TEST_MS);
});
