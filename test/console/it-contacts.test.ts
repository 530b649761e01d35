import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_IT_CONTACTS } from '../../src/orgs/it-contacts.service.ts';
import { ensureMembership, upsertUser } from '../../src/users/provisioning.ts';
import { consolePerson, type ConsolePerson, signInHttp } from '../helpers/console.ts';
import { csrfOf, type Page, postWithCsrf, text } from '../helpers/http-browser.ts';
import { type LiveApp, startLiveApp } from '../helpers/live-app.ts';
import { startSmtpServer } from '../helpers/smtp-server.ts';

const AUTH = '/console/settings/authentication';
const CONTACTS = `${AUTH}/it-contacts`;
/** The token with its first character changed (the last one of a base64url string may carry only padding bits). */
const bend = (token: string) => (token.startsWith('A') ? 'B' : 'A') + token.slice(1);
/** What a form about something removed meanwhile (or another org's) says on the page it lands on. */
const gone = (what: string) => `That ${what} no longer exists: someone removed it. Nothing was changed.`;

/**
 * Settings -> Authentication -> IT contacts over HTTP: find a member with the page's search field (a
 * GET, no JavaScript) and add them, or add an email with an optional name; the Synced badge; at most
 * 20; duplicates refused; removal after a confirmation page; and the refusals, each changing nothing.
 */
describe('console: IT contacts', () => {
  let live: LiveApp;
  let people = 0;

  beforeAll(async () => {
    live = await startLiveApp();
  });
  afterAll(async () => live?.close());

  async function signedInAdmin(orgName = 'Acme') {
    const person = await consolePerson(live, { email: `admin.${++people}@${orgName.toLowerCase()}.example`, orgName });
    await signInHttp(live, person);
    return person;
  }
  /** A member as a directory or a first SSO sign-in makes one (users/provisioning). */
  async function seedMember(orgId: string, email: string, first: string, last: string) {
    return live.app.uow(async (trx) => {
      const { user } = await upsertUser(trx, live.call, { email, first_name: first, last_name: last });
      await ensureMembership(trx, live.call, { organizationId: orgId, userId: user.id, role: 'member', source: 'sso' });
      return user.id;
    });
  }
  const authPage = (person: ConsolePerson, query = '') => person.browser.get(`${live.url}${AUTH}${query}`);
  const contactsOf = async (orgId: string) => (await live.api('GET', `/organizations/${orgId}/it_contacts`)).body.data as Array<{ id: string; email: string; name: string | null; user_id: string | null }>;
  const everyContact = () => live.app.db.selectFrom('it_contacts').selectAll().orderBy('id').execute();
  const everyMail = () => live.app.db.selectFrom('mail_outbox').select(['id', 'to_address', 'status']).orderBy('id').execute();
  const contactEvents = (orgId: string) => live.app.db.selectFrom('events').select(['type', 'actor_type', 'actor_id']).where('organization_id', '=', orgId).where('type', 'like', 'it_contact.%').orderBy('id').execute();

  function post(person: ConsolePerson, page: Page, action: string, fields: Record<string, string> = {}) {
    expect(page.html).toContain(`action="${action}"`);
    return postWithCsrf(person.browser, page, `${live.url}${action}`, fields);
  }
  async function postAndFollow(person: ConsolePerson, page: Page, action: string, fields: Record<string, string> = {}) {
    const posted = await post(person, page, action, fields);
    expect(posted.status, text(posted.html).slice(0, 400)).toBe(303);
    expect(posted.location).toBe(`${live.url}${AUTH}#it-contacts`);
    return person.browser.get(posted.location!);
  }

  it('finds a member of this org with the search field and adds them, marked Member', async () => {
    const admin = await signedInAdmin();
    const grace = await seedMember(admin.orgId, 'grace.hopper@acme.example', 'Grace', 'Hopper');
    await seedMember(admin.orgId, 'alan.turing@acme.example', 'Alan', 'Turing');
    const globex = (await live.api('POST', '/organizations', { name: 'Globex' })).body.id;
    await seedMember(globex, 'grace.other@globex.example', 'Grace', 'Other');

    const page = await authPage(admin);
    const intro = text(page.html);
    expect(intro).toContain('IT contacts 0 of 20');
    expect(intro).toContain('They receive the warnings before its signing certificate expires, and can be sent links to set up single sign-on.');
    expect(intro).toContain('No IT contacts yet.');
    // The search is a plain GET form of the page itself: it works without JavaScript.
    expect(page.html).toContain('<form method="get" action="/console/settings/authentication#it-contacts"');
    expect(page.html).toMatch(/<label class="field__label" for="contact_search">Search members<\/label>/);

    const found = await authPage(admin, '?contact_search=grace');
    expect(found.status).toBe(200);
    const shown = text(found.html);
    expect(shown).toContain('Grace Hopper grace.hopper@acme.example Add Grace Hopper');
    // Members of this org only, and only those matching.
    expect(shown).not.toContain('globex');
    expect(shown).not.toContain('Alan Turing');
    expect(found.html).toContain('value="grace"');
    expect(text((await authPage(admin, '?contact_search=HOPPER%40acme')).html)).toContain('Grace Hopper grace.hopper@acme.example');
    expect(text((await authPage(admin, '?contact_search=grace%20hopper')).html)).toContain('Grace Hopper grace.hopper@acme.example');
    expect(text((await authPage(admin, '?contact_search=nobody')).html)).toContain('No member of Acme matches “nobody”. Someone who is not a member can be added by email.');

    const added = await postAndFollow(admin, found, `${CONTACTS}/members/${grace}`, { contact_search: 'grace' });
    const after = text(added.html);
    expect(after).toContain('Grace Hopper (grace.hopper@acme.example) is now an IT contact.');
    expect(after).toContain('IT contacts 1 of 20');
    expect(after).toContain('Grace Hopper Member grace.hopper@acme.example Remove Grace Hopper');
    expect(after).toContain('Member Added from the account of a member of Acme.');
    // No mail server here: nobody has been told yet, so nobody is Synced.
    expect(after).not.toContain('Synced');
    expect(await contactsOf(admin.orgId)).toMatchObject([{ email: 'grace.hopper@acme.example', name: 'Grace Hopper', user_id: grace }]);
    expect(await contactEvents(admin.orgId)).toEqual([{ type: 'it_contact.created', actor_type: 'user', actor_id: admin.userId }]);

    // Searching again: Grace is there, no longer to be added.
    const again = await authPage(admin, '?contact_search=grace');
    expect(text(again.html)).toContain('Grace Hopper grace.hopper@acme.example Already an IT contact');
    expect(again.html).not.toContain(`action="${CONTACTS}/members/${grace}"`);
  });

  it('marks a contact Synced once the notice telling them was delivered, as the management API does', async () => {
    const smtp = await startSmtpServer();
    const mailing = await startLiveApp({ env: { SMTP_URL: smtp.url, MAIL_FROM: 'gatehouse@mail.test' } });
    try {
      const boss = await consolePerson(mailing, { email: 'mia.mail@mail.test', orgName: 'Mailing' });
      await signInHttp(mailing, boss);
      const page = await boss.browser.get(`${mailing.url}${AUTH}`);
      const posted = await boss.browser.request('POST', `${mailing.url}${CONTACTS}`, { _csrf: csrfOf(page), email: 'it@mail.test', name: 'IT desk' });
      expect(posted.status).toBe(303);
      await smtp.waitFor(1);
      await expect.poll(async () => (await mailing.api('GET', `/organizations/${boss.orgId}/it_contacts`)).body.data[0].synced).toBe(true);
      const shown = text((await boss.browser.get(`${mailing.url}${AUTH}`)).html);
      expect(shown).toContain('IT desk Synced it@mail.test');
      expect(shown).toContain('Synced Gatehouse has told them by email that they are an IT contact of Mailing.');
    } finally {
      await mailing.close();
      await smtp.close();
    }
  });

  it('adds anyone by email, with or without a name', async () => {
    const admin = await signedInAdmin();
    const page = await authPage(admin);
    const named = await postAndFollow(admin, page, CONTACTS, { email: ' Ivy.Tan@Partner.EXAMPLE ', name: ' Ivy Tan ' });
    expect(text(named.html)).toContain('Ivy Tan (ivy.tan@partner.example) is now an IT contact.');
    expect(text(named.html)).toContain('Ivy Tan ivy.tan@partner.example Remove Ivy Tan');
    const plain = await postAndFollow(admin, named, CONTACTS, { email: 'helpdesk@acme.example', name: '' });
    const shown = text(plain.html);
    expect(shown).toContain('helpdesk@acme.example is now an IT contact.');
    expect(shown).toContain('Not given helpdesk@acme.example Remove helpdesk@acme.example');
    // Neither came from an account, and no notice was delivered (no mail server): no badge, no legend.
    expect(shown).not.toContain('Synced');
    expect(shown).not.toContain('Member Added');
    expect(await contactsOf(admin.orgId)).toMatchObject([
      { email: 'ivy.tan@partner.example', name: 'Ivy Tan', user_id: null },
      { email: 'helpdesk@acme.example', name: null, user_id: null },
    ]);
  });

  it('refuses duplicates and bad fields with a message where the admin typed, writing nothing', async () => {
    const admin = await signedInAdmin();
    const grace = await seedMember(admin.orgId, 'grace.h@acme.example', 'Grace', 'H');
    await live.api('POST', `/organizations/${admin.orgId}/it_contacts`, { email: 'it@acme.example', name: 'IT desk' });
    const search = await authPage(admin, '?contact_search=grace');
    await live.api('POST', `/organizations/${admin.orgId}/it_contacts`, { user_id: grace });
    const page = await authPage(admin);
    const contacts = await everyContact();
    const mail = await everyMail();

    const cases: Array<[Record<string, string>, number, string, string]> = [
      [{ email: '', name: 'Someone' }, 422, 'email', 'Enter the email address of the IT contact.'],
      [{ email: 'not-an-email', name: '' }, 422, 'email', 'Enter an email address like it@example.com.'],
      [{ email: 'ok@acme.example', name: 'Line\nbreak' }, 422, 'name', 'The name must not contain line breaks or other control characters.'],
      [{ email: 'ok@acme.example', name: 'x'.repeat(201) }, 422, 'name', 'The name must be at most 200 characters.'],
      [{ email: 'IT@ACME.example', name: 'Again' }, 409, 'email', 'it@acme.example is already an IT contact.'],
      [{ email: 'grace.h@acme.example', name: '' }, 409, 'email', 'grace.h@acme.example is already an IT contact.'],
    ];
    for (const [fields, status, field, message] of cases) {
      const refused = await post(admin, page, CONTACTS, fields);
      expect(refused.status, message).toBe(status);
      expect(text(refused.html), message).toContain(`Error: ${message}`);
      expect(refused.html, message).toMatch(new RegExp(`id="${field}" name="${field}"[^>]* aria-describedby="${field}-error" aria-invalid="true"`));
      // The page again with what was typed.
      if (fields.email) expect(refused.html, message).toContain(`value="${fields.email}"`);
    }

    // The member's Add button on a page from before they were added.
    const twice = await post(admin, search, `${CONTACTS}/members/${grace}`, { contact_search: 'grace' });
    expect(twice.status).toBe(409);
    expect(text(twice.html)).toContain('Grace H (grace.h@acme.example) is already an IT contact.');
    expect(twice.html).toContain('class="alert alert--error" role="alert"');
    expect(text(twice.html)).toContain('Grace H grace.h@acme.example Already an IT contact');

    expect(await everyContact()).toEqual(contacts);
    expect(await everyMail()).toEqual(mail);
  });

  it('stops at 20: the add form gives way to a line saying why, and comes back once one is removed', async () => {
    const admin = await signedInAdmin();
    for (let i = 1; i < MAX_IT_CONTACTS; i++) {
      expect((await live.api('POST', `/organizations/${admin.orgId}/it_contacts`, { email: `it${i}@acme.example` })).status).toBe(201);
    }
    const open = await authPage(admin);
    expect(text(open.html)).toContain('IT contacts 19 of 20');
    const full = await postAndFollow(admin, open, CONTACTS, { email: 'last@acme.example', name: 'The Last' });
    const shown = text(full.html);
    expect(shown).toContain('IT contacts 20 of 20');
    expect(shown).toContain('Acme has 20 IT contacts, the most it can have. To add someone else, remove one first.');
    expect(full.html).not.toContain(`action="${CONTACTS}"`);
    expect(full.html).not.toContain('name="contact_search"');
    expect(full.html).not.toContain('Add an IT contact');
    // Even a search in the URL offers nobody to add.
    expect((await authPage(admin, '?contact_search=admin')).html).not.toContain(`${CONTACTS}/members/`);

    // The form of an older page, posted anyway: refused with the reason, nothing written.
    const before = await everyContact();
    const refused = await post(admin, open, CONTACTS, { email: 'one.more@acme.example', name: '' });
    expect(refused.status).toBe(422);
    expect(text(refused.html)).toContain('Acme has 20 IT contacts, the most it can have. To add someone else, remove one first.');
    expect(await everyContact()).toEqual(before);

    const last = (await contactsOf(admin.orgId)).find((c) => c.email === 'last@acme.example')!;
    const confirm = await admin.browser.get(`${live.url}${CONTACTS}/${last.id}/remove`);
    const back = await postAndFollow(admin, confirm, `${CONTACTS}/${last.id}/remove`);
    expect(text(back.html)).toContain('IT contacts 19 of 20');
    expect(back.html).toContain(`action="${CONTACTS}"`);
    expect(text(back.html)).not.toContain('the most it can have');
  });

  it('removes a contact after a confirmation page, warning when it is the last one', async () => {
    const admin = await signedInAdmin();
    const ada = await seedMember(admin.orgId, 'ada.l@acme.example', 'Ada', 'L');
    const synced = (await live.api('POST', `/organizations/${admin.orgId}/it_contacts`, { user_id: ada })).body;
    const other = (await live.api('POST', `/organizations/${admin.orgId}/it_contacts`, { email: 'desk@acme.example' })).body;
    const page = await authPage(admin);
    expect(page.html).toContain(`href="${CONTACTS}/${synced.id}/remove"`);

    const confirm = await admin.browser.get(`${live.url}${CONTACTS}/${synced.id}/remove`);
    expect(confirm.status).toBe(200);
    const asked = text(confirm.html);
    expect(asked).toContain('Remove Ada L as an IT contact?');
    expect(asked).toContain('They will no longer receive the warnings before your identity provider\'s signing certificate expires');
    expect(asked).toContain('Their account in Acme stays as it is.');
    expect(asked).not.toContain('This is your only IT contact.');
    expect(confirm.html).toContain(`<a class="button button--secondary" href="${AUTH}#it-contacts">Cancel</a>`);
    expect(await contactsOf(admin.orgId)).toHaveLength(2);

    const done = await postAndFollow(admin, confirm, `${CONTACTS}/${synced.id}/remove`);
    expect(text(done.html)).toContain('Ada L (ada.l@acme.example) is no longer an IT contact.');
    expect((await contactsOf(admin.orgId)).map((c) => c.id)).toEqual([other.id]);
    // Their membership is untouched.
    expect((await live.api('GET', `/organizations/${admin.orgId}/memberships`)).body.data.map((m: { user_id: string }) => m.user_id)).toContain(ada);
    expect((await contactEvents(admin.orgId)).at(-1)).toEqual({ type: 'it_contact.deleted', actor_type: 'user', actor_id: admin.userId });

    const lastOne = text((await admin.browser.get(`${live.url}${CONTACTS}/${other.id}/remove`)).html);
    expect(lastOne).toContain('Remove desk@acme.example as an IT contact?');
    expect(lastOne).toContain('This is your only IT contact. Without one, nobody is warned before a certificate expires, and single sign-on cannot be set up until you add another.');
  });

  it('a Remove of a contact removed meanwhile comes back to the section saying so, changing nothing', async () => {
    const admin = await signedInAdmin();
    const contact = (await live.api('POST', `/organizations/${admin.orgId}/it_contacts`, { email: 'gone@acme.example', name: 'Gone Desk' })).body;
    const kept = (await live.api('POST', `/organizations/${admin.orgId}/it_contacts`, { email: 'kept@acme.example' })).body;
    const confirm = await admin.browser.get(`${live.url}${CONTACTS}/${contact.id}/remove`);
    expect(confirm.status).toBe(200);
    // Another admin removes it through the management API while the question is open.
    expect((await live.api('DELETE', `/it_contacts/${contact.id}`)).status).toBe(204);
    const contacts = await everyContact();
    const mail = await everyMail();
    const events = await contactEvents(admin.orgId);

    const next = await postAndFollow(admin, confirm, `${CONTACTS}/${contact.id}/remove`);
    expect(next.status).toBe(200);
    expect(text(next.html)).toContain(gone('IT contact'));
    expect(next.html).toContain('class="alert alert--error" role="alert"');
    expect(text((await authPage(admin)).html)).not.toContain(gone('IT contact'));
    expect(await everyContact()).toEqual(contacts);
    expect(await everyMail()).toEqual(mail);
    expect(await contactEvents(admin.orgId)).toEqual(events);
    expect((await contactsOf(admin.orgId)).map((c) => c.id)).toEqual([kept.id]);
  });

  it("refuses a member, another org's admin (with this org's ids) and a forged CSRF token, changing nothing", async () => {
    const admin = await signedInAdmin();
    const bob = await seedMember(admin.orgId, 'bob.b@acme.example', 'Bob', 'B');
    const contact = (await live.api('POST', `/organizations/${admin.orgId}/it_contacts`, { email: 'it@acme.example' })).body;
    const member = await consolePerson(live, { email: `member.${++people}@acme.example`, role: 'member', orgId: admin.orgId });
    expect((await signInHttp(live, member)).status).toBe(403);
    const outsider = await signedInAdmin('Globex');
    const contacts = await everyContact();
    const mail = await everyMail();
    const posts: Array<[string, Record<string, string>]> = [
      [CONTACTS, { email: 'sneaky@acme.example', name: '' }],
      [`${CONTACTS}/members/${bob}`, {}],
      [`${CONTACTS}/${contact.id}/remove`, {}],
    ];

    for (const [path, fields] of posts) {
      const refused = await member.browser.request('POST', `${live.url}${path}`, { _csrf: 'x', ...fields });
      expect(refused.status, path).toBe(403);
      expect(text(refused.html), path).toContain('Administrators only');
    }

    // Their own session and valid token, this org's ids: unknown to them.
    // Told as for a member or contact removed meanwhile, on their own section, with nothing of this org's.
    const theirs = await authPage(outsider);
    for (const [path, said] of [[`${CONTACTS}/members/${bob}`, gone('member')], [`${CONTACTS}/${contact.id}/remove`, gone('IT contact')]] as const) {
      const refused = await outsider.browser.request('POST', `${live.url}${path}`, { _csrf: csrfOf(theirs) });
      expect(refused.status, path).toBe(303);
      expect(refused.location, path).toBe(`${live.url}${AUTH}#it-contacts`);
      const next = await outsider.browser.get(refused.location!);
      expect(text(next.html), path).toContain(said);
      expect(next.html).not.toContain(bob);
      expect(next.html).not.toContain(contact.id);
    }
    expect((await outsider.browser.get(`${live.url}${CONTACTS}/${contact.id}/remove`)).status).toBe(404);
    // Their search finds nobody of this org.
    expect(text((await authPage(outsider, '?contact_search=bob')).html)).toContain('No member of Globex matches “bob”.');

    const page = await authPage(admin);
    for (const [path, fields] of posts) {
      expect((await admin.browser.request('POST', `${live.url}${path}`, { _csrf: 'forged', ...fields })).status, path).toBe(403);
      const bent = bend(csrfOf(page));
      expect((await admin.browser.request('POST', `${live.url}${path}`, { _csrf: bent, ...fields })).status, path).toBe(403);
    }

    expect(await everyContact()).toEqual(contacts);
    expect(await everyMail()).toEqual(mail);
    expect(await contactsOf(admin.orgId)).toHaveLength(1);
  });
});
