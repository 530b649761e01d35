import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { every, type Schedule } from '../schedule.ts';
import { purgeExpiredTickets } from './login-tickets.ts';

const HOUR_MS = 3_600_000;

/** Unanswered AuthnRequests and OIDC authorisation requests, replay entries past their assertion's lifetime, and expired login tickets. */
export async function purgeSsoStores(db: Db, clock: Clock): Promise<number> {
  const now = clock.now().toISOString();
  const requests = await db.deleteFrom('saml_requests').where('expires_at', '<=', now).executeTakeFirst();
  const replay = await db.deleteFrom('saml_replay').where('expires_at', '<=', now).executeTakeFirst();
  const oidc = await db.deleteFrom('oidc_requests').where('expires_at', '<=', now).executeTakeFirst();
  return Number(requests.numDeletedRows) + Number(replay.numDeletedRows) + Number(oidc.numDeletedRows) + (await purgeExpiredTickets(db, clock));
}

export function scheduleSsoPurge(deps: { db: Db; clock: Clock; log: Logger }): Schedule {
  return every({
    name: 'SSO store purge',
    intervalMs: HOUR_MS,
    log: deps.log,
    run: async () => {
      const purged = await purgeSsoStores(deps.db, deps.clock);
      if (purged) deps.log.info({ purged }, 'expired SSO requests, replay entries and tickets purged');
    },
  });
}
