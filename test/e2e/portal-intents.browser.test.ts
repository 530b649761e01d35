import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../src/crypto/self-signed.ts';
import { DESKTOP, launchChromium, runBrowserSuite, screenshotDir, sidewaysOverflow } from '../helpers/chromium.ts';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.ts';
import { type LiveApp, startLiveApp } from '../helpers/live-app.ts';
import { IDP } from '../helpers/saml.ts';

const BROWSER_TEST_MS = 60_000;
const DAY = 86_400_000;
const WIDTHS = [[1280, 800], [390, 844]] as const;

const bare = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');

/**
 * The setup wizard's domain verification and certificate renewal in real headless Chromium, at desktop
 * and phone widths (screenshots in test-results/screenshots/portal-intents/), with JavaScript (copy
 * buttons, messages to a framing app) and without it; and framed by the app.
 */
describe.runIf(runBrowserSuite)('setup wizard in a real browser', () => {
  let live: LiveApp;
  let dns: TestDnsServer;
  let browser: Browser;
  let app: http.Server;
  let appUrl: string;
  let orgId: string;
  let connectionId: string;
  const SHOTS = screenshotDir('portal-intents');

  beforeAll(async () => {
    dns = await startDnsServer();
    live = await startLiveApp({ env: { DNS_SERVERS: dns.server } });
    // The app: a settings page that frames the wizard and keeps the messages it receives. On 127.0.0.1 with
    // another port: another origin but the same site, as an app and its identity service often are.
    app = http.createServer((req, res) => {
      const url = new URL(req.url!, appUrl);
      res.setHeader('content-type', 'text/html; charset=utf-8');
      if (url.pathname === '/settings') {
        const src = url.searchParams.get('portal') ?? '';
        return res.end(`<!doctype html><title>Workplace settings</title><h1>Workplace settings</h1>
<iframe id="wizard" title="Setup" src="${src.replace(/"/g, '&quot;')}" style="width:100%;height:600px;border:0"></iframe>
<script>window.received = []; window.addEventListener('message', (e) => window.received.push({ origin: e.origin, data: e.data }));</script>`);
      }
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    appUrl = `http://127.0.0.1:${(app.address() as { port: number }).port}`;
    expect((await live.api('POST', '/clients', { name: 'Workplace', redirect_uris: [`${appUrl}/callback`], allowed_origins: [appUrl] })).status).toBe(201);

    orgId = (await live.api('POST', '/organizations', { name: 'Acme Corporation', sso_entitled: true })).body.id;
    const domain = (await live.api('POST', `/organizations/${orgId}/domains`, { domain: 'acme-corp.test' })).body.id;
    await live.api('POST', `/domains/${domain}/verify`, { method: 'manual' });
    await live.api('POST', `/organizations/${orgId}/it_contacts`, { email: 'it@acme-corp.test', name: 'Ida Tech' });
    // The IdP's current certificate ends in 20 days.
    const ending = await selfSignedCertificate({ commonName: 'Acme Okta 2024', notBefore: new Date(Date.now() - 700 * DAY), notAfter: new Date(Date.now() + 20 * DAY + 3_600_000) });
    const created = await live.api('POST', `/organizations/${orgId}/connections`, {
      type: 'saml', provider: 'okta', name: 'Okta', saml: { idp_entity_id: IDP.entityId, sso_url: IDP.ssoUrl, certificates: [ending.certificatePem] },
    });
    connectionId = created.body.id;
    expect((await live.api('POST', `/connections/${connectionId}/activate`)).status).toBe(200);

    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => app?.close(resolve));
    await live?.close();
    await dns?.close();
  });

  async function link(intent: string, returnUrl?: string): Promise<string> {
    const res = await live.api('POST', '/portal/links', { organization_id: orgId, intent, ...(returnUrl ? { return_url: returnUrl } : {}) });
    expect(res.status).toBe(201);
    return res.body.link as string;
  }

  async function open(intent: string, width: number, height: number, options: { javaScript?: boolean } = {}): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width, height }, javaScriptEnabled: options.javaScript ?? true });
    const page = await context.newPage();
    await page.goto(await link(intent, `${appUrl}/settings`));
    return { context, page };
  }

  /** One screenshot at the page's own width (the name says which). */
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

  /** Nothing on the page is wider than the viewport (no sideways scrolling on a phone). */
  async function expectNoOverflow(page: Page) {
    expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
  }

  it('domain verification: add a domain, copy the record, Verify against real DNS', async () => {
    const { context, page } = await open('domain_verification', 1280, 800);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: live.url });
    try {
      await page.getByRole('heading', { name: 'Verify your domains' }).waitFor();
      expect(await page.getByRole('link', { name: 'Back to the application' }).getAttribute('href')).toBe(`${appUrl}/settings`);
      await shot(page, 'domains-1-empty-1280');
      // Keyboard: type the domain and press Enter.
      await page.getByLabel('Domain', { exact: true }).fill('acme.test');
      await page.keyboard.press('Enter');
      await page.getByText('Domain added').waitFor();
      const value = await page.locator('[id$="-value"]').first().textContent();
      expect(value).toMatch(/^gatehouse-domain-verification=/);
      await page.getByRole('button', { name: 'Copy record value' }).click();
      expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(value);
      await expect.poll(() => page.getByRole('button', { name: 'Copied record value' }).count()).toBe(1);
      await shot(page, 'domains-2-record-1280');

      await page.getByRole('button', { name: 'Verify acme.test' }).click();
      await page.getByText('Not verified yet').waitFor();
      expect(await page.getByRole('alert').textContent()).toContain('No TXT record was found at _gatehouse-challenge.acme.test.');
      await shot(page, 'domains-3-not-found-1280');

      dns.setTxt('_gatehouse-challenge.acme.test', value!);
      await page.getByRole('button', { name: 'Verify acme.test' }).click();
      await page.getByText('acme.test is verified').waitFor();
      expect(await page.locator('.chip').first().textContent()).toBe('Verified');
      // A second, pending domain beside the verified one: the states side by side.
      await page.getByLabel('Domain', { exact: true }).fill('acme-labs.test');
      await page.getByRole('button', { name: 'Add domain' }).click();
      await page.getByText('Domain added').waitFor();
      await shot(page, 'domains-4-verified-and-pending-1280');
    } finally {
      await context.close();
    }

    // A phone, without JavaScript: the values are plain selectable text, no Copy buttons; Verify still works.
    const phone = await open('domain_verification', 390, 844, { javaScript: false });
    try {
      await phone.page.getByRole('heading', { name: 'Verify your domains' }).waitFor();
      expect(await phone.page.getByRole('button', { name: /^Copy/ }).count()).toBe(0);
      await expectNoOverflow(phone.page);
      await shot(phone.page, 'domains-5-phone-390');
      await phone.page.getByRole('button', { name: 'Verify acme-labs.test' }).click();
      await phone.page.getByText('Not verified yet').waitFor();
      await expectNoOverflow(phone.page);
      await shot(phone.page, 'domains-6-phone-not-found-390');
    } finally {
      await phone.context.close();
    }
  }, BROWSER_TEST_MS);

  it('certificate renewal: upload metadata with the new certificate, remove the old one after a confirm step', async () => {
    const { context, page } = await open('certificate_renewal', 1280, 800);
    try {
      await page.getByRole('heading', { name: "Renew your identity provider's certificate" }).waitFor();
      expect(await page.locator('.cert .chip').allTextContents()).toEqual(['Expires in 20 days']);
      await shot(page, 'certificates-1-expiring-1280');

      const file = path.join(SHOTS, '..', 'okta-metadata.xml');
      fs.writeFileSync(file, `<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${IDP.entityId}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${bare(IDP.rotatedCertificate)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${IDP.ssoUrl}"/></md:IDPSSODescriptor></md:EntityDescriptor>`);
      await page.getByLabel('Upload the metadata or the certificate').setInputFiles(file);
      await page.getByRole('button', { name: 'Add certificate' }).click();
      await page.getByText('New certificate trusted').waitFor();
      expect(await page.locator('.cert .chip').allTextContents()).toEqual(['Valid until 1 Jan 2045', 'Expires in 20 days']);
      await shot(page, 'certificates-2-both-trusted-1280');

      await page.getByRole('link', { name: 'Remove' }).nth(1).click();
      await page.getByRole('heading', { name: 'Remove this certificate from Okta?' }).waitFor();
      await shot(page, 'certificates-3-confirm-1280');
      await page.getByRole('button', { name: 'Remove certificate' }).click();
      await page.getByText('Old certificate removed').waitFor();
      expect(await page.locator('.cert .chip').allTextContents()).toEqual(['Valid until 1 Jan 2045']);
      await shot(page, 'certificates-4-renewed-1280');
    } finally {
      await context.close();
    }

    const phone = await open('certificate_renewal', 390, 844);
    try {
      await phone.page.getByLabel('Or paste it').fill(IDP.rotatedKey);
      await phone.page.getByRole('button', { name: 'Add certificate' }).click();
      await phone.page.getByText('Not added').waitFor();
      expect(await phone.page.getByRole('alert').textContent()).toContain('This is a private key, not a certificate.');
      await expectNoOverflow(phone.page);
      await shot(phone.page, 'certificates-5-private-key-refused-390');
    } finally {
      await phone.context.close();
    }
  }, BROWSER_TEST_MS);

  it('directory sync and the hand-over read well at both widths', async () => {
    for (const [width, height] of WIDTHS) {
      const { context, page } = await open('dsync', width, height);
      try {
        if (width === 1280) {
          await page.getByText('Okta', { exact: true }).click();
          await page.getByRole('button', { name: 'Continue' }).click();
          await page.getByText('Directory created').waitFor();
          await page.getByLabel('IdP group').first().fill('Engineering');
          await page.getByLabel('Organization role').first().selectOption('admin');
          await page.getByRole('button', { name: 'Save mappings' }).click();
          await page.getByText('Mappings saved').waitFor();
          await page.goto(`${live.url}/portal/dsync`);
        }
        await page.getByRole('heading', { name: 'Group mappings' }).waitFor();
        await expectNoOverflow(page);
        await shot(page, `dsync-${width}`);
        await page.getByRole('link', { name: 'Send to a colleague' }).click();
        await page.getByRole('heading', { name: 'Send this setup to a colleague' }).waitFor();
        await expectNoOverflow(page);
        await shot(page, `handover-${width}`);
        await page.getByText('Ida Tech').click();
        await page.getByRole('button', { name: 'Send the link' }).click();
        await page.getByText('Link sent to it@acme-corp.test').waitFor();
        await shot(page, `handover-sent-${width}`);
      } finally {
        await context.close();
      }
    }
  }, BROWSER_TEST_MS);

  it('framed by the app: the wizard works inside its frame, and tells the app when a link could not open', async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    try {
      await page.goto(`${appUrl}/settings?portal=${encodeURIComponent(await link('domain_verification'))}`);
      const frame = page.frameLocator('#wizard');
      await frame.getByRole('heading', { name: 'Verify your domains' }).waitFor();
      await frame.getByLabel('Domain', { exact: true }).fill('framed.test');
      await frame.getByRole('button', { name: 'Add domain' }).click();
      await frame.getByText('Domain added').waitFor();
      await shot(page, 'framed-1-in-the-app-1280');
      expect(await page.evaluate<unknown[]>('window.received')).toEqual([]);

      // A spent link in the frame: the app hears load_failed, from Gatehouse's origin.
      const spent = await link('domain_verification');
      await fetch(spent, { redirect: 'manual' });
      await page.goto(`${appUrl}/settings?portal=${encodeURIComponent(spent)}`);
      await page.frameLocator('#wizard').getByRole('heading', { name: 'This link has already been used' }).waitFor();
      await expect.poll(() => page.evaluate<unknown[]>('window.received')).toEqual([{ origin: live.url, data: { type: 'gatehouse:load_failed' } }]);
    } finally {
      await context.close();
    }

    // Another site may not frame it at all.
    const other = await browser.newContext();
    const otherPage = await other.newPage();
    try {
      const foreign = appUrl.replace('127.0.0.1', 'localhost');
      const blocked: string[] = [];
      otherPage.on('console', (m) => blocked.push(m.text()));
      await otherPage.goto(`${foreign}/settings?portal=${encodeURIComponent(`${live.url}/portal/gpl_nothing`)}`);
      await expect.poll(() => blocked.some((m) => m.includes('frame-ancestors')), { timeout: 5_000 }).toBe(true);
      expect(await otherPage.frameLocator('#wizard').getByRole('heading').count()).toBe(0);
    } finally {
      await other.close();
    }
  }, BROWSER_TEST_MS);
});
