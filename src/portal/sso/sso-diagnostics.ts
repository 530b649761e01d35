import type { Executor } from '../../db/database.ts';
import type { Connection } from '../../db/schema.ts';
import type { SsoSignInFailure } from '../../events/catalogue.ts';
import { refusalText, type SsoRefusal } from '../../sso/refusals.ts';
import type { ProviderGuide } from '../providers/guide.ts';
import { connectionEvents } from './sso-test.service.ts';
import { formatTime } from './sso-wizard.view.ts';

/**
 * The wizard's diagnostics: the last sign-in attempts through one connection, each with its plain cause
 * and the fix in the IdP's own words (the provider guide's `diagnose`), so an IT admin can fix a refused
 * sign-in without reading logs.
 */

export interface Attempt {
  at: string;
  outcome: 'signed_in' | 'tested' | 'refused';
  email: string | null;
  refusal?: Explained;
}

/** A refusal as the wizard shows it. */
export interface Explained {
  reason: string;
  title: string;
  message: string;
  /** The fix in this IdP's words, when its guide has one for the reason. */
  fix: string | undefined;
  /** What the check found (the event's detail: never the assertion itself). */
  detail: string;
  reference: string;
  /** For `certificate_unknown`: the certificate that signed the response. */
  certificate: { fingerprint_sha256: string; not_after: string; subject: string } | undefined;
}

export function explainRefusal(failure: SsoSignInFailure, organizationName: string, guide: ProviderGuide | undefined): Explained {
  const reason = failure.reason as SsoRefusal;
  const text = refusalText(reason, organizationName);
  return {
    reason: failure.reason,
    title: text.title,
    message: text.message,
    fix: guide?.diagnose[reason],
    detail: failure.detail,
    reference: failure.reference,
    certificate: failure.certificate ? { ...failure.certificate, not_after: formatTime(failure.certificate.not_after) } : undefined,
  };
}

const ATTEMPT_EVENTS = ['sso.signin_failed', 'user.signed_in', 'connection.test_succeeded'] as const;

export async function recentAttempts(db: Executor, connection: Connection, organizationName: string, guide: ProviderGuide | undefined, limit = 10): Promise<Attempt[]> {
  const rows = await connectionEvents(db, connection, [...ATTEMPT_EVENTS]).select(['type', 'data', 'created_at']).limit(limit).execute();
  const userIds = rows.filter((r) => r.type === 'user.signed_in').map((r) => (JSON.parse(r.data) as { user_id: string }).user_id);
  // idor check: people of any org may share a user row, but only their email is shown, for this org's sign-ins.
  const emails = new Map(
    userIds.length ? (await db.selectFrom('users').select(['id', 'email']).where('id', 'in', userIds).execute()).map((u) => [u.id, u.email] as const) : [],
  );
  return rows.map((row): Attempt => {
    const data = JSON.parse(row.data) as Record<string, unknown>;
    if (row.type === 'user.signed_in') return { at: row.created_at, outcome: 'signed_in', email: emails.get(String(data.user_id)) ?? null };
    if (row.type === 'connection.test_succeeded') return { at: row.created_at, outcome: 'tested', email: String(data.email) };
    const failure = data as unknown as SsoSignInFailure;
    return { at: row.created_at, outcome: 'refused', email: failure.email ?? null, refusal: explainRefusal(failure, organizationName, guide) };
  });
}
