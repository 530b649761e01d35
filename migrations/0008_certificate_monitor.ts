import { type Kysely, sql } from 'kysely';

// Frozen once landed. The certificate monitor (DESIGN.md Certificate monitor): which expiry alerts went
// out, and the lease that lets one replica at a time run a check.
export async function up(db: Kysely<any>): Promise<void> {
  // One row per certificate, owner and threshold: `sent` (mails queued and an event written in the same
  // transaction) or `covered` (a less urgent threshold passed while a more urgent one was sent). The
  // primary key is what makes a restart, a second check or a second replica send nothing twice.
  await db.schema
    .createTable('certificate_alerts')
    // The connection (conn_…) whose IdP certificate it is, or Gatehouse's own SP key (spk_…).
    .addColumn('target_id', 'text', (c) => c.notNull())
    .addColumn('fingerprint_sha256', 'text', (c) => c.notNull())
    // 90d, 60d, 30d, 14d, 7d, 3d, 1d, expired, expired+1w, expired+2w, …
    .addColumn('threshold', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('sent', 'covered')`))
    .addColumn('not_after', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('certificate_alerts_pk', ['fingerprint_sha256', 'target_id', 'threshold'])
    .execute();

  // A named lease on a background job shared by replicas: whoever holds an unexpired one runs it.
  await db.schema
    .createTable('leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('leases').execute();
  await db.schema.dropTable('certificate_alerts').execute();
}
