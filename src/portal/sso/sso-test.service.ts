import { sql } from 'kysely';
import type { Call } from '../../context.ts';
import type { Executor } from '../../db/database.ts';
import { escapeLike } from '../../db/like.ts';
import type { Connection } from '../../db/schema.ts';
import { recordEvent } from '../../events/activity.ts';
import type { EventType, SsoSignInFailure } from '../../events/catalogue.ts';
import { emailDomain } from '../../orgs/domain-name.ts';
import { consumeTestTicket, type TicketProfile } from '../../sso/login-tickets.ts';

/**
 * The wizard's test sign-in (DESIGN.md Setup wizard): the IdP's answer comes back through the real ACS or
 * callback as a test ticket (accepted) or an `sso.signin_failed` event (refused); nobody is signed in or
 * created. A success is recorded as `connection.test_succeeded`, which activation asks for.
 */

/** The org's events about one connection, newest first (events carry the connection id in their data). */
export function connectionEvents(db: Executor, connection: Pick<Connection, 'id' | 'organization_id'>, types: EventType[]) {
  return db
    .selectFrom('events')
    .where('organization_id', '=', connection.organization_id)
    .where('type', 'in', types)
    .where(sql<boolean>`data like ${`%"connection_id":"${escapeLike(connection.id)}"%`} escape '\\'`)
    .orderBy('id', 'desc');
}

export interface TestSuccess {
  connection: Connection;
  profile: TicketProfile;
  /** The email's domain is not verified by the org: real sign-ins with it would be refused. */
  domainVerified: boolean;
}

/**
 * The result of a test sign-in by its ticket id: only the session org's, once (the ticket is consumed).
 * Undefined when it is unknown, another org's, already shown or expired.
 */
export async function takeTestSuccess(db: Executor, call: Call, organizationId: string, ticketId: string): Promise<TestSuccess | undefined> {
  const consumed = await consumeTestTicket(db, call.ctx.clock, call.ctx.box, ticketId, organizationId);
  if (!consumed) return undefined;
  const connection = await db.selectFrom('connections').selectAll().where('id', '=', consumed.ticket.connection_id).where('organization_id', '=', organizationId).executeTakeFirst();
  if (!connection) return undefined;
  const { profile } = consumed;
  await recordEvent(db, call.ctx.clock, { type: 'connection.test_succeeded', organizationId, actor: call.actor, data: { connection_id: connection.id, email: profile.email } });
  const domain = await db.selectFrom('domains').select('id').where('organization_id', '=', organizationId).where('domain', '=', emailDomain(profile.email)).where('state', '=', 'verified').executeTakeFirst();
  return { connection, profile, domainVerified: domain !== undefined };
}

export interface TestFailure {
  connection: Connection;
  failure: SsoSignInFailure;
  at: string;
}

/** A refused test sign-in by the reference its page was given, only among the session org's events. */
export async function findTestFailure(db: Executor, organizationId: string, reference: string): Promise<TestFailure | undefined> {
  const rows = await db
    .selectFrom('events')
    .select(['data', 'created_at'])
    .where('organization_id', '=', organizationId)
    .where('type', '=', 'sso.signin_failed')
    .where(sql<boolean>`data like ${`%"reference":"${escapeLike(reference)}"%`} escape '\\'`)
    .orderBy('id', 'desc')
    .limit(5)
    .execute();
  for (const row of rows) {
    const failure = JSON.parse(row.data) as SsoSignInFailure;
    if (failure.reference !== reference) continue;
    const connection = await db.selectFrom('connections').selectAll().where('id', '=', failure.connection_id).where('organization_id', '=', organizationId).executeTakeFirst();
    if (connection) return { connection, failure, at: row.created_at };
  }
  return undefined;
}

/**
 * The latest successful test of the connection's current settings: one recorded since its last change
 * (a change to the IdP settings, the provider or the attribute names needs a new test).
 */
export async function lastSuccessfulTest(db: Executor, connection: Connection): Promise<{ at: string; email: string } | undefined> {
  const row = await connectionEvents(db, connection, ['connection.test_succeeded'])
    .select(['data', 'created_at'])
    .where('created_at', '>=', connection.updated_at)
    .limit(1)
    .executeTakeFirst();
  return row ? { at: row.created_at, email: (JSON.parse(row.data) as { email: string }).email } : undefined;
}
