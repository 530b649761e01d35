import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/clock.ts';
import { replaceCertificates } from '../../src/sso/connections.service.ts';
import { consolePerson, signInHttp, type ConsolePerson } from '../helpers/console.ts';
import { text } from '../helpers/http-browser.ts';
import { type LiveApp, startLiveApp } from '../helpers/live-app.ts';
import { IDP } from '../helpers/saml.ts';
import { certificateUntil } from '../monitor/monitor-harness.ts';

/**
 * The banner on every console page while a signing certificate of one of the org's active SAML
 * connections expires within 30 days (DESIGN.md Certificate monitor), with its renewal link.
 */
describe('certificate expiry banner', () => {
  let live: LiveApp;
  let admin: ConsolePerson;
  let connectionId: string;

  beforeAll(async () => {
    live = await startLiveApp();
    admin = await consolePerson(live, { email: 'ada.lovelace@acme.test', orgName: 'Acme' });
    // Signed in with a password before acme.test goes to SSO.
    await signInHttp(live, admin);
    const domain = (await live.api('POST', `/organizations/${admin.orgId}/domains`, { domain: 'acme.test' })).body;
    await live.api('POST', `/domains/${domain.id}/verify`, { method: 'manual' });
    await live.api('POST', `/organizations/${admin.orgId}/it_contacts`, { email: 'it@acme.test' });
    const created = await live.api('POST', `/organizations/${admin.orgId}/connections`, {
      type: 'saml', provider: 'okta', name: 'Acme Okta', saml: { idp_entity_id: 'https://idp.acme.test', sso_url: IDP.ssoUrl, certificates: [IDP.certificate] },
    });
    connectionId = created.body.id;
    expect((await live.api('POST', `/connections/${connectionId}/activate`)).status).toBe(200);
  }, 30_000);
  afterAll(async () => live?.close());

  const trust = async (...days: number[]) => {
    const certificates = await Promise.all(days.map((d, i) => certificateUntil(`Acme IdP ${i}`, new Date(Date.now() + d * DAY_MS))));
    await live.app.uow((trx) => replaceCertificates(trx, live.call, connectionId, certificates, 'manual'));
  };
  const pageText = async (path: string) => text((await admin.browser.get(`${live.url}${path}`)).html);

  it('is absent while every certificate has more than 30 days left', async () => {
    await trust(45);
    for (const path of ['/console', '/console/settings/authentication']) expect(await pageText(path)).not.toContain('The signing certificate of');
  });

  it('shows on every page within 30 days, with the days left, and its form opens a renewal link', async () => {
    await trust(20);
    for (const path of ['/console', '/console/settings/authentication', '/console/users', '/console/sites', '/console/activity']) {
      const shown = await pageText(path);
      expect(shown, path).toMatch(/The signing certificate of Acme Okta expires in (19|20) days/);
      expect(shown, path).toContain('nobody can sign in with single sign-on');
    }
    const home = await admin.browser.get(`${live.url}/console`);
    const renew = await admin.browser.submit(home, '/certificates/renew', {});
    expect(renew.status).toBe(303);
    expect(renew.location).toMatch(new RegExp(`^${live.url}/portal/gpl_`));
    const wizard = await admin.browser.follow(renew.location!);
    expect(wizard.url).toBe(`${live.url}/portal/certificates`);
  });

  it('says sign-ins go on while a newer certificate is already in place', async () => {
    await trust(10, 400);
    const shown = await pageText('/console');
    expect(shown).toMatch(/expires in (9|10) days/);
    expect(shown).toContain('A newer certificate is already in place');
  });

  it('says the certificate has expired once it has', async () => {
    await trust(-2);
    expect(await pageText('/console')).toMatch(/The signing certificate of Acme Okta has expired/);
  });

  it('is not shown for a connection that is not active, nor to another org', async () => {
    await trust(5);
    const other = await consolePerson(live, { email: 'eve.other@globex.test', orgName: 'Globex' });
    await signInHttp(live, other);
    expect(text((await other.browser.get(`${live.url}/console`)).html)).not.toContain('The signing certificate of');
    expect((await live.api('POST', `/connections/${connectionId}/deactivate`)).status).toBe(200);
    expect(await pageText('/console')).not.toContain('The signing certificate of');
  });
});
