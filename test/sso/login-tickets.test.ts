import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { issueToken } from '../../src/crypto/tokens.ts';
import { consumeInteractionTicket, issueLoginTicket, TICKET_KIND, type TicketProfile } from '../../src/sso/login-tickets.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const profile = (groups: string[] | null): TicketProfile => ({
  subject: 'jane', email: 'jane@acme.test', emailVerified: true, firstName: 'Jane', lastName: null, groups, attributes: {}, nameIdFormat: null,
});

/** The login ticket keeps what the IdP said about groups: none sent (null), in no group ([]), or the list. */
describe('login tickets: the groups of the profile', () => {
  let t: TestApp;
  let orgId: string;
  let connectionId: string;

  beforeEach(async () => {
    t = await createTestApp();
    orgId = (await t.api.post('/api/v1/organizations', { name: 'Acme', sso_entitled: true }).expect(201)).body.id;
    connectionId = (await t.api.post(`/api/v1/organizations/${orgId}/connections`, { type: 'oidc', provider: 'okta' }).expect(201)).body.id;
  });
  afterEach(async () => t.close());

  const consume = (uid: string) => consumeInteractionTicket(t.app.db, t.clock, t.app.ctx.box, uid);

  it.each([['no groups attribute', null], ['an empty groups attribute', []], ['two groups', ['Eng', 'HQ']]] as const)('hands over %s as sent', async (_what, groups) => {
    await issueLoginTicket(t.app.db, t.call, { connectionId, organizationId: orgId, purpose: 'sign_in', interactionUid: 'uid-1', clientId: null, profile: profile(groups && [...groups]) });
    expect((await consume('uid-1'))!.profile.groups).toEqual(groups);
  });

  it('reads a ticket sealed before the groups could be null: its empty list means "not said", its groups stay', async () => {
    const now = t.clock.now();
    const seal = async (id: string, uid: string, groups: string[]) => {
      const token = issueToken(TICKET_KIND);
      // The shape written before: no version, `groups` always an array.
      await t.app.db.insertInto('login_tickets').values({
        id, token_lookup: token.lookup, token_hash: token.hash, connection_id: connectionId, organization_id: orgId, purpose: 'sign_in',
        interaction_uid: uid, client_id: null, profile_sealed: t.app.ctx.box.seal(JSON.stringify(profile(groups)), `login-ticket:${id}`),
        expires_at: new Date(now.getTime() + 60_000).toISOString(), consumed_at: null, created_at: now.toISOString(),
      }).execute();
    };
    await seal('tkt_old_empty', 'uid-old-1', []);
    await seal('tkt_old_groups', 'uid-old-2', ['Eng']);
    expect((await consume('uid-old-1'))!.profile).toMatchObject({ email: 'jane@acme.test', groups: null });
    expect((await consume('uid-old-2'))!.profile.groups).toEqual(['Eng']);
  });
});
