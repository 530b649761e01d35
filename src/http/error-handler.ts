import type { Context, Middleware } from 'koa';
import { AppError } from './errors.ts';

/** Renders an HTML error page; supplied by the app once views exist (pages arrive with sign-in). */
export type ErrorPageRenderer = (ctx: Context, page: { status: number; title: string; message: string; reference: string }) => void;

function plainPage(ctx: Context, page: { status: number; title: string; message: string; reference: string }): void {
  const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  ctx.type = 'text/html';
  ctx.body = `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escape(page.title)}</title><main><h1>${escape(page.title)}</h1><p>${escape(page.message)}</p><p>Reference: <code>${escape(page.reference)}</code></p></main></html>`;
}

function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = err as { status?: number; expose?: boolean; message?: string; type?: string };
  // Errors raised by Koa's body parser and friends (http-errors) carry status and expose.
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && e.expose) {
    const code = e.type === 'entity.too.large' ? 'payload_too_large' : e.type === 'entity.parse.failed' ? 'malformed_body' : 'bad_request';
    const message = code === 'malformed_body' ? 'The request body is not valid JSON.' : (e.message ?? 'Bad request.');
    return new AppError(e.status, code, message, { cause: err });
  }
  return new AppError(500, 'internal_error', 'Something went wrong on our side.', { cause: err });
}

/**
 * The one fallback handler: problem+json for API callers, an HTML page for browsers. Other protocols
 * (SCIM, the OIDC provider) map their errors before this sees them.
 */
export function errorHandler(renderPage: ErrorPageRenderer = plainPage): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new AppError(404, 'not_found', `Nothing lives at ${ctx.method} ${ctx.path}.`);
    } catch (err) {
      const error = toAppError(err);
      const reference: string = ctx.state.requestId ?? 'unknown';
      const log = ctx.state.log;
      if (error.status >= 500) log?.error({ err: error.cause ?? error, reference }, 'unhandled error');
      else log?.info({ code: error.code, detail: error.detail, reference }, error.message);
      ctx.status = error.status;
      for (const [name, value] of Object.entries(error.headers)) ctx.set(name, value);
      const wantsHtml = ctx.accepts('json', 'html') === 'html' && !ctx.path.startsWith('/api/');
      if (wantsHtml) {
        renderPage(ctx, { status: error.status, title: error.status >= 500 ? 'Something went wrong' : 'We could not do that', message: error.message, reference });
        return;
      }
      ctx.type = 'application/problem+json';
      ctx.body = {
        type: `https://gatehouse.dev/problems/${error.code}`,
        title: error.code,
        status: error.status,
        detail: error.message,
        ...(error.errors.length ? { errors: error.errors } : {}),
        reference,
      };
    }
  };
}
