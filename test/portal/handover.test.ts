import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpBrowser, text } from '../helpers/http-browser.ts';
import { useSmtpApp } from '../helpers/smtp-app.ts';
import { type TestSmtpServer, textOf } from '../helpers/smtp-server.ts';
import type { TestApp } from '../helpers/test-app.ts';
import { listen, localUrl, openPortal, type PortalServer, post, snapshot } from './portal-helpers.ts';

/**
 * The hand-over (/portal/handover): from any intent's page, the IT admin mails a colleague a fresh link
 * for the same intent, through the outbox to a real SMTP server; bounded per session; recorded.
 */
describe('setup wizard: hand-over to a colleague', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let server: PortalServer;
  let orgId: string;
  let contactId: string;

  useSmtpApp((s, testApp) => {
    smtp = s;
    t = testApp;
  });
  beforeEach(async () => {
    server = await listen(t);
    orgId = (await t.api.post('/api/v1/organizations', { name: 'Acme' }).expect(201)).body.id;
    contactId = (await t.api.post(`/api/v1/organizations/${orgId}/it_contacts`, { email: 'ida@acme.test', name: 'Ida Tech' }).expect(201)).body.id;
    await t.api.post(`/api/v1/organizations/${orgId}/it_contacts`, { email: 'bob@acme.test' }).expect(201);
    await smtp.waitFor(2); // the two "you are an IT contact" notices
    smtp.received.length = 0;
  });
  afterEach(async () => server.close());

  /** The outbox marks a mail sent just after the SMTP server took it: wait for that before a snapshot. */
  const outboxSent = () => expect.poll(async () => (await t.app.db.selectFrom('mail_outbox').select('id').where('status', '!=', 'sent').execute()).length).toBe(0);
  const linkIn = (mail: { text: string }) => /(http:\/\/gatehouse\.test\/portal\/gpl_[A-Za-z0-9_-]+)/.exec(textOf(mail))?.[1];

  it('mails an IT contact a new link for the same intent that opens a session of its own', async () => {
    const { browser, page, linkId } = await openPortal(t, server, orgId, 'dsync');
    expect(page.html).toContain('<a class="topbar__link" href="/portal/handover">Send to a colleague</a>');
    const form = await browser.get(`${server.url}/portal/handover`);
    expect(form.status).toBe(200);
    const shown = text(form.html);
    expect(shown).toContain('Send this setup to a colleague');
    expect(shown).toContain('Ida Tech ida@acme.test');
    expect(shown).toContain('bob@acme.test');

    const sent = await post(browser, form, '/portal/handover', { recipient: contactId });
    expect(sent.status).toBe(200);
    expect(text(sent.html)).toContain('Link sent to ida@acme.test');
    expect(text(sent.html)).toContain('The link opens once, until 4 Dec 2026, 09:00 UTC.');

    const [mail] = await smtp.waitFor(1);
    expect(mail).toMatchObject({ to: ['ida@acme.test'], subject: 'Directory sync setup for Acme: your setup link' });
    const body = textOf(mail!);
    expect(body).toContain("setting up Acme's sign-in for this application");
    expect(body).toContain('take over the directory sync setup');
    expect(body).toContain('The link opens once, until 4 Dec 2026, 09:00 UTC.');
    const link = linkIn(mail!);
    expect(link).toBeDefined();

    const row = await t.app.db.selectFrom('portal_links').selectAll().where('id', '!=', linkId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ organization_id: orgId, intent: 'dsync', return_url: null, expires_at: '2026-12-04T09:00:00.000Z', opened_at: null });
    const events = await t.app.db.selectFrom('events').select(['type', 'actor_type', 'actor_id', 'data']).where('type', 'in', ['portal_link.created', 'portal_link.sent']).where('actor_type', '=', 'portal').orderBy('id').execute();
    expect(events.map((e) => ({ ...e, data: JSON.parse(e.data) }))).toEqual([
      { type: 'portal_link.created', actor_type: 'portal', actor_id: linkId, data: { portal_link_id: row.id, intent: 'dsync' } },
      { type: 'portal_link.sent', actor_type: 'portal', actor_id: linkId, data: { portal_link_id: row.id, intent: 'dsync', email: 'ida@acme.test', sent_from: linkId } },
    ]);

    // The colleague opens it days later, in their own browser; the sender's session is untouched.
    t.clock.advance(71 * 60 * 60_000);
    const colleague = await new HttpBrowser().follow(localUrl(link!, server));
    expect(colleague.status).toBe(200);
    expect(colleague.url).toBe(`${server.url}/portal/dsync`);
  });

  it('mails a typed address (which wins over a ticked contact); the mailed link expires after 72 hours, saying so', async () => {
    const { browser } = await openPortal(t, server, orgId, 'domain_verification');
    const form = await browser.get(`${server.url}/portal/handover`);
    const sent = await post(browser, form, '/portal/handover', { recipient: contactId, email: '  New.Person@Acme.TEST ' });
    expect(text(sent.html)).toContain('Link sent to new.person@acme.test');
    const [mail] = await smtp.waitFor(1);
    expect(mail).toMatchObject({ to: ['new.person@acme.test'], subject: 'Domain verification for Acme: your setup link' });
    t.clock.advance(72 * 60 * 60_000);
    const expired = await new HttpBrowser().get(localUrl(linkIn(mail!)!, server));
    expect(expired.status).toBe(410);
    expect(text(expired.html)).toContain('This setup link could be opened for 72 hours after it was made, and that time has passed.');
  });

  it('refuses a bad address, no recipient, and an IT contact of another org, writing and sending nothing', async () => {
    const other = (await t.api.post('/api/v1/organizations', { name: 'Globex' }).expect(201)).body.id;
    const theirs = (await t.api.post(`/api/v1/organizations/${other}/it_contacts`, { email: 'it@globex.test' }).expect(201)).body.id;
    await smtp.waitFor(1);
    await outboxSent();
    smtp.received.length = 0;
    const { browser } = await openPortal(t, server, orgId, 'dsync');
    const form = await browser.get(`${server.url}/portal/handover`);
    expect(form.html).not.toContain('globex');
    const before = await snapshot(t);
    for (const [fields, message] of [
      [{ email: 'not-an-email' }, 'Enter an email address such as name@example.com.'],
      [{}, 'Choose an IT contact, or enter the email address of the colleague who should get the link.'],
      [{ recipient: theirs }, 'Choose an IT contact, or enter the email address of the colleague who should get the link.'],
    ] as const) {
      const refused = await post(browser, form, '/portal/handover', fields);
      expect(refused.status, JSON.stringify(fields)).toBe(422);
      expect(text(refused.html), JSON.stringify(fields)).toContain(message);
    }
    expect(await snapshot(t)).toEqual(before);
    await new Promise((r) => setTimeout(r, 200));
    expect(smtp.received).toEqual([]);
  });

  it('sends at most 10 links per session and hour; the 11th is refused with Retry-After and nothing else', async () => {
    const { browser } = await openPortal(t, server, orgId, 'dsync');
    const form = await browser.get(`${server.url}/portal/handover`);
    for (let i = 0; i < 10; i++) expect((await post(browser, form, '/portal/handover', { email: `person${i}@acme.test` })).status).toBe(200);
    await smtp.waitFor(10);
    await outboxSent();
    const before = await snapshot(t);
    const refused = await post(browser, form, '/portal/handover', { email: 'one.more@acme.test' });
    expect(refused.status).toBe(429);
    expect(text(refused.html)).toMatch(/This setup session has already sent 10 links in the last hour\. Try again in \d+ minutes\./);
    expect(await snapshot(t)).toEqual(before);
    // Another session (a colleague's) has its own allowance.
    const { browser: second } = await openPortal(t, server, orgId, 'dsync');
    expect((await post(second, await second.get(`${server.url}/portal/handover`), '/portal/handover', { email: 'one.more@acme.test' })).status).toBe(200);
  });
});
