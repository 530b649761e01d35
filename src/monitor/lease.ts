import type { Executor } from '../db/database.ts';

/**
 * A named lease in the database, so that of several replicas on one database only one runs a job at a
 * time. Taking it is one conditional upsert: insert the row, or take over a row whose lease has run
 * out (or that this holder already has); the RETURNING row says whether it worked.
 *
 * One statement, committed on its own, rather than BEGIN … COMMIT around a read and a write: the
 * statement is atomic in SQLite and PostgreSQL alike, and it holds SQLite's write lock for one
 * statement only. A deferred transaction that reads the row first and then writes is what fails
 * (SQLITE_BUSY) or waits out the busy timeout when two replicas try at the same instant.
 */
export async function takeLease(db: Executor, lease: { name: string; holder: string; now: Date; ttlMs: number }): Promise<{ taken: true } | { taken: false; holder: string; expiresAt: string }> {
  const now = lease.now.toISOString();
  const expiresAt = new Date(lease.now.getTime() + lease.ttlMs).toISOString();
  const row = await db
    .insertInto('leases')
    .values({ name: lease.name, holder: lease.holder, expires_at: expiresAt })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet({ holder: lease.holder, expires_at: expiresAt })
        .where((eb) => eb.or([eb('leases.expires_at', '<=', now), eb('leases.holder', '=', lease.holder)])),
    )
    .returning(['holder'])
    .executeTakeFirst();
  if (row?.holder === lease.holder) return { taken: true };
  const current = await db.selectFrom('leases').select(['holder', 'expires_at']).where('name', '=', lease.name).executeTakeFirst();
  // Released between the two statements: report it as busy; the next run takes it.
  return { taken: false, holder: current?.holder ?? 'another replica', expiresAt: current?.expires_at ?? now };
}

/** Gives the lease up (only if this holder still has it), so the next run on any replica can take it. */
export async function releaseLease(db: Executor, lease: { name: string; holder: string }): Promise<void> {
  await db.deleteFrom('leases').where('name', '=', lease.name).where('holder', '=', lease.holder).execute();
}
