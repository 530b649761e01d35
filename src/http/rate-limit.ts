import { sql } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Executor } from '../db/database.ts';

export interface RateLimitResult {
  allowed: boolean;
  remaining: number;
  retryAfterSeconds: number;
}

/**
 * Fixed-window counter in the database (shared by replicas): counts this hit and says whether it is
 * within `limit` per `windowMs`. One upsert, so concurrent hits cannot both take the last slot.
 */
export async function hitRateLimit(db: Executor, clock: Clock, key: string, limit: number, windowMs: number): Promise<RateLimitResult> {
  const now = clock.now();
  const windowStart = new Date(Math.floor(now.getTime() / windowMs) * windowMs).toISOString();
  const row = await db
    .insertInto('rate_limits')
    .values({ key, window_start: windowStart, count: 1 })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        count: sql`case when rate_limits.window_start = ${windowStart} then rate_limits.count + 1 else 1 end`,
        window_start: windowStart,
      }),
    )
    .returning(['count'])
    .executeTakeFirstOrThrow();
  const retryAfterSeconds = Math.ceil((Date.parse(windowStart) + windowMs - now.getTime()) / 1000);
  return { allowed: row.count <= limit, remaining: Math.max(0, limit - row.count), retryAfterSeconds };
}

/** Forget the counter (after a successful sign-in, the account's failures start over). */
export async function resetRateLimit(db: Executor, key: string): Promise<void> {
  await db.deleteFrom('rate_limits').where('key', '=', key).execute();
}
