import type { Call } from '../../context.ts';
import type { Executor } from '../../db/database.ts';
import { recordEvent } from '../../events/activity.ts';
import { hitRateLimit } from '../../http/rate-limit.ts';
import { enqueueMail } from '../../mail/outbox.ts';
import { getOrganization } from '../../orgs/organizations.service.ts';
import { formatTime } from '../portal-format.ts';
import { createPortalLink } from '../portal-links.service.ts';
import { INTENT_TITLES, type PortalState } from '../portal.router.ts';

/** A mailed link waits in an inbox: it can be opened for three days, not PORTAL_LINK_TTL. */
export const MAILED_LINK_TTL_MS = 72 * 60 * 60_000;
/** Hand-overs one portal session may send per hour (a session is a bearer secret: bound what it can mail). */
export const HANDOVERS_PER_HOUR = 10;

export type HandoverResult = { outcome: 'sent'; email: string; expiresAt: string } | { outcome: 'rate_limited'; retryAfterSeconds: number };

/**
 * Sends a colleague a fresh link for the session's intent: a new link (opens once, within 72 hours) in
 * a mail written to the outbox in this transaction and sent after commit, and a `portal_link.sent` event.
 * The new link carries no return_url: the colleague opens it from the mail, not from the app.
 */
export async function handOver(db: Executor, call: Call, session: PortalState, email: string): Promise<HandoverResult> {
  const { ctx } = call;
  const limit = await hitRateLimit(db, ctx.clock, `portal-handover:${session.id}`, HANDOVERS_PER_HOUR, 60 * 60_000);
  if (!limit.allowed) return { outcome: 'rate_limited', retryAfterSeconds: limit.retryAfterSeconds };
  const org = await getOrganization(db, session.organization_id);
  const { row, link } = await createPortalLink(db, call, { organizationId: session.organization_id, intent: session.intent, ttlMs: MAILED_LINK_TTL_MS });
  const expiresAt = formatTime(row.expires_at);
  const mail = ctx.templates.render('portal-handover', { organization: org.name, task: INTENT_TITLES[session.intent].toLowerCase(), link, expires_at: expiresAt });
  await enqueueMail(db, ctx.clock, ctx.box, {
    kind: 'portal_handover', organizationId: org.id, to: email, subject: `${INTENT_TITLES[session.intent]} for ${org.name}: your setup link`, ...mail,
  });
  await recordEvent(db, ctx.clock, {
    type: 'portal_link.sent', organizationId: org.id, actor: call.actor, data: { portal_link_id: row.id, intent: row.intent, email, sent_from: session.link_id },
  });
  return { outcome: 'sent', email, expiresAt };
}
