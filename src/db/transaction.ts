import type { Db, Executor } from './database.ts';

/**
 * One unit of work: a transaction, then hooks that run after commit (wake the mail sender, and later
 * the webhook dispatcher). Nothing network-bound ever runs inside the transaction.
 */
export type UnitOfWork = <T>(work: (trx: Executor) => Promise<T>) => Promise<T>;

export function createUnitOfWork(db: Db, afterCommit: Array<() => void>): UnitOfWork {
  return async (work) => {
    const result = await db.transaction().execute((trx) => work(trx));
    for (const hook of afterCommit) hook();
    return result;
  };
}
