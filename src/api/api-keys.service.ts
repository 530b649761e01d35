import type { Call } from '../context.ts';
import type { Clock } from '../clock.ts';
import { newId } from '../crypto/ids.ts';
import { issueToken, tokenLookup, tokenMatches } from '../crypto/tokens.ts';
import type { Executor } from '../db/database.ts';
import type { ApiKey } from '../db/schema.ts';
import { recordEvent } from '../events/activity.ts';

export const API_KEY_KIND = 'gk';

/** Creates an API key; the key itself is returned once and only its hash is kept. */
export async function createApiKey(db: Executor, { ctx, actor }: Call, name: string): Promise<{ apiKey: ApiKey; key: string }> {
  const token = issueToken(API_KEY_KIND);
  const apiKey: ApiKey = {
    id: newId('key'),
    name,
    token_lookup: token.lookup,
    token_hash: token.hash,
    last_used_at: null,
    revoked_at: null,
    created_at: ctx.clock.now().toISOString(),
  };
  await db.insertInto('api_keys').values(apiKey).execute();
  await recordEvent(db, ctx.clock, { type: 'api_key.created', organizationId: null, actor, data: { api_key_id: apiKey.id, name } });
  return { apiKey, key: token.token };
}

/** The live key this bearer token belongs to, compared in constant time; undefined otherwise. */
export async function authenticateApiKey(db: Executor, clock: Clock, presented: string): Promise<ApiKey | undefined> {
  const lookup = tokenLookup(API_KEY_KIND, presented);
  if (!lookup) return undefined;
  const key = await db.selectFrom('api_keys').selectAll().where('token_lookup', '=', lookup).executeTakeFirst();
  if (!key || key.revoked_at || !tokenMatches(presented, key.token_hash)) return undefined;
  // last_used_at is informational: refresh it at most once a minute so reads do not all become writes.
  const now = clock.now();
  if (!key.last_used_at || now.getTime() - Date.parse(key.last_used_at) > 60_000) {
    await db.updateTable('api_keys').set({ last_used_at: now.toISOString() }).where('id', '=', key.id).execute();
  }
  return key;
}
