import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Logger } from 'pino';
import type { ServiceContext } from '../context.ts';
import type { Db } from '../db/database.ts';
import type { UnitOfWork } from '../db/transaction.ts';
import type { Actor } from '../events/catalogue.ts';
import { type CheckReport, runCertificateCheck } from './certificate-check.ts';
import type { CreatePortalLink } from './expiry-alert.ts';
import { every, type Schedule } from '../schedule.ts';

export const CHECK_INTERVAL_MS = 3_600_000;

export interface CertificateMonitor {
  /** Checks now, after any check in flight in this process; resolves with what it found and sent. */
  run(options?: { actor?: Actor }): Promise<CheckReport>;
  /** Checks at once, then every hour (inside the server: no cron). */
  start(): void;
  /** Stops the schedule and waits for the check in flight. */
  stop(): Promise<void>;
}

/**
 * The certificate monitor of one process. Checks in this process run one after another; checks of
 * several replicas on one database are kept apart by a lease (see lease.ts), and a second check of the
 * same threshold sends nothing (certificate_alerts).
 */
export function createCertificateMonitor(deps: {
  db: Db;
  uow: UnitOfWork;
  ctx: ServiceContext;
  log: Logger;
  createPortalLink: CreatePortalLink;
  intervalMs?: number;
}): CertificateMonitor {
  const holder = `${os.hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`;
  let tail: Promise<unknown> = Promise.resolve();
  let schedule: Schedule | undefined;

  const run = ({ actor = { type: 'system' } }: { actor?: Actor } = {}): Promise<CheckReport> => {
    const check = tail.then(() =>
      runCertificateCheck({ db: deps.db, uow: deps.uow, call: { ctx: deps.ctx, actor }, log: deps.log, holder, createPortalLink: deps.createPortalLink }),
    );
    tail = check.catch(() => undefined);
    return check;
  };
  return {
    run,
    start() {
      schedule ??= every({ name: 'certificate check', intervalMs: deps.intervalMs ?? CHECK_INTERVAL_MS, firstAfterMs: 0, log: deps.log, run: () => run() });
    },
    async stop() {
      schedule?.stop();
      schedule = undefined;
      await tail;
    },
  };
}
