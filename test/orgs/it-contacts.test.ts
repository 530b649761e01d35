/**
 * IT contacts (DESIGN.md "Management API v1"): a member by user_id or a manual email with an optional
 * name, at most 20 per org, no duplicates, a notice mailed on add and `synced` once the transport took it.
 * Mail goes to a real SMTP server (test/helpers/smtp-server.ts); members are seeded through provisioning.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiResponse, createOrg, eventsOf, expectProblem, seedMember } from '../helpers/api.ts';
import { useSmtpApp } from '../helpers/smtp-app.ts';
import { textOf, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const UNKNOWN_ORG = 'org_01M8T247H71E8T82MXYZ8V2G2J';
const UNKNOWN_USER = 'user_01M8T247H71E8T82MXYZ8V2G2J';
const UNKNOWN_ITC = 'itc_01M8T247H71E8T82MXYZ8V2G2J';
const START = '2026-12-01T09:00:00.000Z';
const ITC_ID = /^itc_[0-9A-HJKMNP-TV-Z]{26}$/;

describe('IT contacts API', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  useSmtpApp((server, testApp) => {
    smtp = server;
    t = testApp;
  });

  const contacts = (orgId: string) => t.api.get(`/api/v1/organizations/${orgId}/it_contacts`).expect(200);
  const noticeOf = (contactId: string) =>
    t.app.db
      .selectFrom('it_contacts')
      .innerJoin('mail_outbox', 'mail_outbox.id', 'it_contacts.notice_mail_id')
      .selectAll('mail_outbox')
      .where('it_contacts.id', '=', contactId)
      .executeTakeFirstOrThrow();

  it('adds a contact by email with a name, mails the notice, and reads synced once the transport accepted it', async () => {
    const org = await createOrg(t, 'Acme');
    const res = await t.api.post(`/api/v1/organizations/${org}/it_contacts`, { email: '  IT@Acme.Example ', name: ' Ivy Tan ' }).expect(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.id).toMatch(ITC_ID);
    // The answer is written in the request's transaction, before any mail can have gone out.
    expect(res.body).toEqual({ id: res.body.id, organization_id: org, email: 'it@acme.example', name: 'Ivy Tan', user_id: null, synced: false, created_at: START });

    await t.app.mail.flush();
    const [mail] = await smtp.waitFor(1);
    expect(smtp.received).toHaveLength(1);
    expect(mail).toMatchObject({ to: ['it@acme.example'], from: 'no-reply@gatehouse.test', subject: 'You are an IT contact for Acme' });
    expect(textOf(mail!)).toMatch(/^Hello Ivy Tan,\n\nYou have been added as an IT contact for Acme in Gatehouse/);
    expect(textOf(mail!)).toContain('If you should not be an IT contact, ask an administrator of Acme to remove you.');

    expect((await contacts(org)).body).toEqual({ data: [{ ...res.body, synced: true }], list_metadata: { after: null } });
    const events = await eventsOf(t, org);
    expect(events.map((e) => e.type)).toEqual(['organization.created', 'it_contact.created']);
    expect(events[1]).toMatchObject({ actor: { type: 'api_key' }, data: { it_contact_id: res.body.id, email: 'it@acme.example' } });
  });

  it('adds a contact without a name: name is null and the greeting is plain', async () => {
    const org = await createOrg(t, 'Acme');
    const res = await t.api.post(`/api/v1/organizations/${org}/it_contacts`, { email: 'it@acme.example' }).expect(201);
    expect(res.body).toMatchObject({ email: 'it@acme.example', name: null, user_id: null });
    await t.app.mail.flush();
    const [mail] = await smtp.waitFor(1);
    expect(textOf(mail!)).toMatch(/^Hello,\n\nYou have been added as an IT contact for Acme/);
  });

  it('adds a member by user_id, taking the email and name from their profile', async () => {
    const org = await createOrg(t, 'Acme');
    const { userId } = await seedMember(t, org, { email: 'Ada@Acme.Example', first_name: 'Ada', last_name: 'Lovelace' });
    const res = await t.api.post(`/api/v1/organizations/${org}/it_contacts`, { user_id: userId }).expect(201);
    expect(res.body).toEqual({ id: res.body.id, organization_id: org, email: 'ada@acme.example', name: 'Ada Lovelace', user_id: userId, synced: false, created_at: START });
    await t.app.mail.flush();
    const [mail] = await smtp.waitFor(1);
    expect(mail).toMatchObject({ to: ['ada@acme.example'], subject: 'You are an IT contact for Acme' });
    expect(textOf(mail!)).toMatch(/^Hello Ada Lovelace,\n/);
    expect((await contacts(org)).body.data).toEqual([{ ...res.body, synced: true }]);
  });

  it('refuses a user_id that is not a member of this org (another org\'s member, a user with no org, an unknown id) and writes nothing', async () => {
    const acme = await createOrg(t, 'Acme');
    const globex = await createOrg(t, 'Globex');
    const { userId: outsider } = await seedMember(t, globex, { email: 'gus@globex.example' });
    const { userId: loner } = await seedMember(t, null, { email: 'loner@example.org' });
    const before = await t.snapshot();
    for (const userId of [outsider, loner, UNKNOWN_USER]) {
      const res = await t.api.post(`/api/v1/organizations/${acme}/it_contacts`, { user_id: userId });
      const message = `User ${userId} is not a member of this organization.`;
      expectProblem(res, 422, 'validation_failed', message, userId);
      expect(res.body.errors, userId).toEqual([{ field: 'user_id', code: 'not_a_member', message }]);
    }
    expect(await t.snapshot()).toEqual(before);
    await t.app.mail.flush();
    expect(smtp.received).toEqual([]);
    // The same person is accepted by the org they do belong to.
    await t.api.post(`/api/v1/organizations/${globex}/it_contacts`, { user_id: outsider }).expect(201);
  });

  it('refuses a duplicate case-insensitively, whether added by email or as a member, with 409 it_contact_exists', async () => {
    const org = await createOrg(t, 'Acme');
    const { userId } = await seedMember(t, org, { email: 'ada@acme.example', first_name: 'Ada' });
    const first = await t.api.post(`/api/v1/organizations/${org}/it_contacts`, { email: 'Ada@ACME.example' }).expect(201);
    await t.app.mail.flush();
    const before = await t.snapshot();
    const detail = `ada@acme.example is already an IT contact of this organization (${first.body.id}).`;
    expectProblem(await t.api.post(`/api/v1/organizations/${org}/it_contacts`, { email: 'ada@acme.example' }), 409, 'it_contact_exists', detail, 'same email');
    expectProblem(await t.api.post(`/api/v1/organizations/${org}/it_contacts`, { email: 'ADA@Acme.Example', name: 'Ada' }), 409, 'it_contact_exists', detail, 'other case');
    expectProblem(await t.api.post(`/api/v1/organizations/${org}/it_contacts`, { user_id: userId }), 409, 'it_contact_exists', detail, 'member with that email');
    expect(await t.snapshot()).toEqual(before);
    expect(smtp.received).toHaveLength(1);

    // Another org may have the same person as its IT contact.
    const globex = await createOrg(t, 'Globex');
    await t.api.post(`/api/v1/organizations/${globex}/it_contacts`, { email: 'ada@acme.example' }).expect(201);
  });

  it('allows at most 20 per org: the 21st is 422 it_contact_limit and writes nothing; removing one makes room', async () => {
    const org = await createOrg(t, 'Acme');
    const ids: string[] = [];
    for (let i = 1; i <= 20; i++) ids.push((await t.api.post(`/api/v1/organizations/${org}/it_contacts`, { email: `it${i}@acme.example` }).expect(201)).body.id);
    await t.app.mail.flush();
    await smtp.waitFor(20);
    const before = await t.snapshot();
    const limit = 'An organization can have at most 20 IT contacts; remove one before adding another.';
    expectProblem(await t.api.post(`/api/v1/organizations/${org}/it_contacts`, { email: 'it21@acme.example' }), 422, 'it_contact_limit', limit);
    const { userId: member } = await seedMember(t, org, { email: 'ada@acme.example' });
    const withMember = await t.snapshot();
    expectProblem(await t.api.post(`/api/v1/organizations/${org}/it_contacts`, { user_id: member }), 422, 'it_contact_limit', limit, 'by user_id');
    expect(await t.snapshot()).toEqual(withMember);
    expect(withMember.it_contacts).toEqual(before.it_contacts);
    expect((await contacts(org)).body.data).toHaveLength(20);

    // The limit is per org.
    const globex = await createOrg(t, 'Globex');
    await t.api.post(`/api/v1/organizations/${globex}/it_contacts`, { email: 'it21@acme.example' }).expect(201);

    await t.api.delete(`/api/v1/it_contacts/${ids[0]}`).expect(204);
    await t.api.post(`/api/v1/organizations/${org}/it_contacts`, { email: 'it21@acme.example' }).expect(201);
    expect((await contacts(org)).body.data).toHaveLength(20);
  });

  it('refuses malformed bodies with field errors, and unknown orgs with 404, writing nothing', async () => {
    const org = await createOrg(t, 'Acme');
    const before = await t.snapshot();
    const url = `/api/v1/organizations/${org}/it_contacts`;
    const either = '(body): give either {"user_id"} of a member, or {"email", "name"?}';
    const cases: Array<[string, () => Promise<ApiResponse>, number, string, string, unknown[] | undefined]> = [
      ['empty body', () => t.api.post(url, {}), 422, 'validation_failed', either, [{ field: '(body)', code: 'invalid_union', message: either }]],
      ['both user_id and email', () => t.api.post(url, { user_id: UNKNOWN_USER, email: 'it@acme.example' }), 422, 'validation_failed', either, undefined],
      ['unknown field', () => t.api.post(url, { email: 'it@acme.example', phone: '123' }), 422, 'validation_failed', 'Unknown field: phone.', undefined],
      ['bad email', () => t.api.post(url, { email: 'not-an-email' }), 422, 'validation_failed', 'email: must be an email address', [{ field: 'email', code: 'invalid_format', message: 'email: must be an email address' }]],
      ['empty name', () => t.api.post(url, { email: 'it@acme.example', name: '  ' }), 422, 'validation_failed', 'name must not be empty.', [{ field: 'name', code: 'too_small', message: 'name must not be empty.' }]],
      ['malformed user_id', () => t.api.post(url, { user_id: 'user_1' }), 422, 'validation_failed', 'user_id: must be a user_ id', [{ field: 'user_id', code: 'invalid_format', message: 'user_id: must be a user_ id' }]],
      ['array body', () => t.api.post(url, [{ email: 'it@acme.example' }]), 400, 'malformed_body', 'The request body must be a JSON object.', undefined],
      ['unknown org (POST)', () => t.api.post(`/api/v1/organizations/${UNKNOWN_ORG}/it_contacts`, { email: 'it@acme.example' }), 404, 'not_found', `No organization with id ${UNKNOWN_ORG}.`, undefined],
      ['unknown org (GET)', () => t.api.get(`/api/v1/organizations/${UNKNOWN_ORG}/it_contacts`), 404, 'not_found', `No organization with id ${UNKNOWN_ORG}.`, undefined],
      ['unknown contact (DELETE)', () => t.api.delete(`/api/v1/it_contacts/${UNKNOWN_ITC}`), 404, 'not_found', `No IT contact with id ${UNKNOWN_ITC}.`, undefined],
    ];
    for (const [label, send, status, code, detail, errors] of cases) {
      const res = await send();
      expectProblem(res, status, code, detail, label);
      if (errors) expect(res.body.errors, label).toEqual(errors);
    }
    expect(await t.snapshot()).toEqual(before);
  });

  it('keeps each org\'s contacts to itself', async () => {
    const acme = await createOrg(t, 'Acme');
    const globex = await createOrg(t, 'Globex');
    const a = (await t.api.post(`/api/v1/organizations/${acme}/it_contacts`, { email: 'it@acme.example' }).expect(201)).body;
    await t.api.post(`/api/v1/organizations/${globex}/it_contacts`, { email: 'it@globex.example' }).expect(201);
    expect((await contacts(acme)).body.data.map((c: { id: string }) => c.id)).toEqual([a.id]);
    expect((await contacts(globex)).body.data.map((c: { email: string }) => c.email)).toEqual(['it@globex.example']);
  });

  it('a failed send (451) leaves synced false with the error recorded, and the retry after 1 minute delivers', async () => {
    const org = await createOrg(t, 'Acme');
    smtp.failNext(1);
    const contact = (await t.api.post(`/api/v1/organizations/${org}/it_contacts`, { email: 'it@acme.example' }).expect(201)).body;
    await t.app.mail.flush();
    let mail = await noticeOf(contact.id);
    expect(mail).toMatchObject({ status: 'pending', attempts: 1, next_attempt_at: '2026-12-01T09:01:00.000Z', sent_at: null });
    expect(mail.last_error).toMatch(/451/);
    expect(mail.body_sealed).toMatch(/^v1\./);
    expect(smtp.received).toEqual([]);
    expect((await contacts(org)).body.data[0].synced).toBe(false);

    t.clock.advance(59_999);
    expect(await t.app.mail.flush()).toEqual({ sent: 0, failed: 0 });
    expect((await contacts(org)).body.data[0].synced).toBe(false);

    t.clock.advance(1);
    expect(await t.app.mail.flush()).toEqual({ sent: 1, failed: 0 });
    expect(smtp.received.map((m) => m.to)).toEqual([['it@acme.example']]);
    mail = await noticeOf(contact.id);
    expect(mail).toMatchObject({ status: 'sent', attempts: 2, last_error: null, body_sealed: null, sent_at: '2026-12-01T09:01:00.000Z' });
    expect((await contacts(org)).body.data).toEqual([{ ...contact, synced: true }]);
  });

  it('DELETE removes the contact at once, cancels a notice not yet sent, records it_contact.deleted, then answers 404', async () => {
    const org = await createOrg(t, 'Acme');
    smtp.failNext(1);
    const contact = (await t.api.post(`/api/v1/organizations/${org}/it_contacts`, { email: 'it@acme.example', name: 'Ivy' }).expect(201)).body;
    await t.app.mail.flush();
    expect((await noticeOf(contact.id)).status).toBe('pending');
    const mailId = (await noticeOf(contact.id)).id;

    const res = await t.api.delete(`/api/v1/it_contacts/${contact.id}`).expect(204);
    expect(res.text).toBe('');
    expect((await contacts(org)).body.data).toEqual([]);
    const mail = await t.app.db.selectFrom('mail_outbox').selectAll().where('id', '=', mailId).executeTakeFirstOrThrow();
    expect(mail).toMatchObject({ status: 'cancelled', body_sealed: null, attempts: 1 });
    const events = await eventsOf(t, org);
    expect(events.map((e) => e.type)).toEqual(['organization.created', 'it_contact.created', 'it_contact.deleted']);
    expect(events[2]).toMatchObject({ actor: { type: 'api_key' }, data: { it_contact_id: contact.id, email: 'it@acme.example' } });

    // Well past every retry: the cancelled notice never goes out.
    t.clock.advance(3 * 24 * 3_600_000);
    expect(await t.app.mail.flush()).toEqual({ sent: 0, failed: 0 });
    expect(smtp.received).toEqual([]);

    const before = await t.snapshot();
    expectProblem(await t.api.delete(`/api/v1/it_contacts/${contact.id}`), 404, 'not_found', `No IT contact with id ${contact.id}.`);
    expect(await t.snapshot()).toEqual(before);

    // The same address can be added again, and gets a fresh notice.
    await t.api.post(`/api/v1/organizations/${org}/it_contacts`, { email: 'it@acme.example' }).expect(201);
    await t.app.mail.flush();
    expect((await smtp.waitFor(1)).map((m) => m.to)).toEqual([['it@acme.example']]);
  });

  it('deleting a contact whose notice was sent keeps the mail record as sent', async () => {
    const org = await createOrg(t, 'Acme');
    const contact = (await t.api.post(`/api/v1/organizations/${org}/it_contacts`, { email: 'it@acme.example' }).expect(201)).body;
    await t.app.mail.flush();
    await smtp.waitFor(1);
    const mailId = (await noticeOf(contact.id)).id;
    await t.api.delete(`/api/v1/it_contacts/${contact.id}`).expect(204);
    const mail = await t.app.db.selectFrom('mail_outbox').selectAll().where('id', '=', mailId).executeTakeFirstOrThrow();
    expect(mail).toMatchObject({ status: 'sent', sent_at: START, body_sealed: null });
  });
});

describe('IT contacts without SMTP_URL', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(async () => t.close());

  it('keeps the notice pending in the outbox and the contact unsynced', async () => {
    const org = await createOrg(t, 'Acme');
    const contact = (await t.api.post(`/api/v1/organizations/${org}/it_contacts`, { email: 'it@acme.example' }).expect(201)).body;
    expect(await t.app.mail.flush()).toEqual({ sent: 0, failed: 0 });
    t.clock.advance(24 * 3_600_000);
    expect(await t.app.mail.flush()).toEqual({ sent: 0, failed: 0 });
    const rows = await t.app.db.selectFrom('mail_outbox').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: 'it_contact_notice', organization_id: org, to_address: 'it@acme.example', subject: 'You are an IT contact for Acme', status: 'pending', attempts: 0, last_error: null });
    expect(rows[0]!.body_sealed).toMatch(/^v1\./);
    expect((await t.api.get(`/api/v1/organizations/${org}/it_contacts`).expect(200)).body.data).toEqual([contact]);
  });
});
