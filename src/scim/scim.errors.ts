import type { Middleware } from 'koa';
import { AppError } from '../http/errors.ts';

export const SCIM_CONTENT_TYPE = 'application/scim+json';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

export type ScimType =
  | 'invalidFilter' | 'tooMany' | 'uniqueness' | 'mutability' | 'invalidSyntax' | 'invalidPath'
  | 'noTarget' | 'invalidValue' | 'invalidVers' | 'sensitive';

/** One factory for RFC 7644 §3.12 errors. `reason` is Gatehouse's own code for the activity log. */
export class ScimError extends Error {
  readonly status: number;
  readonly scimType: ScimType | undefined;
  readonly reason: string | undefined;
  constructor(status: number, detail: string, scimType?: ScimType, reason?: string) {
    super(detail);
    this.name = 'ScimError';
    this.status = status;
    this.scimType = scimType;
    this.reason = reason;
  }
}

export const scimNotFound = (resource: 'User' | 'Group', id: string) => new ScimError(404, `${resource} ${id} not found.`);

/**
 * Every error under /scim/v2 answers as a SCIM error with application/scim+json, whatever threw it
 * (our ScimError, the PATCH engine's and filter's errors, body parser limits, or a bug).
 */
export function scimErrorHandler(): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new ScimError(404, `No SCIM endpoint at ${ctx.method} ${ctx.path}.`);
    } catch (err) {
      const e = err as { status?: number; scimType?: ScimType; message?: string; detail?: string; type?: string; expose?: boolean; headers?: Record<string, string> };
      let status = typeof e.status === 'number' && e.status >= 400 && e.status < 600 ? e.status : 500;
      let detail = e.detail ?? e.message ?? 'Error';
      let scimType = e.scimType;
      if (e.type === 'entity.too.large' || status === 413) {
        status = 413;
        detail = 'The request body is too large.';
      } else if (e.type === 'entity.parse.failed' || (err instanceof SyntaxError && status === 400)) {
        status = 400;
        scimType = 'invalidSyntax';
        detail = 'The request body is not valid JSON.';
      } else if (status >= 500) {
        ctx.state.log?.error({ err }, 'SCIM request failed');
        detail = `Something went wrong on our side (reference ${ctx.state.requestId}).`;
      } else if (err instanceof AppError && !e.expose) {
        detail = 'Request refused.';
      }
      if (e.headers) for (const [k, v] of Object.entries(e.headers)) ctx.set(k, v);
      ctx.status = status;
      ctx.type = SCIM_CONTENT_TYPE;
      // RFC 7644 §3.12: status is a string in the error body.
      ctx.body = { schemas: [ERROR_SCHEMA], status: String(status), ...(scimType ? { scimType } : {}), detail };
    }
  };
}
