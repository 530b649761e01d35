import type { Logger } from 'pino';
import type { Call } from '../context.ts';
import type { UnitOfWork } from '../db/transaction.ts';
import { every } from '../schedule.ts';
import { failExpiredDomains } from './domains.service.ts';

const HOUR_MS = 3_600_000;

/** Runs the 30-day pending-domain sweep at start and then hourly. */
export function scheduleDomainExpiry(deps: { uow: UnitOfWork; call: Call; log: Logger }): { run(): Promise<number>; stop(): void } {
  const run = async () => {
    const failed = await deps.uow((trx) => failExpiredDomains(trx, deps.call));
    if (failed) deps.log.info({ failed }, 'pending domains older than 30 days marked failed');
    return failed;
  };
  const schedule = every({ name: 'domain expiry sweep', intervalMs: HOUR_MS, firstAfterMs: 0, log: deps.log, run });
  return {
    run,
    stop: () => schedule.stop(),
  };
}
