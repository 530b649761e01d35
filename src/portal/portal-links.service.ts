import type { Call } from '../context.ts';
import type { Clock } from '../clock.ts';
import { newId } from '../crypto/ids.ts';
import { issueToken, tokenLookup, tokenMatches } from '../crypto/tokens.ts';
import type { Executor } from '../db/database.ts';
import type { PortalIntent, PortalLink, PortalSession } from '../db/schema.ts';
import { recordEvent } from '../events/activity.ts';
import { AppError, conflict, fieldInvalid, notFound } from '../http/errors.ts';
import { getOrganization } from '../orgs/organizations.service.ts';
import { isLoopbackHost } from '../http/urls.ts';

export const PORTAL_INTENTS = ['sso', 'dsync', 'domain_verification', 'certificate_renewal'] as const satisfies readonly PortalIntent[];
export const LINK_TOKEN_KIND = 'gpl';
export const SESSION_TOKEN_KIND = 'gps';
/** A portal session lasts an hour from the last page the admin opened. */
export const SESSION_TTL_MS = 60 * 60_000;

export interface PortalLinkView {
  id: string;
  organization_id: string;
  intent: PortalIntent;
  /** Only in the answer that created it: the link is a bearer secret, stored as a hash. */
  link?: string;
  expires_at: string;
  opened_at: string | null;
  revoked_at: string | null;
  created_at: string;
}

export const toPortalLinkView = (row: PortalLink): PortalLinkView => ({
  id: row.id, organization_id: row.organization_id, intent: row.intent, expires_at: row.expires_at, opened_at: row.opened_at, revoked_at: row.revoked_at, created_at: row.created_at,
});

/**
 * What an intent needs before a link can be made: `sso` needs the SSO plan, a verified domain (people
 * sign in by their email's domain) and an IT contact (who hears about certificate expiry).
 */
export async function assertIntentReady(db: Executor, organizationId: string, intent: PortalIntent): Promise<void> {
  const org = await getOrganization(db, organizationId);
  if (intent !== 'sso' && intent !== 'certificate_renewal') return;
  if (!org.sso_entitled) throw conflict('sso_not_entitled', `${org.name} is not entitled to single sign-on: set sso_entitled on the organization first.`);
  if (intent === 'certificate_renewal') return;
  const missing: string[] = [];
  const domain = await db.selectFrom('domains').select('id').where('organization_id', '=', organizationId).where('state', '=', 'verified').executeTakeFirst();
  if (!domain) missing.push('a verified domain (people are sent to the IdP by their email\'s domain)');
  const contact = await db.selectFrom('it_contacts').select('id').where('organization_id', '=', organizationId).executeTakeFirst();
  if (!contact) missing.push('an IT contact (who is warned before the IdP\'s certificate expires)');
  if (missing.length > 0) throw new AppError(422, 'sso_not_ready', `Before single sign-on can be set up, ${org.name} needs ${missing.join(' and ')}.`);
}

/**
 * A new link for one org and one intent, openable once within `ttlMs` (PORTAL_LINK_TTL by default; a
 * link sent by mail gets longer). The URL is returned once; only the token's hash is stored.
 */
export async function createPortalLink(
  db: Executor,
  { ctx, actor }: Call,
  input: { organizationId: string; intent: PortalIntent; returnUrl?: string | null; ttlMs?: number },
): Promise<{ row: PortalLink; link: string }> {
  if (!(PORTAL_INTENTS as readonly string[]).includes(input.intent)) {
    throw fieldInvalid('intent', 'unknown_intent', `intent must be one of ${PORTAL_INTENTS.join(', ')}.`);
  }
  await assertIntentReady(db, input.organizationId, input.intent);
  if (input.returnUrl) checkReturnUrl(input.returnUrl, ctx.config.mode);
  const token = issueToken(LINK_TOKEN_KIND);
  const now = ctx.clock.now();
  const row: PortalLink = {
    id: newId('plink'),
    organization_id: input.organizationId,
    intent: input.intent,
    token_lookup: token.lookup,
    token_hash: token.hash,
    return_url: input.returnUrl ?? null,
    expires_at: new Date(now.getTime() + (input.ttlMs ?? ctx.config.portalLinkTtlMs)).toISOString(),
    opened_at: null,
    revoked_at: null,
    created_at: now.toISOString(),
  };
  await db.insertInto('portal_links').values(row).execute();
  await recordEvent(db, ctx.clock, { type: 'portal_link.created', organizationId: input.organizationId, actor, data: { portal_link_id: row.id, intent: row.intent } });
  return { row, link: `${ctx.config.baseUrl}/portal/${token.token}` };
}

function checkReturnUrl(value: string, mode: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw fieldInvalid('return_url', 'invalid_url', 'return_url must be an absolute URL.');
  }
  const loopback = isLoopbackHost(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && (loopback || mode === 'development'))) {
    throw fieldInvalid('return_url', 'insecure_url', 'return_url must be an https URL.');
  }
}

export async function getPortalLink(db: Executor, id: string): Promise<PortalLink> {
  const row = await db.selectFrom('portal_links').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('portal link', id);
  return row;
}

/** Revokes a link and ends the sessions it opened. */
export async function revokePortalLink(db: Executor, { ctx, actor }: Call, id: string): Promise<PortalLink> {
  const row = await getPortalLink(db, id);
  if (row.revoked_at) return row;
  const now = ctx.clock.now().toISOString();
  await db.updateTable('portal_links').set({ revoked_at: now }).where('id', '=', id).execute();
  await db.deleteFrom('portal_sessions').where('link_id', '=', id).execute();
  await recordEvent(db, ctx.clock, { type: 'portal_link.revoked', organizationId: row.organization_id, actor, data: { portal_link_id: id, intent: row.intent } });
  return { ...row, revoked_at: now };
}

export type OpenResult =
  | { ok: true; link: PortalLink; sessionToken: string }
  | { ok: false; reason: 'unknown' | 'spent' | 'expired' | 'revoked'; link?: PortalLink };

/** Opens a link (once): spends it and starts a session for its org and intent. */
export async function openPortalLink(db: Executor, { ctx }: Call, token: string): Promise<OpenResult> {
  const lookup = tokenLookup(LINK_TOKEN_KIND, token);
  const link = lookup ? await db.selectFrom('portal_links').selectAll().where('token_lookup', '=', lookup).executeTakeFirst() : undefined;
  if (!link || !tokenMatches(token, link.token_hash)) return { ok: false, reason: 'unknown' };
  if (link.revoked_at) return { ok: false, reason: 'revoked', link };
  if (link.opened_at) return { ok: false, reason: 'spent', link };
  const now = ctx.clock.now();
  if (link.expires_at <= now.toISOString()) return { ok: false, reason: 'expired', link };
  const spent = await db.updateTable('portal_links').set({ opened_at: now.toISOString() }).where('id', '=', link.id).where('opened_at', 'is', null).executeTakeFirst();
  if (Number(spent.numUpdatedRows) !== 1) return { ok: false, reason: 'spent', link };
  const session = issueToken(SESSION_TOKEN_KIND);
  await db
    .insertInto('portal_sessions')
    .values({
      id: newId('psess'), link_id: link.id, organization_id: link.organization_id, intent: link.intent, token_lookup: session.lookup, token_hash: session.hash,
      expires_at: new Date(now.getTime() + SESSION_TTL_MS).toISOString(), created_at: now.toISOString(),
    })
    .execute();
  await recordEvent(db, ctx.clock, { type: 'portal_link.opened', organizationId: link.organization_id, actor: { type: 'system' }, data: { portal_link_id: link.id, intent: link.intent } });
  return { ok: true, link: { ...link, opened_at: now.toISOString() }, sessionToken: session.token };
}

/** The session a cookie names, still valid; its hour starts again (sliding). */
export async function touchPortalSession(db: Executor, clock: Clock, token: string): Promise<(PortalSession & { return_url: string | null }) | undefined> {
  const lookup = tokenLookup(SESSION_TOKEN_KIND, token);
  if (!lookup) return undefined;
  const session = await db
    .selectFrom('portal_sessions')
    .innerJoin('portal_links', 'portal_links.id', 'portal_sessions.link_id')
    .selectAll('portal_sessions')
    .select('portal_links.return_url')
    .where('portal_sessions.token_lookup', '=', lookup)
    .where('portal_links.revoked_at', 'is', null)
    .executeTakeFirst();
  const now = clock.now();
  if (!session || !tokenMatches(token, session.token_hash) || session.expires_at <= now.toISOString()) return undefined;
  const expires = new Date(now.getTime() + SESSION_TTL_MS).toISOString();
  await db.updateTable('portal_sessions').set({ expires_at: expires }).where('id', '=', session.id).execute();
  return { ...session, expires_at: expires };
}
