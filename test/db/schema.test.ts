import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrator.ts';
import type { Database } from '../../src/db/schema.ts';

/**
 * Every column of the hand-kept Database interface. The type makes this list complete and exact
 * (a missing or extra column fails `npm run typecheck`); the test compares it with the migrated file.
 */
const columns: { [T in keyof Database]: Record<keyof Database[T], true> } = {
  organizations: { id: true, name: true, sso_entitled: true, auto_provision: true, enforce_sso: true, created_at: true, updated_at: true },
  domains: {
    id: true, organization_id: true, domain: true, state: true, verification_value: true, verification_method: true, failure_reason: true,
    last_checked_at: true, last_check_error: true, verified_at: true, created_at: true, updated_at: true,
  },
  users: { id: true, email: true, email_verified: true, first_name: true, last_name: true, password_hash: true, password_set_at: true, created_at: true, updated_at: true },
  memberships: { id: true, organization_id: true, user_id: true, role: true, state: true, disabled_by: true, disabled_at: true, source: true, role_source: true, created_at: true, updated_at: true },
  it_contacts: { id: true, organization_id: true, email: true, name: true, user_id: true, notice_mail_id: true, created_at: true },
  sites: { id: true, organization_id: true, name: true, created_at: true, updated_at: true },
  site_assignments: { id: true, organization_id: true, site_id: true, user_id: true, role: true, source: true, created_at: true, updated_at: true },
  invitations: {
    id: true, organization_id: true, email: true, role: true, state: true, token_lookup: true, token_hash: true, expires_at: true,
    accepted_at: true, accepted_user_id: true, revoked_at: true, created_at: true,
  },
  api_keys: { id: true, name: true, token_lookup: true, token_hash: true, last_used_at: true, revoked_at: true, created_at: true },
  events: { id: true, type: true, organization_id: true, actor_type: true, actor_id: true, data: true, created_at: true },
  mail_outbox: {
    id: true, kind: true, organization_id: true, to_address: true, subject: true, body_sealed: true, status: true, attempts: true,
    next_attempt_at: true, last_error: true, sent_at: true, created_at: true,
  },
  oidc_payloads: { model: true, id: true, payload: true, grant_id: true, uid: true, user_code: true, expires_at: true, consumed_at: true },
  signing_keys: { kid: true, alg: true, private_jwk_sealed: true, created_at: true, retired_at: true, unpublish_after: true },
  oidc_clients: {
    id: true, client_id: true, name: true, secret_hash: true, public: true, redirect_uris: true, post_logout_redirect_uris: true,
    initiate_login_uri: true, allowed_origins: true, builtin: true, created_at: true,
  },
  rate_limits: { key: true, window_start: true, count: true },
  grant_organizations: { grant_id: true, user_id: true, organization_id: true, expires_at: true, created_at: true },
  directories: { id: true, organization_id: true, name: true, provider: true, state: true, token_lookup: true, token_hash: true, token_rotated_at: true, last_request_at: true, created_at: true, updated_at: true },
  scim_users: {
    id: true, directory_id: true, user_id: true, user_name: true, user_name_key: true, external_id: true, active: true, given_name: true,
    family_name: true, display_name: true, raw: true, version: true, deleted_at: true, created_at: true, updated_at: true,
  },
  scim_user_emails: { scim_user_id: true, position: true, value: true, value_key: true, type: true, primary: true },
  scim_groups: { id: true, directory_id: true, display_name: true, display_name_key: true, external_id: true, raw: true, version: true, created_at: true, updated_at: true },
  scim_group_members: { group_id: true, scim_user_id: true },
  group_mappings: { id: true, directory_id: true, group_ref: true, org_role: true, sites: true, position: true, created_at: true },
  webhook_endpoints: { id: true, url: true, events: true, secret_sealed: true, created_at: true },
  webhook_deliveries: {
    id: true, endpoint_id: true, event_id: true, status: true, attempts: true, next_attempt_at: true, last_attempt_at: true,
    last_status_code: true, last_error: true, last_response: true, delivered_at: true, created_at: true,
  },
  connections: {
    id: true, organization_id: true, type: true, provider: true, name: true, state: true, attribute_mapping: true, idp_initiated: true,
    idp_initiated_client_id: true, saml_idp_entity_id: true, saml_sso_url: true, saml_sso_binding: true, saml_metadata_url: true,
    saml_metadata_fetched_at: true, saml_metadata_error: true, oidc_issuer: true, oidc_client_id: true, oidc_client_secret_sealed: true,
    oidc_scopes: true, oidc_trust_emails: true, activated_at: true, created_at: true, updated_at: true,
  },
  certificate_alerts: { target_id: true, fingerprint_sha256: true, threshold: true, status: true, not_after: true, created_at: true },
  leases: { name: true, holder: true, expires_at: true },
  connection_certificates: {
    id: true, connection_id: true, pem: true, fingerprint_sha256: true, subject: true, not_before: true, not_after: true, source: true, created_at: true,
  },
  sso_identities: { id: true, connection_id: true, subject: true, user_id: true, last_sign_in_at: true, created_at: true },
  saml_sp_keys: { id: true, use: true, private_key_sealed: true, certificate_pem: true, not_after: true, created_at: true, retired_at: true, unpublish_after: true },
  saml_requests: { id: true, connection_id: true, interaction_uid: true, purpose: true, relay_state: true, expires_at: true, created_at: true },
  saml_replay: { connection_id: true, assertion_id: true, expires_at: true },
  portal_links: { id: true, organization_id: true, intent: true, token_lookup: true, token_hash: true, return_url: true, expires_at: true, opened_at: true, revoked_at: true, created_at: true },
  portal_sessions: { id: true, link_id: true, organization_id: true, intent: true, token_lookup: true, token_hash: true, expires_at: true, created_at: true },
  oidc_requests: { state: true, connection_id: true, interaction_uid: true, purpose: true, nonce: true, code_verifier_sealed: true, expires_at: true, created_at: true },
  login_tickets: {
    id: true, token_lookup: true, token_hash: true, connection_id: true, organization_id: true, purpose: true, interaction_uid: true,
    client_id: true, profile_sealed: true, expires_at: true, consumed_at: true, created_at: true,
  },
};

describe('database schema', () => {
  it('the migrated SQLite file has exactly the tables and columns of the Database interface', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-schema-'));
    const { db, sqlite } = openDatabase(`sqlite:${dir}/schema.db`);
    try {
      await migrateToLatest(db);
      const tables = (sqlite.prepare("select name from sqlite_master where type = 'table' and name not like 'kysely_%' and name not like 'sqlite_%' order by name").all() as Array<{ name: string }>).map((t) => t.name);
      expect(tables).toEqual(Object.keys(columns).sort());
      for (const [table, expected] of Object.entries(columns)) {
        const actual = (sqlite.prepare(`pragma table_info(${table})`).all() as Array<{ name: string }>).map((c) => c.name).sort();
        expect(actual, table).toEqual(Object.keys(expected).sort());
      }
      expect(sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(sqlite.pragma('busy_timeout', { simple: true })).toBe(5000);
      // Running the migrations again is a no-op.
      expect(await migrateToLatest(db)).toEqual({ applied: [] });
    } finally {
      await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
