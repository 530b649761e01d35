import type { Logger } from 'pino';
import type { Call } from '../context.ts';
import type { UnitOfWork } from '../db/transaction.ts';
import { failExpiredDomains } from './domains.service.ts';

const HOUR_MS = 3_600_000;

/** Runs the 30-day pending-domain sweep at start and then hourly. */
export function scheduleDomainExpiry(deps: { uow: UnitOfWork; call: Call; log: Logger }): { run(): Promise<number>; stop(): void } {
  const run = async () => {
    const failed = await deps.uow((trx) => failExpiredDomains(trx, deps.call));
    if (failed) deps.log.info({ failed }, 'pending domains older than 30 days marked failed');
    return failed;
  };
  let stopped = false;
  // A sweep scheduled just before stop() must not run against a closed database.
  const guarded = () => {
    if (!stopped) void run().catch((err) => deps.log.error({ err }, 'domain expiry sweep failed'));
  };
  const timer = setInterval(guarded, HOUR_MS);
  timer.unref();
  setImmediate(guarded);
  return {
    run,
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}
