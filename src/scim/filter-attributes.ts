// The User and Group attributes a SCIM filter can name, and the SQLite column or child table each is stored in.
import { type Expression, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Compare } from 'scim2-parse-filter';

// ---- What can be filtered, and how it is stored -----------------------------------------------------

export type Operator = Compare['op'] | 'pr';

export interface Column {
  /** As RFC 7643 spells it, for error messages. */
  name: string;
  type: 'string' | 'boolean' | 'dateTime';
  /** table.column */
  column: string;
  /** table.column holding caseKey(value), compared instead of `column` so equality can use an index. */
  key?: string;
  caseExact: boolean;
  nullable: boolean;
}

export interface MultiValued {
  name: string;
  /** Lower-cased sub-attribute name -> column of the child table; `value` is what `emails eq` compares. */
  sub: Record<string, Column>;
  /** A child row of the resource row satisfies `where` (RFC 7644 §3.4.2.2: multi-valued attributes match if any value does). */
  some: (where: Expression<SqlBool>) => RawBuilder<SqlBool>;
}

export interface Resource {
  name: 'User' | 'Group';
  /** Lower-cased schema URN with its trailing colon, the optional prefix of a full attribute path. */
  urn: string;
  columns: Record<string, Column>;
  multi: Record<string, MultiValued>;
}

const text = (name: string, column: string, o: Partial<Column> = {}): Column => ({ name, type: 'string', column, caseExact: false, nullable: false, ...o });
const bool = (name: string, column: string): Column => ({ name, type: 'boolean', column, caseExact: true, nullable: false });
const meta = (table: string): Record<string, Column> => ({
  'meta.created': { name: 'meta.created', type: 'dateTime', column: `${table}.created_at`, caseExact: true, nullable: false },
  'meta.lastmodified': { name: 'meta.lastModified', type: 'dateTime', column: `${table}.updated_at`, caseExact: true, nullable: false },
});

export const USER: Resource = {
  name: 'User',
  urn: 'urn:ietf:params:scim:schemas:core:2.0:user:',
  columns: {
    id: text('id', 'scim_users.id', { caseExact: true }),
    username: text('userName', 'scim_users.user_name', { key: 'scim_users.user_name_key' }),
    externalid: text('externalId', 'scim_users.external_id', { caseExact: true, nullable: true }),
    active: bool('active', 'scim_users.active'),
    displayname: text('displayName', 'scim_users.display_name', { nullable: true }),
    'name.givenname': text('name.givenName', 'scim_users.given_name', { nullable: true }),
    'name.familyname': text('name.familyName', 'scim_users.family_name', { nullable: true }),
    ...meta('scim_users'),
  },
  multi: {
    emails: {
      name: 'emails',
      sub: {
        value: text('emails.value', 'scim_user_emails.value', { key: 'scim_user_emails.value_key' }),
        type: text('emails.type', 'scim_user_emails.type', { nullable: true }),
        primary: bool('emails.primary', 'scim_user_emails.primary'),
      },
      some: (where) =>
        sql<SqlBool>`(exists (select 1 from ${sql.table('scim_user_emails')} where ${sql.ref('scim_user_emails.scim_user_id')} = ${sql.ref('scim_users.id')} and ${where}))`,
    },
  },
};

export const GROUP: Resource = {
  name: 'Group',
  urn: 'urn:ietf:params:scim:schemas:core:2.0:group:',
  columns: {
    id: text('id', 'scim_groups.id', { caseExact: true }),
    // RFC 7643 §4.2 leaves displayName's caseExact unsaid; Entra matches groups by name case-insensitively.
    displayname: text('displayName', 'scim_groups.display_name', { key: 'scim_groups.display_name_key' }),
    externalid: text('externalId', 'scim_groups.external_id', { caseExact: true, nullable: true }),
    ...meta('scim_groups'),
  },
  multi: {
    members: {
      name: 'members',
      sub: { value: text('members.value', 'scim_group_members.scim_user_id', { caseExact: true }) },
      some: (where) =>
        sql<SqlBool>`(exists (select 1 from ${sql.table('scim_group_members')} where ${sql.ref('scim_group_members.group_id')} = ${sql.ref('scim_groups.id')} and ${where}))`,
    },
  },
};
