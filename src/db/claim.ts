import type { Executor } from './database.ts';

/** The outboxes whose rows a background sender sends: pending rows due at next_attempt_at. */
type Outbox = 'mail_outbox' | 'webhook_deliveries';

/**
 * Claims a due row before it is sent: one conditional update moves it out of every sender's due list
 * until `until`, and only the sender whose update matched the row as it read it gets true. Replicas
 * polling one outbox so send each row once; a sender that dies mid-send leaves the row due again at
 * `until`. The send's own update (sent, or the next retry) replaces the claim.
 */
export async function claimDue(db: Executor, table: Outbox, row: { id: string; next_attempt_at: string }, until: Date): Promise<boolean> {
  const claimed = await db
    .updateTable(table)
    .set({ next_attempt_at: until.toISOString() })
    .where('id', '=', row.id)
    .where('status', '=', 'pending')
    .where('next_attempt_at', '=', row.next_attempt_at)
    .executeTakeFirst();
  return Number(claimed.numUpdatedRows) === 1;
}
