import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleCsrf, consolePerson, signInHttp, type ConsolePerson } from '../helpers/console.ts';
import { type HttpBrowser, type Page, text } from '../helpers/http-browser.ts';
import { type LiveApp, startLiveApp } from '../helpers/live-app.ts';

/** Every table a console form could change: a refused form leaves all of them exactly as they were. */
const TABLES = ['organizations', 'domains', 'it_contacts', 'sites', 'users', 'memberships', 'site_assignments', 'invitations', 'connections', 'connection_certificates', 'directories', 'group_mappings', 'portal_links', 'mail_outbox', 'events'] as const;
/** An id of Gatehouse's shape (prefix_random) in a form's action: the form acts on that object. */
const OBJECT_ID = /\/[a-z]+_[A-Za-z0-9]{8,}/;
const OBJECT_IDS = /\/([a-z]+)_[A-Za-z0-9]{8,}/g;
/** What a console form about an object that is gone (or another org's) says on the page it lands on. */
const GONE = /That [a-zA-Z ]+ no longer exists: someone removed it\. Nothing was changed\./;
const SKIP = ['/console/logout'];

interface Form {
  action: string;
  fields: Record<string, string>;
}

/**
 * The console's forms found the way a person finds them (every page and every page one link away),
 * then each posted three ways that must all be refused with nothing changed: with a forged CSRF token,
 * by a member who is not an admin, and by an admin of another org (with that org's valid token) at
 * this org's object URLs. Whatever forms the sections add, this test covers them without being told.
 */
describe('every console form refuses who must not use it', () => {
  let live: LiveApp;
  let admin: ConsolePerson;
  let member: ConsolePerson;
  let outsider: ConsolePerson;
  let forms: Form[];

  beforeAll(async () => {
    live = await startLiveApp();
    admin = await consolePerson(live, { email: 'ada.lovelace@acme.test', orgName: 'Acme' });
    const orgId = admin.orgId;
    member = await consolePerson(live, { email: 'grace.hopper@acme.test', role: 'member', orgId });
    outsider = await consolePerson(live, { email: 'eve.other@globex.test', orgName: 'Globex' });
    // Something of every kind for the forms to act on.
    const verified = (await live.api('POST', `/organizations/${orgId}/domains`, { domain: 'acme.test' })).body;
    await live.api('POST', `/domains/${verified.id}/verify`, { method: 'manual' });
    await live.api('POST', `/organizations/${orgId}/domains`, { domain: 'acme-pending.test' });
    await live.api('POST', `/organizations/${orgId}/it_contacts`, { email: 'it@acme.test', name: 'IT desk' });
    const site = (await live.api('POST', `/organizations/${orgId}/sites`, { name: 'Oslo' })).body;
    await live.api('PUT', `/sites/${site.id}/assignments/${member.userId}`, { role: live.app.config.siteRoles[0] });
    await live.api('POST', `/organizations/${orgId}/invitations`, { email: 'new.person@acme.test', role: 'member' });
    await live.api('POST', `/organizations/${orgId}/directories`, { provider: 'okta' });
    // A disabled member (the Enable form) and a member search (the IT contacts' "Add" forms).
    const leaver = await consolePerson(live, { email: 'alan.turing@acme.test', role: 'member', orgId });
    const leaverMembership = (await live.api('GET', `/organizations/${orgId}/memberships?limit=100`)).body.data.find((m: { user_id: string }) => m.user_id === leaver.userId);
    expect((await live.api('POST', `/memberships/${leaverMembership.id}/disable`)).status).toBe(200);

    const adminHome = await signInHttp(live, admin);
    expect(adminHome.url).toBe(`${live.url}/console`);
    forms = await crawlForms(admin.browser, adminHome);
    expect((await signInHttp(live, member)).status).toBe(403);
    expect((await signInHttp(live, outsider)).url).toBe(`${live.url}/console`);
  }, 60_000);
  afterAll(async () => live?.close());

  async function crawlForms(browser: HttpBrowser, home: Page): Promise<Form[]> {
    const seen = new Set<string>();
    const found = new Map<string, Form>();
    let frontier = [home.url, ...['/console/settings/authentication', '/console/settings/authentication?contact_search=acme', '/console/users', '/console/sites', '/console/activity'].map((p) => live.url + p)];
    for (let depth = 0; depth < 3 && frontier.length; depth++) {
      const next: string[] = [];
      for (const url of frontier) {
        if (seen.has(url) || seen.size > 80) continue;
        seen.add(url);
        const page = await browser.get(url);
        if (page.status !== 200) continue;
        for (const form of formsOf(page)) if (!found.has(form.action)) found.set(form.action, form);
        for (const match of page.html.matchAll(/<a\b[^>]*href="(\/console\/[^"#?]*)[^"]*"/g)) {
          const href = live.url + match[1]!.replace(/&amp;/g, '&');
          if (!/\/(login|logout|sign-out|signed-out|callback)$/.test(href)) next.push(href);
        }
      }
      frontier = next;
    }
    return [...found.values()].filter((f) => !SKIP.some((s) => f.action.endsWith(s)));
  }

  /** The page's POST forms with what a person would send: every field filled as shown, blanks given a value. */
  function formsOf(page: Page): Form[] {
    const result: Form[] = [];
    for (const match of page.html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
      if (!/method="post"/i.test(match[1]!)) continue;
      const action = new URL((/action="([^"]*)"/.exec(match[1]!)?.[1] ?? page.url).replace(/&amp;/g, '&'), page.url).href;
      const fields: Record<string, string> = {};
      for (const input of match[2]!.matchAll(/<input\b[^>]*>/g)) {
        const tag = input[0];
        const name = /name="([^"]*)"/.exec(tag)?.[1];
        if (!name) continue;
        const type = /type="([^"]*)"/.exec(tag)?.[1] ?? 'text';
        const value = (/value="([^"]*)"/.exec(tag)?.[1] ?? '').replace(/&amp;/g, '&');
        if (type === 'checkbox' || type === 'radio') fields[name] ??= value || 'on';
        else if (type === 'email') fields[name] = value || 'someone@acme.test';
        else fields[name] = value || 'Changed';
      }
      for (const select of match[2]!.matchAll(/<select\b[^>]*name="([^"]*)"[^>]*>([\s\S]*?)<\/select>/g)) {
        fields[select[1]!] = /<option\b[^>]*value="([^"]*)"/.exec(select[2]!)?.[1] ?? '';
      }
      for (const area of match[2]!.matchAll(/<textarea\b[^>]*name="([^"]*)"[^>]*>([\s\S]*?)<\/textarea>/g)) fields[area[1]!] = area[2]! || 'Changed';
      result.push({ action, fields });
    }
    return result;
  }

  async function snapshot(): Promise<string> {
    const parts: unknown[] = [];
    for (const table of TABLES) parts.push(await live.app.db.selectFrom(table).selectAll().execute());
    return JSON.stringify(parts);
  }


  it('finds the forms of every section', () => {
    const actions = forms.map((f) => new URL(f.action).pathname);
    // The lead's list of what the console must let an admin change; a section that drops a form fails here.
    for (const expected of ['/console/settings/authentication/', '/console/users', '/console/sites']) {
      expect(actions.some((a) => a.startsWith(expected)), `no form under ${expected} in ${actions.join(', ')}`).toBe(true);
    }
    for (const expected of [/\/it-contacts\/members\/user_/, /\/users\/user_\w+\/enable$/, /\/users\/user_\w+\/disable$/, /\/sites\/site_\w+\/delete$/]) {
      expect(actions.some((a) => expected.test(a)), `no form matching ${expected}`).toBe(true);
    }
    expect(forms.length).toBeGreaterThanOrEqual(20);
  });

  it('a forged CSRF token changes nothing', async () => {
    for (const form of forms) {
      const before = await snapshot();
      const res = await admin.browser.request('POST', form.action, { ...form.fields, _csrf: 'forged-token-forged-token-forged-token-forge' });
      expect(res.status, `${form.action} with a forged token`).toBe(403);
      expect(await snapshot(), `${form.action} changed something with a forged token`).toBe(before);
    }
  });

  it('a member who is not an admin changes nothing', async () => {
    const token = await consoleCsrf(live, member);
    for (const form of forms) {
      const before = await snapshot();
      const res = await member.browser.request('POST', form.action, { ...form.fields, _csrf: token });
      expect(res.status, `${form.action} posted by a member`).toBe(403);
      expect(await snapshot(), `${form.action} changed something for a member`).toBe(before);
    }
  });

  it("an admin of another org changes nothing of this org's objects, told as for an id that exists nowhere", async () => {
    const token = await consoleCsrf(live, outsider);
    expect(token).not.toBe('');
    const targeted = forms.filter((f) => OBJECT_ID.test(new URL(f.action).pathname));
    expect(targeted.length).toBeGreaterThanOrEqual(3);
    for (const form of targeted) {
      const before = await snapshot();
      const res = await outsider.browser.request('POST', form.action, { ...form.fields, _csrf: token });
      // Back to a page of their own console, saying the object is gone: as a form whose object was removed meanwhile.
      expect(res.status, `${form.action} posted by another org's admin`).toBe(303);
      expect(res.location, form.action).toMatch(new RegExp(`^${live.url}/console[/#?]`));
      expect(await snapshot(), `${form.action} changed something for another org's admin`).toBe(before);
      const next = await outsider.browser.get(res.location!);
      expect(next.status, res.location).toBe(200);
      const said = GONE.exec(text(next.html))?.[0];
      expect(said, `${form.action}: ${text(next.html).slice(0, 300)}`).toBeDefined();
      for (const id of new URL(form.action).pathname.match(OBJECT_IDS)!) expect(next.html, form.action).not.toContain(id.slice(1));
      // The same form at ids that exist nowhere answers exactly alike: nothing tells the two apart.
      const missing = await outsider.browser.request('POST', form.action.replace(OBJECT_IDS, (_, prefix: string) => `/${prefix}_01ARZ3NDEKTSV4RRFFQ69G5FAV`), { ...form.fields, _csrf: token });
      expect([missing.status, missing.location], form.action).toEqual([res.status, res.location]);
      expect(GONE.exec(text((await outsider.browser.get(missing.location!)).html))?.[0], form.action).toBe(said);
      expect(await snapshot(), `${form.action} changed something for another org's admin`).toBe(before);
    }
  });
});
