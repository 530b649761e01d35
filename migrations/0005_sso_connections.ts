import { type Kysely, sql } from 'kysely';

// Frozen once landed. SSO connections to customers' IdPs (SAML now, OIDC next), the identities they
// link, Gatehouse's SAML SP keys, and the one-time stores that bind a response to its request.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('connections')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull().check(sql`type in ('saml', 'oidc')`))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('draft', 'active', 'inactive')`))
    // JSON {email?, firstName?, lastName?, groups?}: the connection's own attribute or claim names.
    .addColumn('attribute_mapping', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('idp_initiated', 'integer', (c) => c.notNull().defaultTo(0))
    // The client whose initiate_login_uri receives IdP-initiated sign-ins (null: the only one that has one).
    .addColumn('idp_initiated_client_id', 'text')
    .addColumn('saml_idp_entity_id', 'text')
    .addColumn('saml_sso_url', 'text')
    .addColumn('saml_sso_binding', 'text', (c) => c.check(sql`saml_sso_binding in ('redirect', 'post')`))
    .addColumn('saml_metadata_url', 'text')
    .addColumn('saml_metadata_fetched_at', 'text')
    .addColumn('saml_metadata_error', 'text')
    .addColumn('oidc_issuer', 'text')
    .addColumn('oidc_client_id', 'text')
    .addColumn('oidc_client_secret_sealed', 'text')
    .addColumn('oidc_scopes', 'text')
    .addColumn('activated_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('connections_org').on('connections').columns(['organization_id', 'state']).execute();

  // The IdP's signing certificates, kept apart so that several can be trusted at once (rotation) and the
  // certificate monitor can read their expiry.
  await db.schema
    .createTable('connection_certificates')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('connection_id', 'text', (c) => c.notNull().references('connections.id').onDelete('cascade'))
    .addColumn('pem', 'text', (c) => c.notNull())
    .addColumn('fingerprint_sha256', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('not_before', 'text', (c) => c.notNull())
    .addColumn('not_after', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull().check(sql`source in ('metadata', 'manual')`))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('connection_certificates_fingerprint', ['connection_id', 'fingerprint_sha256'])
    .execute();

  // An IdP identity is linked to a user by (connection, IdP subject), never by email alone.
  await db.schema
    .createTable('sso_identities')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('connection_id', 'text', (c) => c.notNull().references('connections.id').onDelete('cascade'))
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('last_sign_in_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('sso_identities_subject', ['connection_id', 'subject'])
    .execute();
  await db.schema.createIndex('sso_identities_user').on('sso_identities').column('user_id').execute();

  // Gatehouse's own SAML SP keys (signing AuthnRequests, decrypting assertions), one deployment-wide set.
  // A rotated key stays published and usable until unpublish_after, so IdPs can pick up the new one.
  await db.schema
    .createTable('saml_sp_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('use', 'text', (c) => c.notNull().check(sql`use in ('signing', 'encryption')`))
    .addColumn('private_key_sealed', 'text', (c) => c.notNull())
    .addColumn('certificate_pem', 'text', (c) => c.notNull())
    .addColumn('not_after', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('retired_at', 'text')
    .addColumn('unpublish_after', 'text')
    .execute();

  // Each AuthnRequest Gatehouse sent, until answered or expired: a response's InResponseTo must name one.
  await db.schema
    .createTable('saml_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('connection_id', 'text', (c) => c.notNull().references('connections.id').onDelete('cascade'))
    .addColumn('interaction_uid', 'text')
    .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('sign_in', 'test')`))
    .addColumn('relay_state', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('saml_requests_expiry').on('saml_requests').column('expires_at').execute();

  // Assertion ids already accepted, until the assertion could no longer be accepted anyway.
  await db.schema
    .createTable('saml_replay')
    .addColumn('connection_id', 'text', (c) => c.notNull())
    .addColumn('assertion_id', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('saml_replay_pk', ['connection_id', 'assertion_id'])
    .execute();
  await db.schema.createIndex('saml_replay_expiry').on('saml_replay').column('expires_at').execute();

  // The verified profile an upstream sign-in ends with, consumed once by the sign-in that asked for it
  // (interaction_uid) or, IdP-initiated, by the client's next authorisation request in the same browser.
  await db.schema
    .createTable('login_tickets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_lookup', 'text', (c) => c.notNull().unique())
    .addColumn('token_hash', 'text', (c) => c.notNull())
    .addColumn('connection_id', 'text', (c) => c.notNull().references('connections.id').onDelete('cascade'))
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('sign_in', 'test')`))
    .addColumn('interaction_uid', 'text')
    .addColumn('client_id', 'text')
    .addColumn('profile_sealed', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('consumed_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('login_tickets_expiry').on('login_tickets').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['login_tickets', 'saml_replay', 'saml_requests', 'saml_sp_keys', 'sso_identities', 'connection_certificates', 'connections']) {
    await db.schema.dropTable(table).execute();
  }
}
