import { type Kysely, sql } from 'kysely';

// Frozen once landed. OIDC connections: Gatehouse as relying party to customers' OpenID providers.
export async function up(db: Kysely<any>): Promise<void> {
  // Accept an email the provider does not call verified (Entra ID never sends email_verified).
  // Null: the provider's default (sso/providers.ts).
  await db.schema.alterTable('connections').addColumn('oidc_trust_emails', 'integer').execute();

  // Each authorisation request Gatehouse sent upstream, until answered or expired: the callback's state
  // names one, and its nonce and PKCE verifier are checked against what comes back.
  await db.schema
    .createTable('oidc_requests')
    .addColumn('state', 'text', (c) => c.primaryKey())
    .addColumn('connection_id', 'text', (c) => c.notNull().references('connections.id').onDelete('cascade'))
    .addColumn('interaction_uid', 'text')
    .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('sign_in', 'test')`))
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('code_verifier_sealed', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('oidc_requests_expiry').on('oidc_requests').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('oidc_requests').execute();
  await db.schema.alterTable('connections').dropColumn('oidc_trust_emails').execute();
}
