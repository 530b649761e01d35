import { type Kysely, sql } from 'kysely';

// Frozen once landed. SCIM 2.0 directories (RFC 7643/7644): each org's IdP provisions users and groups.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('directories')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('active', 'inactive')`))
    .addColumn('token_lookup', 'text', (c) => c.notNull().unique())
    .addColumn('token_hash', 'text', (c) => c.notNull())
    .addColumn('token_rotated_at', 'text', (c) => c.notNull())
    .addColumn('last_request_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('directories_org').on('directories').column('organization_id').execute();

  // A directory's user: the SCIM resource (its own id, userName, externalId, raw JSON as last sent) and
  // the Gatehouse user it provisions. deleted_at keeps history: a deleted resource answers 404 while the
  // person and their (disabled) membership stay.
  await db.schema
    .createTable('scim_users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('directory_id', 'text', (c) => c.notNull().references('directories.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('user_name', 'text', (c) => c.notNull())
    // RFC 7643 §4.1.1: userName is caseExact false; the lower-cased key makes `userName eq` an index seek.
    .addColumn('user_name_key', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text')
    .addColumn('active', 'integer', (c) => c.notNull())
    .addColumn('given_name', 'text')
    .addColumn('family_name', 'text')
    .addColumn('display_name', 'text')
    .addColumn('raw', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('deleted_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('scim_users_user_name').on('scim_users').columns(['directory_id', 'user_name_key']).unique().where(sql.ref('deleted_at'), 'is', null).execute();
  await db.schema.createIndex('scim_users_external_id').on('scim_users').columns(['directory_id', 'external_id']).execute();
  await db.schema.createIndex('scim_users_user').on('scim_users').column('user_id').execute();

  await db.schema
    .createTable('scim_user_emails')
    .addColumn('scim_user_id', 'text', (c) => c.notNull().references('scim_users.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('value_key', 'text', (c) => c.notNull())
    .addColumn('type', 'text')
    .addColumn('primary', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('scim_user_emails_pk', ['scim_user_id', 'position'])
    .execute();
  await db.schema.createIndex('scim_user_emails_value').on('scim_user_emails').column('value_key').execute();

  await db.schema
    .createTable('scim_groups')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('directory_id', 'text', (c) => c.notNull().references('directories.id').onDelete('cascade'))
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('display_name_key', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text')
    .addColumn('raw', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('scim_groups_name').on('scim_groups').columns(['directory_id', 'display_name_key']).execute();
  await db.schema.createIndex('scim_groups_external_id').on('scim_groups').columns(['directory_id', 'external_id']).execute();

  await db.schema
    .createTable('scim_group_members')
    .addColumn('group_id', 'text', (c) => c.notNull().references('scim_groups.id').onDelete('cascade'))
    .addColumn('scim_user_id', 'text', (c) => c.notNull().references('scim_users.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('scim_group_members_pk', ['group_id', 'scim_user_id'])
    .execute();
  await db.schema.createIndex('scim_group_members_user').on('scim_group_members').column('scim_user_id').execute();

  // IdP group -> org role and/or site assignments (DESIGN.md "Group mappings"). `group` is a displayName
  // or a SCIM group id; sites is a JSON array of {site_id, role}.
  await db.schema
    .createTable('group_mappings')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('directory_id', 'text', (c) => c.notNull().references('directories.id').onDelete('cascade'))
    .addColumn('group_ref', 'text', (c) => c.notNull())
    .addColumn('org_role', 'text', (c) => c.check(sql`org_role in ('member', 'admin')`))
    .addColumn('sites', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('group_mappings_directory').on('group_mappings').columns(['directory_id', 'position']).execute();

  // Whether a membership's role was set by a group mapping (undone when the person leaves the group) or
  // by a person (never touched by mappings).
  await db.schema.alterTable('memberships').addColumn('role_source', 'text', (c) => c.notNull().defaultTo('manual')).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('memberships').dropColumn('role_source').execute();
  for (const table of ['group_mappings', 'scim_group_members', 'scim_groups', 'scim_user_emails', 'scim_users', 'directories']) await db.schema.dropTable(table).execute();
}
