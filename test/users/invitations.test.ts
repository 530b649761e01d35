/**
 * Invitations (DESIGN.md "Management API v1", "Security rules"): POST answers the accept URL once, the
 * invitee gets it by mail through a real SMTP server, only the token's SHA-256 is stored, reads never show
 * it, the state reads expired after 7 days, DELETE revokes. Also the `gatehouse invite` CLI.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.ts';
import { type ApiResponse, createOrg, eventsOf, expectProblem, seedMember } from '../helpers/api.ts';
import { rawDatabase } from '../helpers/raw-database.ts';
import { useSmtpApp } from '../helpers/smtp-app.ts';
import { textOf, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { TEST_SECRET, type TestApp } from '../helpers/test-app.ts';

const UNKNOWN_ORG = 'org_01M8T247H71E8T82MXYZ8V2G2J';
const UNKNOWN_INV = 'inv_01M8T247H71E8T82MXYZ8V2G2J';
const START = '2026-12-01T09:00:00.000Z';
const IN_7_DAYS = '2026-12-08T09:00:00.000Z';
const DAY = 24 * 3_600_000;
const INV_ID = /^inv_[0-9A-HJKMNP-TV-Z]{26}$/;
const ACCEPT_URL = /^http:\/\/gatehouse\.test\/invitations\/(inv_[A-Za-z0-9_-]{12}_[A-Za-z0-9_-]{43})$/;

const tokenOf = (acceptUrl: string) => ACCEPT_URL.exec(acceptUrl)![1]!;

describe('invitations API', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  useSmtpApp((server, testApp) => {
    smtp = server;
    t = testApp;
  });

  const invite = (orgId: string, body: object) => t.api.post(`/api/v1/organizations/${orgId}/invitations`, body);
  const outbox = () => t.app.db.selectFrom('mail_outbox').selectAll().orderBy('id').execute();

  it('invites by email: 201 with the accept URL once, expiring in 7 days, and mails exactly that URL', async () => {
    const org = await createOrg(t, 'Acme');
    const res = await invite(org, { email: '  Bob@Acme.Example ', role: 'admin' }).expect(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.id).toMatch(INV_ID);
    expect(res.body.accept_url).toMatch(ACCEPT_URL);
    expect(res.body).toEqual({
      id: res.body.id, organization_id: org, email: 'bob@acme.example', role: 'admin', state: 'pending',
      expires_at: IN_7_DAYS, accepted_at: null, revoked_at: null, created_at: START, accept_url: res.body.accept_url,
    });

    await t.app.mail.flush();
    const [mail] = await smtp.waitFor(1);
    expect(smtp.received).toHaveLength(1);
    expect(mail).toMatchObject({ to: ['bob@acme.example'], from: 'no-reply@gatehouse.test', subject: 'You are invited to join Acme' });
    const text = textOf(mail!);
    expect(text).toContain('You have been invited to join Acme as an administrator.');
    expect(text).toContain('expires on 2026-12-08 09:00 (UTC)');
    // Exactly the URL of the answer: the only invitation link in the mail, whole.
    expect(text.match(/http\S*invitations\S*/g)).toEqual([res.body.accept_url]);

    const events = await eventsOf(t, org);
    expect(events.map((e) => e.type)).toEqual(['organization.created', 'invitation.created']);
    expect(events[1]).toMatchObject({ actor: { type: 'api_key' }, data: { invitation_id: res.body.id, email: 'bob@acme.example', role: 'admin' } });
  });

  it('invites as member when no role is given', async () => {
    const org = await createOrg(t, 'Acme');
    const res = await invite(org, { email: 'carol@acme.example' }).expect(201);
    expect(res.body).toMatchObject({ role: 'member', state: 'pending' });
    await t.app.mail.flush();
    const [mail] = await smtp.waitFor(1);
    expect(textOf(mail!)).toContain('You have been invited to join Acme as a member.');
  });

  it('stores only the SHA-256 of the token: no row, event, outbox body or database page holds the token or the URL', async () => {
    const org = await createOrg(t, 'Acme');
    smtp.failNext(1); // keep the mail (and its sealed body) in the outbox for a moment
    const { accept_url: acceptUrl, id } = (await invite(org, { email: 'bob@acme.example' }).expect(201)).body;
    await t.app.mail.flush();
    const token = tokenOf(acceptUrl);
    const secret = token.slice('inv_'.length + 12 + 1); // the random part (may itself hold '_')

    const row = await t.app.db.selectFrom('invitations').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(createHash('sha256').update(token, 'utf8').digest('hex'));
    expect(token).toBe(`inv_${row.token_lookup}_${secret}`);
    const everything = JSON.stringify(await t.snapshot());
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(acceptUrl);
    expect((await outbox())[0]).toMatchObject({ status: 'pending', attempts: 1 });
    expect(rawDatabase(t.dir)).not.toContain(secret);

    t.clock.advance(60_000);
    await t.app.mail.flush();
    expect(textOf((await smtp.waitFor(1))[0]!)).toContain(acceptUrl);
    expect((await outbox())[0]).toMatchObject({ status: 'sent', body_sealed: null });
    expect(rawDatabase(t.dir)).not.toContain(secret);
  });

  it('never shows accept_url again: not in GET by id, not in the list', async () => {
    const org = await createOrg(t, 'Acme');
    const created = (await invite(org, { email: 'bob@acme.example', role: 'admin' }).expect(201)).body;
    const { accept_url: _shownOnce, ...view } = created;
    const one = await t.api.get(`/api/v1/invitations/${created.id}`).expect(200);
    expect(one.headers['content-type']).toMatch(/^application\/json/);
    expect(one.body).toEqual(view);
    expect(one.body).not.toHaveProperty('accept_url');
    const list = await t.api.get(`/api/v1/organizations/${org}/invitations`).expect(200);
    expect(list.body).toEqual({ data: [view], list_metadata: { after: null } });
    expect(JSON.stringify([one.body, list.body])).not.toContain(tokenOf(created.accept_url));
  });

  it('lists an org\'s invitations only, oldest first, with limit and after', async () => {
    const acme = await createOrg(t, 'Acme');
    const globex = await createOrg(t, 'Globex');
    for (const e of ['a', 'b', 'c']) await invite(acme, { email: `${e}@acme.example` }).expect(201);
    await invite(globex, { email: 'g@globex.example' }).expect(201);
    const first = await t.api.get(`/api/v1/organizations/${acme}/invitations?limit=2`).expect(200);
    expect(first.body.data.map((i: { email: string }) => i.email)).toEqual(['a@acme.example', 'b@acme.example']);
    const rest = await t.api.get(`/api/v1/organizations/${acme}/invitations?limit=2&after=${first.body.list_metadata.after}`).expect(200);
    expect(rest.body).toMatchObject({ data: [{ email: 'c@acme.example' }], list_metadata: { after: null } });
    expect((await t.api.get(`/api/v1/organizations/${globex}/invitations`).expect(200)).body.data.map((i: { email: string }) => i.email)).toEqual(['g@globex.example']);
  });

  it('reads "expired" once 7 days have passed, and then a new invitation may be sent', async () => {
    const org = await createOrg(t, 'Acme');
    const { id } = (await invite(org, { email: 'bob@acme.example' }).expect(201)).body;
    t.clock.advance(7 * DAY - 1);
    expect((await t.api.get(`/api/v1/invitations/${id}`).expect(200)).body.state).toBe('pending');
    expectProblem(await invite(org, { email: 'bob@acme.example' }), 409, 'invitation_pending', `bob@acme.example already has a pending invitation (${id}); revoke it to send a new one.`);
    t.clock.advance(1);
    expect((await t.api.get(`/api/v1/invitations/${id}`).expect(200)).body).toMatchObject({ state: 'expired', expires_at: IN_7_DAYS, revoked_at: null });
    expect((await t.api.get(`/api/v1/organizations/${org}/invitations`).expect(200)).body.data[0].state).toBe('expired');

    const again = await invite(org, { email: 'bob@acme.example' }).expect(201);
    expect(again.body).toMatchObject({ state: 'pending', created_at: IN_7_DAYS, expires_at: '2026-12-15T09:00:00.000Z' });
    expect(again.body.accept_url).not.toBe(undefined);
  });

  it('DELETE revokes: 204, state revoked, invitation.revoked; revoking again is 409 and writes nothing', async () => {
    const org = await createOrg(t, 'Acme');
    const { id } = (await invite(org, { email: 'bob@acme.example', role: 'admin' }).expect(201)).body;
    t.clock.advance(3_600_000);
    const res = await t.api.delete(`/api/v1/invitations/${id}`).expect(204);
    expect(res.text).toBe('');
    expect((await t.api.get(`/api/v1/invitations/${id}`).expect(200)).body).toMatchObject({ state: 'revoked', revoked_at: '2026-12-01T10:00:00.000Z' });
    const events = await eventsOf(t, org);
    expect(events.map((e) => e.type)).toEqual(['organization.created', 'invitation.created', 'invitation.revoked']);
    expect(events[2]).toMatchObject({ actor: { type: 'api_key' }, data: { invitation_id: id, email: 'bob@acme.example' } });

    const before = await t.snapshot();
    expectProblem(await t.api.delete(`/api/v1/invitations/${id}`), 409, 'invitation_not_pending', `Invitation ${id} is revoked; only a pending invitation can be revoked.`);
    expect(await t.snapshot()).toEqual(before);
    // A revoked invitation no longer blocks a new one.
    await invite(org, { email: 'bob@acme.example' }).expect(201);
  });

  it('refuses to revoke an invitation that has expired (409) and writes nothing', async () => {
    const org = await createOrg(t, 'Acme');
    const { id } = (await invite(org, { email: 'bob@acme.example' }).expect(201)).body;
    t.clock.advance(7 * DAY);
    const before = await t.snapshot();
    expectProblem(await t.api.delete(`/api/v1/invitations/${id}`), 409, 'invitation_not_pending', `Invitation ${id} is expired; only a pending invitation can be revoked.`);
    expect(await t.snapshot()).toEqual(before);
    expect((await t.api.get(`/api/v1/invitations/${id}`).expect(200)).body.state).toBe('expired');
  });

  it('revoking before the mail went out cancels it: the dead link is never mailed', async () => {
    const org = await createOrg(t, 'Acme');
    smtp.failNext(1);
    const { id } = (await invite(org, { email: 'bob@acme.example' }).expect(201)).body;
    await t.app.mail.flush();
    expect((await outbox())[0]).toMatchObject({ kind: 'invitation', status: 'pending', attempts: 1 });
    await t.api.delete(`/api/v1/invitations/${id}`).expect(204);
    expect((await outbox())[0]).toMatchObject({ status: 'cancelled', body_sealed: null });
    t.clock.advance(DAY);
    expect(await t.app.mail.flush()).toEqual({ sent: 0, failed: 0 });
    expect(smtp.received).toEqual([]);
  });

  it('refuses an existing member (in any case) with 409 already_a_member; someone who belongs to another org can be invited', async () => {
    const acme = await createOrg(t, 'Acme');
    const globex = await createOrg(t, 'Globex');
    await seedMember(t, acme, { email: 'ada@acme.example' });
    await seedMember(t, globex, { email: 'gus@globex.example' });
    await seedMember(t, null, { email: 'loner@example.org' });
    const before = await t.snapshot();
    for (const email of ['ada@acme.example', 'ADA@Acme.Example']) {
      expectProblem(await invite(acme, { email, role: 'admin' }), 409, 'already_a_member', 'ada@acme.example is already a member of this organization.', email);
    }
    expect(await t.snapshot()).toEqual(before);
    await invite(acme, { email: 'gus@globex.example' }).expect(201);
    await invite(acme, { email: 'loner@example.org' }).expect(201);
  });

  it('refuses a second pending invitation for the same email with 409 invitation_pending; another org may invite them', async () => {
    const acme = await createOrg(t, 'Acme');
    const { id } = (await invite(acme, { email: 'bob@acme.example' }).expect(201)).body;
    await t.app.mail.flush();
    const before = await t.snapshot();
    const detail = `bob@acme.example already has a pending invitation (${id}); revoke it to send a new one.`;
    expectProblem(await invite(acme, { email: 'bob@acme.example' }), 409, 'invitation_pending', detail, 'same');
    expectProblem(await invite(acme, { email: 'BOB@acme.example', role: 'admin' }), 409, 'invitation_pending', detail, 'other case and role');
    expect(await t.snapshot()).toEqual(before);
    expect(smtp.received).toHaveLength(1);
    const globex = await createOrg(t, 'Globex');
    await invite(globex, { email: 'bob@acme.example' }).expect(201);
  });

  it('refuses bad input with field errors and unknown ids with 404, writing nothing', async () => {
    const org = await createOrg(t, 'Acme');
    const before = await t.snapshot();
    const url = `/api/v1/organizations/${org}/invitations`;
    const badRole = 'role must be member or admin.';
    const cases: Array<[string, () => Promise<ApiResponse>, number, string, string, unknown[] | undefined]> = [
      ['missing email', () => t.api.post(url, { role: 'member' }), 422, 'validation_failed', 'email is required.', [{ field: 'email', code: 'invalid_type', message: 'email is required.' }]],
      ['bad email', () => t.api.post(url, { email: 'bob', role: 'member' }), 422, 'validation_failed', 'email: must be an email address', [{ field: 'email', code: 'invalid_format', message: 'email: must be an email address' }]],
      ['email not a string', () => t.api.post(url, { email: 42 }), 422, 'validation_failed', 'email must be a string.', [{ field: 'email', code: 'invalid_type', message: 'email must be a string.' }]],
      ['bad role', () => t.api.post(url, { email: 'bob@acme.example', role: 'owner' }), 422, 'validation_failed', badRole, [{ field: 'role', code: 'invalid_value', message: badRole }]],
      ['bad email and role', () => t.api.post(url, { email: 'bob', role: 'owner' }), 422, 'validation_failed', '2 fields are invalid.', [
        { field: 'email', code: 'invalid_format', message: 'email: must be an email address' },
        { field: 'role', code: 'invalid_value', message: badRole },
      ]],
      ['unknown field', () => t.api.post(url, { email: 'bob@acme.example', sites: [] }), 422, 'validation_failed', 'Unknown field: sites.', undefined],
      ['not JSON', () => t.api.post(url, '{"email":').set('Content-Type', 'application/json'), 400, 'malformed_body', 'The request body is not valid JSON.', undefined],
      ['unknown org (POST)', () => t.api.post(`/api/v1/organizations/${UNKNOWN_ORG}/invitations`, { email: 'bob@acme.example' }), 404, 'not_found', `No organization with id ${UNKNOWN_ORG}.`, undefined],
      ['unknown org (GET)', () => t.api.get(`/api/v1/organizations/${UNKNOWN_ORG}/invitations`), 404, 'not_found', `No organization with id ${UNKNOWN_ORG}.`, undefined],
      ['unknown invitation (GET)', () => t.api.get(`/api/v1/invitations/${UNKNOWN_INV}`), 404, 'not_found', `No invitation with id ${UNKNOWN_INV}.`, undefined],
      ['unknown invitation (DELETE)', () => t.api.delete(`/api/v1/invitations/${UNKNOWN_INV}`), 404, 'not_found', `No invitation with id ${UNKNOWN_INV}.`, undefined],
    ];
    for (const [label, send, status, code, detail, errors] of cases) {
      const res = await send();
      expectProblem(res, status, code, detail, label);
      if (errors) expect(res.body.errors, label).toEqual(errors);
    }
    expect(await t.snapshot()).toEqual(before);
    await t.app.mail.flush();
    expect(smtp.received).toEqual([]);
  });
});

describe('gatehouse invite (CLI)', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  useSmtpApp((server, testApp) => {
    smtp = server;
    t = testApp;
  });

  async function cli(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const env = { GATEHOUSE_DATA_DIR: t.dir, GATEHOUSE_SECRET: TEST_SECRET, GATEHOUSE_BASE_URL: 'http://gatehouse.test', SMTP_URL: smtp.url, LOG_LEVEL: 'silent' };
    const code = await runCli(argv, { env, out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('prints the accept URL, and the invitee receives it by mail', async () => {
    const org = await createOrg(t, 'Acme');
    const res = await cli('invite', '--org', org, '--email', 'Bob@Acme.Example', '--role', 'admin');
    expect(res.err).toBe('');
    expect(res.code).toBe(0);
    const match = /^Invited bob@acme\.example as admin \((inv_[0-9A-Z]{26})\), valid until (\S+)\.\nAccept URL \(shown once\):\n\n {2}(\S+)\n$/.exec(res.out);
    expect(match, res.out).not.toBeNull();
    const [, id, expiresAt, acceptUrl] = match!;
    expect(acceptUrl).toMatch(ACCEPT_URL);
    // The CLI runs on the system clock; the invitation lasts 7 days from then.
    const row = await t.app.db.selectFrom('invitations').selectAll().where('id', '=', id!).executeTakeFirstOrThrow();
    expect(Date.parse(expiresAt!) - Date.parse(row.created_at)).toBe(7 * DAY);
    expect(row.token_hash).toBe(createHash('sha256').update(tokenOf(acceptUrl!), 'utf8').digest('hex'));

    // The CLI flushed the outbox before it exited.
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]).toMatchObject({ to: ['bob@acme.example'], subject: 'You are invited to join Acme' });
    expect(textOf(smtp.received[0]!).match(/http\S*invitations\S*/g)).toEqual([acceptUrl]);
    expect((await t.api.get(`/api/v1/invitations/${id}`).expect(200)).body).toMatchObject({ email: 'bob@acme.example', role: 'admin' });
  });

  it('prints JSON with --json, and refuses an unknown org with exit code 1', async () => {
    const org = await createOrg(t, 'Acme');
    const res = await cli('invite', '--org', org, '--email', 'carol@acme.example', '--json');
    expect(res.code).toBe(0);
    const json = JSON.parse(res.out);
    expect(json).toMatchObject({ email: 'carol@acme.example', role: 'member' });
    expect(json.accept_url).toMatch(ACCEPT_URL);
    expect(textOf(smtp.received[0]!)).toContain(json.accept_url);

    const before = await t.snapshot();
    const unknown = await cli('invite', '--org', UNKNOWN_ORG, '--email', 'dan@acme.example');
    expect(unknown).toEqual({ code: 1, out: '', err: `gatehouse: No organization with id ${UNKNOWN_ORG}.` });
    expect(await t.snapshot()).toEqual(before);
  });
});
