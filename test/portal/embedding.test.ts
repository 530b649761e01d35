import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT_DIR } from '../../src/paths.ts';
import { PAGE_CSP } from '../../src/http/security-headers.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { snapshot } from './portal-helpers.ts';

/**
 * Embedding: the wizard may be framed by the app's own origins (allowed_origins of its clients) and by
 * nothing else; its forms work in a cross-site frame, where the browser sends the SameSite=None portal
 * cookie but not the Lax gh_csrf one; portal.js posts its messages to those origins only.
 */
describe('setup wizard: embedding in the app', () => {
  let t: TestApp;
  let orgId: string;

  beforeEach(async () => {
    t = await createTestApp();
    orgId = (await t.api.post('/api/v1/organizations', { name: 'Acme' }).expect(201)).body.id;
  });
  afterEach(async () => t.close());

  /** Opens a link with supertest: the session cookie, as a framed browser would send it (alone). */
  async function session(intent: 'domain_verification' | 'dsync' = 'domain_verification'): Promise<string> {
    const link = (await t.api.post('/api/v1/portal/links', { organization_id: orgId, intent }).expect(201)).body.link as string;
    const opened = await t.http.get(new URL(link).pathname).expect(303);
    const cookie = (opened.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('gh_portal='))!;
    return cookie.split(';')[0]!;
  }

  const frameAncestors = (csp: string | undefined) => /frame-ancestors ([^;]+)/.exec(csp ?? '')?.[1];

  it("without app origins, portal pages cannot be framed at all (frame-ancestors 'none', X-Frame-Options DENY)", async () => {
    const res = await t.http.get('/portal/domains').set('Cookie', await session()).expect(200);
    expect(res.headers['content-security-policy']).toBe(PAGE_CSP);
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.text).toContain('<meta name="gatehouse-frame-origins" content="">');
  });

  it("frames are allowed from the app clients' allowed_origins on every portal answer, and nowhere else", async () => {
    await t.api.post('/api/v1/clients', { name: 'Workplace', redirect_uris: ['https://app.example.com/cb'], allowed_origins: ['https://app.example.com', 'http://localhost:3000'] }).expect(201);
    await t.api.post('/api/v1/clients', { name: 'Admin', redirect_uris: ['https://admin.example.org/cb'], allowed_origins: ['https://admin.example.org', 'https://app.example.com'] }).expect(201);
    await t.api.post('/api/v1/clients', { name: 'Mobile', redirect_uris: ['https://m.example.com/cb'] }).expect(201);
    const origins = 'https://app.example.com http://localhost:3000 https://admin.example.org';
    const cookie = await session();
    const dead = (await t.api.post('/api/v1/portal/links', { organization_id: orgId, intent: 'dsync' }).expect(201)).body.link as string;
    await t.http.get(new URL(dead).pathname).expect(303);

    const answers = {
      page: await t.http.get('/portal/domains').set('Cookie', cookie),
      handover: await t.http.get('/portal/handover').set('Cookie', cookie),
      spentLink: await t.http.get(new URL(dead).pathname),
      unknownLink: await t.http.get('/portal/gpl_nothing'),
      sessionEnded: await t.http.get('/portal/domains'),
      otherOrgId: await t.http.post('/portal/domains/dom_01M8T247H71E8T82MXYZ8V2G2J/verify').set('Cookie', cookie).set('Accept', 'text/html').type('form').send({}),
    };
    for (const [name, res] of Object.entries(answers)) {
      expect(frameAncestors(res.headers['content-security-policy']), name).toBe(origins);
      expect(res.headers['content-security-policy'], name).toBe(PAGE_CSP.replace("frame-ancestors 'none'", `frame-ancestors ${origins}`));
      expect(res.headers['x-frame-options'], name).toBeUndefined();
      expect(res.text, name).toContain(`<meta name="gatehouse-frame-origins" content="${origins}">`);
      expect(res.text, name).toMatch(/<script src="\/assets\/portal\.js\?v=[0-9a-f]{10}" defer><\/script>/);
    }
    expect(answers.sessionEnded.text).toContain('data-gatehouse-event="gatehouse:session_expired"');
    expect(answers.spentLink.text).toContain('data-gatehouse-event="gatehouse:load_failed"');
    expect(answers.page.text).not.toContain('data-gatehouse-event');
    // The rest of Gatehouse stays unframeable.
    const login = await t.http.get('/invitations/nothing');
    expect(frameAncestors(login.headers['content-security-policy'])).toBe("'none'");
    expect(login.headers['x-frame-options']).toBe('DENY');
  });

  it('forms work with the portal cookie alone (a cross-site frame sends no Lax gh_csrf cookie); a token of the gh_csrf cookie does not', async () => {
    const cookie = await session();
    const page = await t.http.get('/portal/domains').set('Cookie', cookie).expect(200);
    // The portal binds its form tokens to the session: it sets no gh_csrf cookie of its own.
    expect((page.headers['set-cookie'] as unknown as string[] | undefined) ?? []).toEqual([]);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const added = await t.http.post('/portal/domains').set('Cookie', cookie).type('form').send({ _csrf: token, domain: 'acme.test' });
    expect(added.status).toBe(303);

    // A token made for another page (bound to a gh_csrf cookie) is refused here, cookie or not.
    const other = await t.http.get('/invitations/nothing');
    const csrfCookie = (other.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('gh_csrf='))!.split(';')[0]!;
    const otherToken = /name="_csrf" value="([^"]+)"/.exec((await t.http.get('/portal/domains').set('Cookie', `${csrfCookie}`)).text)?.[1];
    expect(otherToken).toBeUndefined(); // no session: no form at all
    const otherSession = await session();
    const theirs = /name="_csrf" value="([^"]+)"/.exec((await t.http.get('/portal/domains').set('Cookie', otherSession)).text)![1]!;
    const before = await snapshot(t);
    const forged = await t.http.post('/portal/domains').set('Cookie', `${cookie}; ${csrfCookie}`).set('Accept', 'text/html').type('form').send({ _csrf: csrfCookie.split('=')[1], domain: 'globex.test' });
    expect(forged.status).toBe(403);
    // A token of another portal session is refused too.
    expect((await t.http.post('/portal/domains').set('Cookie', cookie).set('Accept', 'text/html').type('form').send({ _csrf: theirs, domain: 'globex.test' })).status).toBe(403);
    expect(await snapshot(t)).toEqual(before);
  });

  it('portal.js posts to the allowed origins only, never to "*"', () => {
    const js = fs.readFileSync(path.join(ROOT_DIR, 'assets', 'portal.js'), 'utf8');
    expect(js).toContain("window.parent.postMessage(message, origin)");
    expect(js).not.toMatch(/postMessage\([^)]*['"]\*['"]/);
    for (const name of ['gatehouse:sso_activated', 'gatehouse:sso_deactivated', 'gatehouse:session_expired', 'gatehouse:load_failed']) expect(js).toContain(name);
  });
});
