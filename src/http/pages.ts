import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Middleware } from 'koa';
import nunjucks from 'nunjucks';
import type { ErrorPageRenderer } from './error-handler.ts';
import { AppError } from './errors.ts';
import { formatDate, formatTime } from './time-format.ts';

export interface PagesOptions {
  /** Folder of nunjucks templates (the repo's views/). */
  viewsDir: string;
  /** Folder served at /assets/* (the repo's assets/). */
  assetsDir: string;
  /** development: templates reload on every render, cookies lose `Secure`. */
  mode: 'production' | 'development';
  /** HMAC key for CSRF tokens (derive it from the master key; 32 bytes). */
  csrfKey: Buffer;
}

export interface Pages {
  /** Renders views/<template> into ctx.body as text/html, with `csrf` (the form token) added to the context. */
  render(ctx: Context, template: string, context?: Record<string, unknown>, status?: number): void;
  /** Parses application/x-www-form-urlencoded bodies (20 kB at most) into ctx.request.body. */
  formBody: Middleware;
  /** Refuses a POST (PUT, PATCH, DELETE) whose `_csrf` field does not match the `gh_csrf` cookie. Mount after formBody. */
  verifyCsrf: Middleware;
  /** For errorHandler(): renders views/error.njk. */
  errorPage: ErrorPageRenderer;
  /** Serves files under assetsDir at /assets/*; passes other paths on. */
  assets: Middleware;
}

export const CSRF_COOKIE = 'gh_csrf';
export const CSRF_FIELD = '_csrf';
const FORM_LIMIT = '20kb';
const ASSET_PREFIX = '/assets/';
/** 32 random bytes or a 32-byte HMAC, base64url without padding. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const CONTENT_TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
};

/**
 * The server-rendered pages toolkit: templates, form bodies, CSRF, the error page and static assets.
 * One nunjucks Environment per call, so two apps in one process (tests) never share template state.
 */
export function createPages(options: PagesOptions): Pages {
  const development = options.mode === 'development';
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(options.viewsDir, { noCache: development }), {
    autoescape: true,
    trimBlocks: true,
    lstripBlocks: true,
  });
  const assetsRoot = fs.realpathSync(options.assetsDir);
  const assetVersions = new Map<string, string>();
  // Stylesheet links carry a content hash, so an hour of caching never serves a stale file after an upgrade.
  env.addGlobal('asset', (name: string) => {
    let version = development ? undefined : assetVersions.get(name);
    if (version === undefined) {
      try {
        version = createHash('sha256').update(fs.readFileSync(path.join(assetsRoot, name))).digest('hex').slice(0, 10);
      } catch {
        version = '0';
      }
      assetVersions.set(name, version);
    }
    return `${ASSET_PREFIX}${name}?v=${version}`;
  });

  // ISO timestamps on pages: `{{ at | datetime }}` -> "1 Dec 2026, 09:00 UTC", `{{ at | date }}` -> "1 Dec 2026".
  env.addFilter('datetime', (iso: unknown) => (typeof iso === 'string' && iso ? formatTime(iso) : ''));
  env.addFilter('date', (iso: unknown) => (typeof iso === 'string' && iso ? formatDate(iso) : ''));

  const sign = (value: string) => createHmac('sha256', options.csrfKey).update(value).digest();

  /**
   * A request may bind its form tokens to a secret of its own instead of the gh_csrf cookie, by setting
   * `ctx.state.csrfBinding` before render and verifyCsrf run. The setup wizard binds them to its session:
   * framed by the app on another site, the browser sends the SameSite=None session cookie but never the
   * Lax gh_csrf one.
   */
  const binding = (ctx: Context): string | undefined => (typeof ctx.state.csrfBinding === 'string' && ctx.state.csrfBinding ? ctx.state.csrfBinding : undefined);

  /** The cookie value of this request: the browser's when well formed, else a new one set on the answer. */
  const issued = new WeakMap<Context, string>();
  function csrfCookie(ctx: Context): string {
    const known = issued.get(ctx) ?? ctx.cookies.get(CSRF_COOKIE, { signed: false });
    if (known && TOKEN_SHAPE.test(known)) return known;
    const value = randomBytes(32).toString('base64url');
    // Written by hand rather than with ctx.cookies.set: `cookies` refuses Secure on a request it thinks is
    // plain http, which is every request behind a TLS proxy that Koa is not told to trust.
    ctx.append('Set-Cookie', `${CSRF_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax${development ? '' : '; Secure'}`);
    issued.set(ctx, value);
    return value;
  }

  function render(ctx: Context, template: string, context: Record<string, unknown> = {}, status = 200): void {
    const csrf = sign(binding(ctx) ?? csrfCookie(ctx)).toString('base64url');
    const html = env.render(template, { ...context, csrf });
    ctx.status = status;
    ctx.type = 'text/html';
    // Pages carry form tokens and personal data: never stored by a shared or browser cache.
    ctx.set('Cache-Control', 'no-store');
    ctx.body = html;
  }

  const parseForm = bodyParser({
    enableTypes: ['form'],
    formLimit: FORM_LIMIT,
    onError(err) {
      const e = err as { status?: number; type?: string };
      if (e.status === 413 || e.type === 'entity.too.large') {
        throw new AppError(413, 'payload_too_large', 'This form is larger than Gatehouse accepts (20 kB).', { cause: err });
      }
      if (e.status === 415) throw new AppError(415, 'unsupported_encoding', 'This form was sent with an encoding Gatehouse does not accept.', { cause: err });
      throw new AppError(400, 'malformed_body', 'This form could not be read. Go back, reload the page and try again.', { cause: err });
    },
  });
  const formBody: Middleware = (ctx, next) => parseForm(ctx, next);

  const verifyCsrf: Middleware = async (ctx, next) => {
    if (SAFE_METHODS.has(ctx.method)) return next();
    const bound = binding(ctx);
    const cookie = bound ?? ctx.cookies.get(CSRF_COOKIE, { signed: false });
    const body = ctx.request.body as Record<string, unknown> | undefined;
    const field = body?.[CSRF_FIELD];
    if (!cookie || (!bound && !TOKEN_SHAPE.test(cookie)) || typeof field !== 'string' || !TOKEN_SHAPE.test(field)
      || !timingSafeEqual(sign(cookie), Buffer.from(field, 'base64url'))) {
      throw new AppError(403, 'csrf_failed', 'This form expired or was not sent from this site. Go back, reload the page and try again.', {
        detail: !cookie ? 'no csrf cookie' : typeof field !== 'string' ? 'no csrf field' : 'csrf token mismatch',
      });
    }
    await next();
  };

  const errorPage: ErrorPageRenderer = (ctx, page) => {
    let html: string;
    try {
      html = env.render('error.njk', page);
    } catch (err) {
      // A broken template must not hide the original error: fall back to a bare page.
      ctx.state.log?.error({ err }, 'error page template failed');
      const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
      html = `<!doctype html><html lang="en"><meta charset="utf-8"><title>${escape(page.title)}</title><main><h1>${escape(page.title)}</h1><p>${escape(page.message)}</p><p>Reference: ${escape(page.reference)}</p></main></html>`;
    }
    ctx.status = page.status;
    ctx.type = 'text/html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = html;
  };

  const assets: Middleware = async (ctx, next) => {
    if (!ctx.path.startsWith(ASSET_PREFIX)) return next();
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      throw new AppError(405, 'method_not_allowed', 'Assets can only be read.', { headers: { Allow: 'GET, HEAD' } });
    }
    const file = await resolveAsset(assetsRoot, ctx.path.slice(ASSET_PREFIX.length));
    if (!file) throw new AppError(404, 'not_found', 'No such asset.');
    ctx.status = 200;
    ctx.type = CONTENT_TYPES[path.extname(file.path).toLowerCase()] ?? 'application/octet-stream';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.lastModified = file.mtime;
    ctx.etag = `W/"${file.size.toString(16)}-${file.mtime.getTime().toString(16)}"`;
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    // Assets are a stylesheet and a few small files: a buffer is simpler than a stream and serves HEAD too.
    ctx.body = await fs.promises.readFile(file.path);
  };

  return { render, formBody, verifyCsrf, errorPage, assets };
}

/**
 * The file a request path names inside root, or undefined. Refuses anything that could leave the folder
 * or reach a hidden file: `..` and `.name` segments (also percent-encoded), backslashes, NUL, and symlinks
 * that point outside.
 */
async function resolveAsset(root: string, requested: string): Promise<{ path: string; size: number; mtime: Date } | undefined> {
  let relative: string;
  try {
    relative = decodeURIComponent(requested);
  } catch {
    return undefined;
  }
  if (!relative || relative.includes('\0') || relative.includes('\\')) return undefined;
  const segments = relative.split('/');
  if (segments.some((s) => s === '' || s.startsWith('.'))) return undefined;
  const candidate = path.join(root, ...segments);
  try {
    const real = await fs.promises.realpath(candidate);
    if (!real.startsWith(root + path.sep)) return undefined;
    const stat = await fs.promises.stat(real);
    return stat.isFile() ? { path: real, size: stat.size, mtime: stat.mtime } : undefined;
  } catch {
    return undefined;
  }
}
