import { generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { DAY_MS } from '../clock.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Executor } from '../db/database.ts';
import type { SigningKey } from '../db/schema.ts';

/**
 * A retired key stays in the JWKS this long: longer than any token signed with it lives (ID tokens and
 * JWTs live an hour; refresh tokens are opaque and not signed).
 */
export const RETIRED_KEY_PUBLISHED_MS = DAY_MS;
const ALGS = ['RS256', 'ES256'] as const;

function generate(alg: (typeof ALGS)[number]): JsonWebKey & { kid: string; alg: string; use: string } {
  const { privateKey } = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(12).toString('base64url'), alg, use: 'sig' };
}

async function insertKey(db: Executor, clock: Clock, box: SecretBox, alg: (typeof ALGS)[number]): Promise<string> {
  const jwk = generate(alg);
  await db
    .insertInto('signing_keys')
    .values({ kid: jwk.kid, alg, private_jwk_sealed: box.seal(JSON.stringify(jwk), `signing-key:${jwk.kid}`), created_at: clock.now().toISOString(), retired_at: null, unpublish_after: null })
    .execute();
  return jwk.kid;
}

/** At first start: one active RS256 and one active ES256 key. */
export async function ensureSigningKeys(db: Executor, clock: Clock, box: SecretBox): Promise<string[]> {
  const created: string[] = [];
  for (const alg of ALGS) {
    const active = await db.selectFrom('signing_keys').select('kid').where('alg', '=', alg).where('retired_at', 'is', null).executeTakeFirst();
    if (!active) created.push(await insertKey(db, clock, box, alg));
  }
  return created;
}

/** Adds a new key per algorithm and retires the current ones, which stay published for a day. */
export async function rotateSigningKeys(db: Executor, clock: Clock, box: SecretBox): Promise<{ added: string[]; retired: string[] }> {
  const now = clock.now();
  const current = await db.selectFrom('signing_keys').select('kid').where('retired_at', 'is', null).execute();
  await db
    .updateTable('signing_keys')
    .set({ retired_at: now.toISOString(), unpublish_after: new Date(now.getTime() + RETIRED_KEY_PUBLISHED_MS).toISOString() })
    .where('retired_at', 'is', null)
    .execute();
  const added = [];
  for (const alg of ALGS) added.push(await insertKey(db, clock, box, alg));
  return { added, retired: current.map((k) => k.kid) };
}

/**
 * The private keys node-oidc-provider gets: active keys first (it signs with the first key of an
 * algorithm), then retired keys still published (it only verifies and publishes those).
 */
export async function loadSigningJwks(db: Executor, clock: Clock, box: SecretBox): Promise<{ keys: JsonWebKey[]; version: string }> {
  const rows: SigningKey[] = await db
    .selectFrom('signing_keys')
    .selectAll()
    .where((eb) => eb.or([eb('unpublish_after', 'is', null), eb('unpublish_after', '>', clock.now().toISOString())]))
    .execute();
  rows.sort((a, b) => Number(a.retired_at !== null) - Number(b.retired_at !== null) || b.created_at.localeCompare(a.created_at));
  return {
    keys: rows.map((row) => JSON.parse(box.open(row.private_jwk_sealed, `signing-key:${row.kid}`)) as JsonWebKey),
    version: rows.map((r) => `${r.kid}:${r.retired_at ?? ''}`).join(','),
  };
}
