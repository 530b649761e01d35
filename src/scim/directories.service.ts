import type { Call } from '../context.ts';
import { newId } from '../crypto/ids.ts';
import { issueToken, tokenLookup, tokenMatches } from '../crypto/tokens.ts';
import type { Executor } from '../db/database.ts';
import type { Directory } from '../db/schema.ts';
import { recordEvent } from '../events/activity.ts';
import { AppError, notFound } from '../http/errors.ts';
import { getOrganization } from '../orgs/organizations.service.ts';

export const SCIM_TOKEN_KIND = 'scim';
export const DIRECTORY_PROVIDERS = ['okta', 'entra', 'onelogin', 'jumpcloud', 'pingone', 'rippling', 'google', 'generic'] as const;

export interface DirectoryView {
  id: string;
  organization_id: string;
  name: string;
  provider: string;
  state: Directory['state'];
  scim_base_url: string;
  last_request_at: string | null;
  token_rotated_at: string;
  created_at: string;
  updated_at: string;
}

export function toDirectoryView(row: Directory, baseUrl: string): DirectoryView {
  return {
    id: row.id,
    organization_id: row.organization_id,
    name: row.name,
    provider: row.provider,
    state: row.state,
    scim_base_url: `${baseUrl}/scim/v2/${row.id}`,
    last_request_at: row.last_request_at,
    token_rotated_at: row.token_rotated_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export async function getDirectory(db: Executor, id: string): Promise<Directory> {
  const row = await db.selectFrom('directories').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('directory', id);
  return row;
}

export async function listDirectories(db: Executor, organizationId: string): Promise<Directory[]> {
  return db.selectFrom('directories').selectAll().where('organization_id', '=', organizationId).orderBy('id').execute();
}

/** Creates a directory; its bearer token is returned once and stored as a hash. */
export async function createDirectory(
  db: Executor,
  { ctx, actor }: Call,
  organizationId: string,
  input: { name?: string; provider?: string },
): Promise<{ directory: Directory; token: string }> {
  const org = await getOrganization(db, organizationId);
  const provider = input.provider ?? 'generic';
  const token = issueToken(SCIM_TOKEN_KIND);
  const now = ctx.clock.now().toISOString();
  const directory: Directory = {
    id: newId('dir'),
    organization_id: organizationId,
    name: input.name ?? `${org.name} directory`,
    provider,
    state: 'active',
    token_lookup: token.lookup,
    token_hash: token.hash,
    token_rotated_at: now,
    last_request_at: null,
    created_at: now,
    updated_at: now,
  };
  await db.insertInto('directories').values(directory).execute();
  await recordEvent(db, ctx.clock, { type: 'directory.created', organizationId, actor, data: { directory_id: directory.id, provider } });
  return { directory, token: token.token };
}

/** A new token replaces the old one at once: the IdP must be given the new one. */
export async function rotateDirectoryToken(db: Executor, { ctx, actor }: Call, id: string): Promise<{ directory: Directory; token: string }> {
  const directory = await getDirectory(db, id);
  const token = issueToken(SCIM_TOKEN_KIND);
  const now = ctx.clock.now().toISOString();
  await db.updateTable('directories').set({ token_lookup: token.lookup, token_hash: token.hash, token_rotated_at: now, updated_at: now }).where('id', '=', id).execute();
  await recordEvent(db, ctx.clock, { type: 'directory.token_rotated', organizationId: directory.organization_id, actor, data: { directory_id: id } });
  return { directory: { ...directory, token_lookup: token.lookup, token_hash: token.hash, token_rotated_at: now, updated_at: now }, token: token.token };
}

/**
 * Deleting a directory removes its SCIM records; the people it provisioned keep their accounts and
 * memberships (an admin decides about those), so nothing they did is lost.
 */
export async function deleteDirectory(db: Executor, { ctx, actor }: Call, id: string): Promise<void> {
  const directory = await getDirectory(db, id);
  await db.deleteFrom('directories').where('id', '=', id).execute();
  await recordEvent(db, ctx.clock, { type: 'directory.deleted', organizationId: directory.organization_id, actor, data: { directory_id: id } });
}

/**
 * The directory a SCIM request's bearer token belongs to — only when it is the directory named in the
 * URL, so a token for directory A never reaches directory B. Undefined for anything else.
 */
export async function authenticateDirectory(db: Executor, directoryId: string, presented: string): Promise<Directory | undefined> {
  const lookup = tokenLookup(SCIM_TOKEN_KIND, presented);
  if (!lookup) return undefined;
  const directory = await db.selectFrom('directories').selectAll().where('token_lookup', '=', lookup).executeTakeFirst();
  if (!directory || !tokenMatches(presented, directory.token_hash)) return undefined;
  if (directory.id !== directoryId || directory.state !== 'active') return undefined;
  return directory;
}

export function assertProvider(provider: string | undefined): void {
  if (provider !== undefined && !(DIRECTORY_PROVIDERS as readonly string[]).includes(provider)) {
    throw new AppError(422, 'validation_failed', `provider must be one of ${DIRECTORY_PROVIDERS.join(', ')}.`, { errors: [{ field: 'provider', code: 'invalid_provider', message: `provider must be one of ${DIRECTORY_PROVIDERS.join(', ')}.` }] });
  }
}
