import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Koa from 'koa';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHandler } from '../../src/http/error-handler.ts';
import { createPages, type Pages } from '../../src/http/pages.ts';
import { ROOT_DIR } from '../../src/paths.ts';

const VIEWS = path.join(ROOT_DIR, 'views');
const ASSETS = path.join(ROOT_DIR, 'assets');
const KEY = Buffer.alloc(32, 7);

/** A tiny app: GET /page/<name> renders a sample; POST /form parses and checks CSRF, then echoes the fields. */
function buildApp(mode: 'production' | 'development', options: { assetsDir?: string; samples?: Record<string, [string, Record<string, unknown>]> } = {}) {
  const pages = createPages({ viewsDir: VIEWS, assetsDir: options.assetsDir ?? ASSETS, mode, csrfKey: KEY });
  const app = new Koa();
  app.on('error', () => undefined);
  app.use(async (ctx, next) => {
    ctx.state.requestId = 'req_test_0001';
    await next();
  });
  app.use(errorHandler(pages.errorPage));
  app.use(pages.assets);
  app.use(async (ctx, next) => {
    const sample = (options.samples ?? SAMPLES)[ctx.path.replace(/^\/page\//, '')];
    if (ctx.method === 'GET' && ctx.path.startsWith('/page/') && sample) return pages.render(ctx, sample[0], sample[1], ctx.query.status ? Number(ctx.query.status) : undefined);
    if (ctx.path === '/form') {
      return pages.formBody(ctx, () => pages.verifyCsrf(ctx, async () => {
        ctx.body = { ok: true, fields: ctx.request.body };
      }));
    }
    await next();
  });
  return { app, pages, http: supertest(app.callback()) };
}

const ORGS = [
  { id: 'org_0', name: 'Umbrella', role: 'member', disabled: true },
  { id: 'org_1', name: 'Acme', role: 'admin', disabled: false },
  { id: 'org_2', name: 'Globex', role: 'member' },
];

const SAMPLES: Record<string, [string, Record<string, unknown>]> = {
  email: ['login/email.njk', { action: '/login/uid1', email: 'ada@acme.com', client_name: 'Workplace' }],
  'email-error': ['login/email.njk', { action: '/login/uid1', email: 'ada@', error: 'Enter a valid email address.', client_name: 'Workplace' }],
  password: ['login/password.njk', { action: '/login/uid1/password', email: 'ada@acme.com', restart_url: '/login/uid1/restart', client_name: 'Workplace' }],
  'password-error': ['login/password.njk', { action: '/login/uid1/password', email: 'ada@acme.com', error: 'The email or password is not correct.', restart_url: '/r', client_name: 'Workplace' }],
  'choose-org': ['login/choose-org.njk', { action: '/login/uid1/organization', organizations: ORGS, client_name: 'Workplace' }],
  message: ['login/message.njk', { title: 'Your organization requires single sign-on', message: 'Acme signs people in through its identity provider.', tone: 'info', action: { href: '/login/uid1/sso', label: 'Continue with single sign-on' } }],
  'message-bare': ['login/message.njk', { title: 'Your access to Acme is disabled', message: 'Ask an admin of Acme to enable it.', tone: 'error' }],
  accept: ['invitations/accept.njk', { action: '/invitations/tok', organization: 'Acme', email: 'grace@acme.com', role: 'admin', values: {}, errors: {} }],
  'accept-existing': ['invitations/accept.njk', { action: '/invitations/tok', organization: 'Acme', email: 'grace@acme.com', role: 'member', has_password: true, values: { first_name: 'Grace', last_name: 'Hopper' }, errors: {} }],
  'accept-errors': ['invitations/accept.njk', {
    action: '/invitations/tok', organization: 'Acme', email: 'grace@acme.com', role: 'member',
    values: { first_name: 'Grace', last_name: 'Hopper' }, errors: { password: 'Use at least 12 characters.', password_confirm: 'The passwords do not match.' },
  }],
  console: ['console/home.njk', { admin: { name: 'Ada Lovelace', email: 'ada@acme.com' }, organization: { name: 'Acme' }, nav: [{ key: 'authentication', label: 'Authentication', href: '/console/settings/authentication', current: false }, { key: 'users', label: 'Users', href: '/console/users', current: true }], expiring_certificates: [], flash: null }],
  'console-no-name': ['console/home.njk', { admin: { name: 'ada@acme.com', email: 'ada@acme.com' }, organization: { name: 'Acme' }, nav: [{ key: 'authentication', label: 'Authentication', href: '/console/settings/authentication', current: false }, { key: 'users', label: 'Users', href: '/console/users', current: true }], expiring_certificates: [], flash: null }],
  error: ['error.njk', { status: 404, title: 'Page not found', message: 'Nothing lives here.', reference: 'req_abc' }],
  xss: ['login/email.njk', { action: '/login/uid1', email: '"><img src=x onerror=alert(1)>', error: '<b>bold</b>', client_name: '<script>alert(1)</script>' }],
  'xss-console': ['console/home.njk', { admin: { name: '<script>alert(1)</script>', email: 'a@b.c' }, organization: { name: 'A & B <i>' }, nav: [{ key: 'authentication', label: 'Authentication', href: '/console/settings/authentication', current: false }, { key: 'users', label: 'Users', href: '/console/users', current: true }], expiring_certificates: [], flash: { tone: 'success', message: '<b>done</b>' } }],
};

const h1s = (html: string) => html.match(/<h1[\s>]/g)?.length ?? 0;
const csrfFromHtml = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
const setCookies = (res: supertest.Response): string[] => {
  const value = res.headers['set-cookie'] as unknown;
  return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
};
const csrfCookie = (res: supertest.Response) => setCookies(res).find((c) => c.startsWith('gh_csrf='));
const cookieValue = (setCookie: string) => setCookie.split(';')[0]!.slice('gh_csrf='.length);

describe('templates', () => {
  const { http: client } = buildApp('production');

  /** markupFromContext: the sample holds hostile values, so only the escaping test looks at the output. */
  async function page(name: string, { markupFromContext = false } = {}) {
    const res = await client.get(`/page/${name}`).expect(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    const html = res.text;
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toMatch(/<link rel="stylesheet" href="\/assets\/gatehouse\.css\?v=[0-9a-f]{10}">/);
    expect(html).toMatch(/<main[\s>]/);
    expect(h1s(html)).toBe(1);
    // CSP: default-src 'self', no inline styles or scripts (scripts only as files from /assets/), nothing fetched from elsewhere.
    if (!markupFromContext) expect(html).not.toMatch(/<script(?! src="\/assets\/[\w-]+\.js\?v=[0-9a-f]{10}" defer><\/script>)|\sstyle=|<style|\son[a-z]+=/i);
    expect(html.replace(/xmlns='http:\/\/www\.w3\.org\/2000\/svg'/, '')).not.toMatch(/(src|href)="(https?:)?\/\//);
    // Every form posts, carries the token, and the page needs no JavaScript.
    for (const form of html.match(/<form[^>]*>/g) ?? []) expect(form).toContain('method="post"');
    if (html.includes('<form')) expect(csrfFromHtml(html)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    return html;
  }

  it('login/email: Sign in, the client, one email field, Continue', async () => {
    const html = await page('email');
    expect(html).toContain('<title>Sign in · Gatehouse</title>');
    expect(html).toContain('<h1>Sign in</h1>');
    expect(html).toContain('to continue to Workplace');
    expect(html).toContain('<form class="form" method="post" action="/login/uid1">');
    expect(html).toContain('<label class="field__label" for="email">Work email</label>');
    expect(html).toMatch(/<input class="input" id="email" name="email" type="email" value="ada@acme.com" autocomplete="username"[^>]* required autofocus>/);
    expect(html).toMatch(/<button type="submit" class="button button--primary button--block">Continue<\/button>/);
  });

  it('login/email with an error ties it to the field', async () => {
    const html = await page('email-error');
    expect(html).toContain('<title>Error: Sign in · Gatehouse</title>');
    expect(html).toMatch(/id="email"[^>]* aria-describedby="email-error" aria-invalid="true">/);
    expect(html).toMatch(/<p class="field__error" id="email-error">.*Enter a valid email address\./s);
  });

  it('login/password: the email, Not you?, a current-password field, Sign in', async () => {
    const html = await page('password');
    expect(html).toContain('ada@acme.com');
    expect(html).toContain('<a href="/login/uid1/restart">Not you?</a>');
    // The password step posts the email back (the route reads it), and password managers see it as the username.
    expect(html).toContain('<input type="email" name="email" autocomplete="username" value="ada@acme.com" hidden readonly>');
    expect(html).toContain('<label class="field__label" for="password">Password</label>');
    expect(html).toMatch(/id="password" name="password" type="password" autocomplete="current-password" required autofocus>/);
    expect(html).toContain('>Sign in</button>');
    expect(html).toContain('action="/login/uid1/password"');
    const error = await page('password-error');
    expect(error).toMatch(/id="password"[^>]* aria-describedby="password-error" aria-invalid="true">/);
    expect(error).toContain('The email or password is not correct.');
  });

  it('login/choose-org: a radio list in a fieldset, the first enabled one checked, a disabled one not choosable, Continue', async () => {
    const html = await page('choose-org');
    expect(html).toContain('<h1>Choose an organization</h1>');
    expect(html).toMatch(/<fieldset class="fieldset">\s*<legend/);
    expect(html).toMatch(/<input type="radio" name="organization_id" value="org_0" required disabled>/);
    expect(html).toContain('Member · access disabled');
    expect(html).toMatch(/<input type="radio" name="organization_id" value="org_1" required checked>/);
    expect(html).toMatch(/<input type="radio" name="organization_id" value="org_2" required>/);
    expect(html).toContain('Acme');
    expect(html).toContain('Globex');
    expect(html).toContain('Member');
    expect(html).toContain('>Continue</button>');
  });

  it('login/message: title, message, tone and an optional action', async () => {
    const html = await page('message');
    expect(html).toContain('<h1>Your organization requires single sign-on</h1>');
    expect(html).toContain('status-icon--info');
    expect(html).toContain('<a href="/login/uid1/sso" class="button button--primary button--block">Continue with single sign-on</a>');
    const bare = await page('message-bare');
    expect(bare).toContain('<h1>Your access to Acme is disabled</h1>');
    expect(bare).toContain('status-icon--error');
    expect(bare).not.toContain('class="button');
  });

  it('invitations/accept: Join <org>, names, new password with its hint, confirm, Accept invitation', async () => {
    const html = await page('accept');
    expect(html).toContain('<h1>Join Acme</h1>');
    expect(html).toContain('invited as an admin');
    expect(html).toContain('grace@acme.com');
    for (const [name, label] of [['first_name', 'First name'], ['last_name', 'Last name'], ['password', 'Password'], ['password_confirm', 'Confirm password']]) {
      expect(html).toContain(`<label class="field__label" for="${name}">${label}</label>`);
    }
    expect(html).toMatch(/id="first_name" name="first_name" type="text" autocomplete="given-name"[^>]* autofocus>/);
    expect(html).toMatch(/id="last_name" name="last_name" type="text" autocomplete="family-name"/);
    expect(html).toMatch(/id="password" name="password" type="password" autocomplete="new-password" minlength="12" required aria-describedby="password-hint">/);
    expect(html).toContain('<p class="field__hint" id="password-hint">At least 12 characters.</p>');
    expect(html).toMatch(/id="password_confirm" name="password_confirm" type="password" autocomplete="new-password"/);
    expect(html).toContain('>Accept invitation</button>');
    expect(html).not.toContain('role="alert"');
  });

  it('invitations/accept for someone who already has a password asks for no password', async () => {
    const html = await page('accept-existing');
    expect(html).toContain('Confirm your name to accept.');
    expect(html).toContain('You already have a password for this email');
    expect(html).not.toContain('type="password"');
    expect(html).toMatch(/id="last_name"[^>]* value="Hopper"/);
  });

  it('invitations/accept with errors: a summary linking to each field, errors tied to fields, values kept, passwords not', async () => {
    const html = await page('accept-errors');
    expect(html).toContain('<title>Error: Join Acme · Gatehouse</title>');
    expect(html).toContain('role="alert"');
    expect(html).toContain('<a href="#password">Use at least 12 characters.</a>');
    expect(html).toContain('<a href="#password_confirm">The passwords do not match.</a>');
    expect(html).toMatch(/id="first_name"[^>]* value="Grace"/);
    expect(html).toMatch(/id="password"[^>]* aria-describedby="password-hint password-error" aria-invalid="true">/);
    expect(html).toMatch(/id="password_confirm"[^>]* autofocus aria-describedby="password_confirm-error" aria-invalid="true">|id="password"[^>]* autofocus/);
    expect(html).toContain('invited as a member');
  });

  it('console/home: who is signed in, of which organization, and Sign out', async () => {
    const html = await page('console');
    expect(html).toContain('<h1>Welcome, Ada Lovelace</h1>');
    expect(html).toContain('You are an administrator of <strong>Acme</strong>.');
    expect(html).toContain('ada@acme.com');
    // The navigation says which section is open.
    expect(html).toContain('<a class="console-nav__link" href="/console/users" aria-current="page">Users</a>');
    // Sign-out is a POST form with the CSRF field (a link would let any site sign the admin out).
    expect(html).toMatch(/<form method="post" action="\/console\/logout"[^>]*>\s*<input type="hidden" name="_csrf" value="[^"]+">\s*<button type="submit" class="button button--secondary button--small">Sign out<\/button>/);
    // The console passes the email as the name when there is none: no "Welcome, ada@acme.com".
    const noName = await page('console-no-name');
    expect(noName).toContain('<h1>Welcome</h1>');
    expect(html).toMatch(/<header class="topbar">/);
  });

  it('error: status, title, message and the reference', async () => {
    const html = await page('error');
    expect(html).toContain('<h1>Page not found</h1>');
    expect(html).toContain('Error 404');
    expect(html).toContain('Nothing lives here.');
    expect(html).toContain('Reference: <code>req_abc</code>');
  });

  it('escapes every value: no markup from context reaches the page', async () => {
    const html = await page('xss', { markupFromContext: true });
    expect(html).toContain('to continue to &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"');
    expect(html).toContain('&lt;b&gt;bold&lt;/b&gt;');
    const console = await page('xss-console', { markupFromContext: true });
    expect(console).toContain('Welcome, &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(console).toContain('A &amp; B &lt;i&gt;');
    expect(console).toContain('&lt;b&gt;done&lt;/b&gt;');
  });

  it('render takes a status', async () => {
    const res = await client.get('/page/email-error?status=422').expect(422);
    expect(res.text).toContain('Enter a valid email address.');
  });
});

describe('error page', () => {
  const { http: client } = buildApp('production');

  it('renders errorHandler answers for browsers with the request reference', async () => {
    const res = await client.get('/nowhere').set('Accept', 'text/html').expect(404);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.text).toContain('<h1>We could not do that</h1>');
    expect(res.text).toContain('Nothing lives at GET /nowhere.');
    expect(res.text).toContain('Reference: <code>req_test_0001</code>');
    expect(h1s(res.text)).toBe(1);
  });

  it('a refused form shows the CSRF message as a page', async () => {
    const res = await client.post('/form').set('Accept', 'text/html').type('form').send({ name: 'x' }).expect(403);
    expect(res.text).toContain('This form expired or was not sent from this site. Go back, reload the page and try again.');
    expect(res.text).toContain('Error 403');
  });
});

describe('CSRF', () => {
  const { http: client } = buildApp('production');

  async function tokenPair() {
    const res = await client.get('/page/email').expect(200);
    const setCookie = csrfCookie(res)!;
    return { cookie: cookieValue(setCookie), token: csrfFromHtml(res.text)! };
  }

  it('the cookie is HttpOnly, SameSite=Lax, Path=/ and Secure in production', async () => {
    const res = await client.get('/page/email').expect(200);
    expect(csrfCookie(res)).toMatch(/^gh_csrf=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Secure$/);
  });

  it('the cookie is not Secure in development', async () => {
    const dev = buildApp('development');
    const res = await dev.http.get('/page/email').expect(200);
    expect(csrfCookie(res)).toMatch(/^gh_csrf=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
  });

  it('the form field is HMAC-SHA256(key, cookie) in base64url', async () => {
    const { cookie, token } = await tokenPair();
    expect(token).toBe(createHmac('sha256', KEY).update(cookie).digest('base64url'));
  });

  it('keeps a well-formed cookie and replaces a malformed one', async () => {
    const { cookie, token } = await tokenPair();
    const again = await client.get('/page/email').set('Cookie', `gh_csrf=${cookie}`).expect(200);
    expect(csrfCookie(again)).toBeUndefined();
    expect(csrfFromHtml(again.text)).toBe(token);
    const bad = await client.get('/page/email').set('Cookie', 'gh_csrf=short').expect(200);
    expect(csrfCookie(bad)).toMatch(/^gh_csrf=[A-Za-z0-9_-]{43};/);
  });

  it('a page without a form still works (the error page sets no cookie)', async () => {
    const res = await client.get('/nowhere').set('Accept', 'text/html').expect(404);
    expect(csrfCookie(res)).toBeUndefined();
  });

  const refused = (res: supertest.Response) => {
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body.title).toBe('csrf_failed');
    expect(res.body.detail).toBe('This form expired or was not sent from this site. Go back, reload the page and try again.');
  };

  it('a POST without cookie and field is 403 csrf_failed', async () => {
    refused(await client.post('/form').type('form').send({ email: 'a@b.c' }));
  });

  it('a POST with the field but no cookie is 403', async () => {
    const { token } = await tokenPair();
    refused(await client.post('/form').type('form').send({ _csrf: token }));
  });

  it('a POST with the cookie but no field is 403', async () => {
    const { cookie } = await tokenPair();
    refused(await client.post('/form').set('Cookie', `gh_csrf=${cookie}`).type('form').send({ email: 'a@b.c' }));
  });

  it('a forged field is 403: random, signed with another key, the cookie itself, or another cookie\'s token', async () => {
    const { cookie } = await tokenPair();
    const other = await tokenPair();
    const forged = [
      randomBytes(32).toString('base64url'),
      createHmac('sha256', Buffer.alloc(32, 8)).update(cookie).digest('base64url'),
      cookie,
      other.token,
      `${createHmac('sha256', KEY).update(cookie).digest('base64url')}x`,
      createHmac('sha256', KEY).update(cookie).digest('base64'),
    ];
    for (const field of forged) {
      refused(await client.post('/form').set('Cookie', `gh_csrf=${cookie}`).type('form').send({ _csrf: field }));
    }
    // A repeated field arrives as an array: refused, not coerced.
    const { token } = await tokenPair();
    refused(await client.post('/form').set('Cookie', `gh_csrf=${cookie}`).type('form').send(`_csrf=${token}&_csrf=${token}`));
  });

  it('a POST with a JSON body instead of a form is 403', async () => {
    const { cookie, token } = await tokenPair();
    refused(await client.post('/form').set('Cookie', `gh_csrf=${cookie}`).send({ _csrf: token }));
  });

  it('the right pair passes and the fields are parsed', async () => {
    const { cookie, token } = await tokenPair();
    const res = await client.post('/form').set('Cookie', `gh_csrf=${cookie}`).type('form').send({ _csrf: token, email: 'ada@acme.com' }).expect(200);
    expect(res.body).toEqual({ ok: true, fields: { _csrf: token, email: 'ada@acme.com' } });
  });

  it('a pair made in development passes in production (same key): the cookie is not bound to the mode', async () => {
    const dev = buildApp('development');
    const res = await dev.http.get('/page/email');
    const cookie = cookieValue(csrfCookie(res)!);
    await client.post('/form').set('Cookie', `gh_csrf=${cookie}`).type('form').send({ _csrf: csrfFromHtml(res.text)! }).expect(200);
  });

  it('GET requests pass verifyCsrf untouched', async () => {
    await client.get('/form').expect(200, { ok: true });
  });
});

describe('form bodies', () => {
  const { http: client } = buildApp('production');

  it('a form body over 20 kB is refused with 413 payload_too_large', async () => {
    const res = await client.post('/form').type('form').send(`note=${'a'.repeat(21 * 1024)}`);
    expect(res.status).toBe(413);
    expect(res.body.title).toBe('payload_too_large');
  });

  it('a form body just under 20 kB is read', async () => {
    const page = await client.get('/page/email');
    const cookie = cookieValue(csrfCookie(page)!);
    const token = csrfFromHtml(page.text)!;
    const res = await client.post('/form').set('Cookie', `gh_csrf=${cookie}`).type('form').send(`_csrf=${token}&note=${'a'.repeat(19 * 1024)}`).expect(200);
    expect(res.body.fields.note).toHaveLength(19 * 1024);
  });

  it('a body that cannot be read is a clear 400 malformed_body', async () => {
    // Declared gzip, but not gzip: the inflater fails while reading.
    const res = await client.post('/form').set('Content-Type', 'application/x-www-form-urlencoded').set('Content-Encoding', 'gzip').send('_csrf=x&a=b');
    expect(res.status).toBe(400);
    expect(res.body.title).toBe('malformed_body');
    expect(res.body.detail).toBe('This form could not be read. Go back, reload the page and try again.');
  });

  it('an unknown content encoding is 415', async () => {
    const res = await client.post('/form').set('Content-Type', 'application/x-www-form-urlencoded').set('Content-Encoding', 'compress').send('a=b');
    expect(res.status).toBe(415);
    expect(res.body.title).toBe('unsupported_encoding');
  });
});

describe('assets', () => {
  let server: http.Server;
  let port: number;
  let pages: Pages;
  const { http: client } = buildApp('production');

  beforeAll(async () => {
    const built = buildApp('production');
    pages = built.pages;
    server = http.createServer(built.app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** A raw request: the path goes out byte for byte, with no client-side normalisation of `..`. */
  function raw(rawPath: string, method = 'GET') {
    return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method, path: rawPath, headers: { accept: 'application/json' } }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('serves the stylesheet as text/css with an hour of public caching', async () => {
    const res = await client.get('/assets/gatehouse.css').expect(200);
    expect(res.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(res.headers['cache-control']).toBe('public, max-age=3600');
    expect(res.text).toBe(fs.readFileSync(path.join(ASSETS, 'gatehouse.css'), 'utf8'));
    expect(res.headers.etag).toBeTruthy();
  });

  it('answers HEAD with the length and no body, and a conditional GET with 304', async () => {
    const head = await raw('/assets/gatehouse.css', 'HEAD');
    expect(head.status).toBe(200);
    expect(Number(head.headers['content-length'])).toBe(fs.statSync(path.join(ASSETS, 'gatehouse.css')).size);
    expect(head.body).toBe('');
    const first = await client.get('/assets/gatehouse.css');
    await client.get('/assets/gatehouse.css').set('If-None-Match', first.headers.etag!).expect(304);
  });

  it('the query string (cache buster) is ignored', async () => {
    await client.get('/assets/gatehouse.css?v=0123456789').expect(200).expect('content-type', 'text/css; charset=utf-8');
  });

  it('only reads: POST is 405 with Allow', async () => {
    const res = await client.post('/assets/gatehouse.css').expect(405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });

  it.each([
    '/assets/../package.json',
    '/assets/%2e%2e/package.json',
    '/assets/%2E%2E/package.json',
    '/assets/..%2fpackage.json',
    '/assets/..%2Fpackage.json',
    '/assets/%2e%2e%2fpackage.json',
    '/assets/.%2e/package.json',
    '/assets/..%5cpackage.json',
    '/assets/..\\package.json',
    '/assets/%252e%252e%252fpackage.json',
    '/assets/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '/assets//etc/passwd',
    '/assets/%2fetc%2fpasswd',
    '/assets/gatehouse.css%00.png',
    '/assets/%',
    '/assets/',
    '/assets/.gitignore',
    '/assets/nothing.css',
  ])('refuses %s with 404', async (rawPath) => {
    const res = await raw(rawPath);
    expect(res.status).toBe(404);
    expect(res.body).not.toContain('"devDependencies"');
    expect(res.body).not.toContain('root:');
  });

  it('refuses a symlink that leads out of the assets folder', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-assets-'));
    try {
      fs.writeFileSync(path.join(dir, 'ok.css'), 'body{}');
      fs.symlinkSync(path.join(ROOT_DIR, 'package.json'), path.join(dir, 'escape.css'));
      const { http: other } = buildApp('production', { assetsDir: dir });
      await other.get('/assets/ok.css').expect(200).expect('content-type', 'text/css; charset=utf-8');
      await other.get('/assets/escape.css').expect(404);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves other paths to the next middleware', async () => {
    expect(pages.assets).toBeTypeOf('function');
    await client.get('/assetsfoo').set('Accept', 'application/json').expect(404);
    await client.get('/page/email').expect(200);
  });
});
