import type { Call } from '../context.ts';
import type { Clock } from '../clock.ts';
import { newId } from '../crypto/ids.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import { issueToken, tokenLookup, tokenMatches } from '../crypto/tokens.ts';
import type { Executor } from '../db/database.ts';
import type { LoginTicket, UpstreamPurpose } from '../db/schema.ts';
import type { Profile } from './attribute-mapping.ts';

/**
 * How an upstream sign-in (SAML ACS, OIDC callback) hands its verified profile to whoever asked for it
 * (DESIGN.md Layout): a single-use ticket, bound to the sign-in interaction that started it, or, for an
 * IdP-initiated sign-in, to the browser (its token in a cookie) and the client that will be sent there.
 * `sso/` never imports the provider; the provider consumes the ticket.
 */
export const TICKET_KIND = 'glt';
export const TICKET_TTL_MS = 5 * 60_000;

/** What the ticket carries: the mapped profile and, for a test sign-in, everything the IdP sent. */
export interface TicketProfile extends Profile {
  attributes: Record<string, string[]>;
  nameIdFormat: string | null;
}

/**
 * The version of the sealed profile. 2 tells "no groups attribute" (`groups: null`) from "in no group"
 * (`[]`); tickets sealed before it carry no version and always an array, where [] meant either, so
 * their [] reads as null, the reading that leaves mapped access alone. A ticket lives minutes: old ones
 * need reading, not migrating.
 */
const PROFILE_VERSION = 2;

function readProfile(json: string): TicketProfile {
  const { v, ...profile } = JSON.parse(json) as TicketProfile & { v?: number };
  return v === undefined && profile.groups?.length === 0 ? { ...profile, groups: null } : profile;
}

export interface IssuedTicket {
  id: string;
  token: string;
}

export async function issueLoginTicket(
  db: Executor,
  { ctx }: Call,
  input: { connectionId: string; organizationId: string; purpose: UpstreamPurpose; interactionUid: string | null; clientId: string | null; profile: TicketProfile },
): Promise<IssuedTicket> {
  const token = issueToken(TICKET_KIND);
  const id = newId('tkt');
  const now = ctx.clock.now();
  await db
    .insertInto('login_tickets')
    .values({
      id,
      token_lookup: token.lookup,
      token_hash: token.hash,
      connection_id: input.connectionId,
      organization_id: input.organizationId,
      purpose: input.purpose,
      interaction_uid: input.interactionUid,
      client_id: input.clientId,
      profile_sealed: ctx.box.seal(JSON.stringify({ v: PROFILE_VERSION, ...input.profile }), `login-ticket:${id}`),
      expires_at: new Date(now.getTime() + TICKET_TTL_MS).toISOString(),
      consumed_at: null,
      created_at: now.toISOString(),
    })
    .execute();
  return { id, token: token.token };
}

export interface ConsumedTicket {
  ticket: LoginTicket;
  profile: TicketProfile;
}

/** The newest unconsumed, unexpired ticket of a sign-in interaction, consumed now. */
export async function consumeInteractionTicket(db: Executor, clock: Clock, box: SecretBox, interactionUid: string): Promise<ConsumedTicket | undefined> {
  const ticket = await db
    .selectFrom('login_tickets')
    .selectAll()
    .where('interaction_uid', '=', interactionUid)
    .where('consumed_at', 'is', null)
    .where('expires_at', '>', clock.now().toISOString())
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return ticket ? consume(db, clock, box, ticket) : undefined;
}

/**
 * Where a test sign-in (the setup wizard's) ends, accepted or refused: the wizard shows what arrived or
 * what failed. A path rather than an import, since sso/ never imports portal/ (DESIGN.md Layout).
 */
export function testResultPath(result: { ticketId: string } | { reference: string }): string {
  const query = 'ticketId' in result ? `ticket=${encodeURIComponent(result.ticketId)}` : `reference=${encodeURIComponent(result.reference)}`;
  return `/portal/sso/test-result?${query}`;
}

/**
 * A test sign-in's ticket by its id, consumed now, when it belongs to this org (idor check: the caller's
 * org, never the one in the URL) and is a test ticket, unconsumed and unexpired. It provisions nobody.
 */
export async function consumeTestTicket(db: Executor, clock: Clock, box: SecretBox, id: string, organizationId: string): Promise<ConsumedTicket | undefined> {
  const ticket = await db
    .selectFrom('login_tickets')
    .selectAll()
    .where('id', '=', id)
    .where('organization_id', '=', organizationId)
    .where('purpose', '=', 'test')
    .where('consumed_at', 'is', null)
    .where('expires_at', '>', clock.now().toISOString())
    .executeTakeFirst();
  return ticket ? consume(db, clock, box, ticket) : undefined;
}

/** The ticket a token names (IdP-initiated: from the browser's cookie), consumed now; compared in constant time. */
export async function consumeTicketByToken(db: Executor, clock: Clock, box: SecretBox, token: string, purpose: UpstreamPurpose = 'sign_in'): Promise<ConsumedTicket | undefined> {
  const lookup = tokenLookup(TICKET_KIND, token);
  if (!lookup) return undefined;
  const ticket = await db.selectFrom('login_tickets').selectAll().where('token_lookup', '=', lookup).executeTakeFirst();
  if (!ticket || !tokenMatches(token, ticket.token_hash) || ticket.purpose !== purpose) return undefined;
  if (ticket.consumed_at !== null || ticket.expires_at <= clock.now().toISOString()) return undefined;
  return consume(db, clock, box, ticket);
}

async function consume(db: Executor, clock: Clock, box: SecretBox, ticket: LoginTicket): Promise<ConsumedTicket | undefined> {
  const now = clock.now().toISOString();
  // Only one consumer wins, even when two requests race for the same ticket.
  const done = await db.updateTable('login_tickets').set({ consumed_at: now }).where('id', '=', ticket.id).where('consumed_at', 'is', null).executeTakeFirst();
  if (Number(done.numUpdatedRows) !== 1) return undefined;
  return { ticket: { ...ticket, consumed_at: now }, profile: readProfile(box.open(ticket.profile_sealed, `login-ticket:${ticket.id}`)) };
}

/** Expired tickets, answered or not, go: they hold personal data. */
export async function purgeExpiredTickets(db: Executor, clock: Clock): Promise<number> {
  const result = await db.deleteFrom('login_tickets').where('expires_at', '<=', clock.now().toISOString()).executeTakeFirst();
  return Number(result.numDeletedRows);
}
