import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { every, type Schedule } from '../schedule.ts';

const HOUR_MS = 3_600_000;

/**
 * How long an expired row stays before it is deleted. The adapter already hides it at expiry; the grace
 * only keeps a replica whose clock runs a little behind from seeing a row vanish under a live request.
 */
export const PURGE_GRACE_MS = 5 * 60_000;

/** Deletes provider payloads (sessions, codes, tokens, ...) expired for longer than the grace; returns how many. */
export async function purgeExpiredPayloads(db: Db, clock: Clock): Promise<number> {
  const cutoff = new Date(clock.now().getTime() - PURGE_GRACE_MS).toISOString();
  // Rows without expires_at (dynamically registered clients) never expire.
  const result = await db.deleteFrom('oidc_payloads').where('expires_at', '<', cutoff).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Runs the purge hourly (by default) until stop(); a failure is logged and the next run tries again. */
export function schedulePayloadPurge(deps: { db: Db; clock: Clock; log: Logger; intervalMs?: number }): Schedule {
  return every({
    name: 'provider payload purge',
    intervalMs: deps.intervalMs ?? HOUR_MS,
    log: deps.log,
    run: async () => {
      const purged = await purgeExpiredPayloads(deps.db, deps.clock);
      if (purged) deps.log.info({ purged }, 'expired provider payloads purged');
    },
  });
}
