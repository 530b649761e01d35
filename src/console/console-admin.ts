import type { Context } from 'koa';
import type { Call, ServiceContext } from '../context.ts';
import type { Membership, Organization } from '../db/schema.ts';
import { notFound } from '../http/errors.ts';

/** The signed-in org admin of a console request (set by the console's `requireAdmin`). */
export interface ConsoleAdmin {
  user: { id: string; email: string; name: string };
  organization: Organization;
  membership: Membership;
}

export const adminOf = (ctx: Context): ConsoleAdmin => ctx.state.console as ConsoleAdmin;

/** A service call made by this admin: events name the user who made the change. */
export const adminCall = (ctx: Context, service: ServiceContext): Call => ({ ctx: service, actor: { type: 'user', id: adminOf(ctx).user.id } });

/**
 * Every id in a console URL or form is checked against the admin's own org before anything reads or
 * changes it: another org's row answers exactly like a missing one, so ids of other orgs leak nothing.
 */
export function ownedBy<T extends { organization_id: string }>(ctx: Context, row: T | undefined, resource: string, id: string): T {
  if (!row || row.organization_id !== adminOf(ctx).organization.id) throw notFound(resource, id);
  return row;
}

/** A form field as one trimmed string ('' when absent or repeated). */
export function formField(ctx: Context, name: string): string {
  const value = (ctx.request.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value.trim() : '';
}

/** A query parameter as one trimmed string ('' when absent or repeated). */
export function queryField(ctx: Context, name: string): string {
  const value = ctx.query[name];
  return typeof value === 'string' ? value.trim() : '';
}
