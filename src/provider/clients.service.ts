import type { Call } from '../context.ts';
import { newId } from '../crypto/ids.ts';
import { hashToken, randomString } from '../crypto/tokens.ts';
import type { Executor } from '../db/database.ts';
import type { OidcClient } from '../db/schema.ts';
import { conflict, fieldInvalid, notFound } from '../http/errors.ts';
import { isLoopbackHost } from '../http/urls.ts';
import { deriveKey } from '../crypto/master-key.ts';

export const CONSOLE_CLIENT_ID = 'gatehouse-console';

export interface ClientInput {
  name: string;
  redirect_uris: string[];
  post_logout_redirect_uris?: string[];
  initiate_login_uri?: string | null;
  allowed_origins?: string[];
  public?: boolean;
}

export interface ClientView {
  id: string;
  client_id: string;
  name: string;
  public: boolean;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  initiate_login_uri: string | null;
  allowed_origins: string[];
  created_at: string;
}

export function toClientView(row: OidcClient): ClientView {
  return {
    id: row.id,
    client_id: row.client_id,
    name: row.name,
    public: row.public === 1,
    redirect_uris: JSON.parse(row.redirect_uris) as string[],
    post_logout_redirect_uris: JSON.parse(row.post_logout_redirect_uris) as string[],
    initiate_login_uri: row.initiate_login_uri,
    allowed_origins: JSON.parse(row.allowed_origins) as string[],
    created_at: row.created_at,
  };
}

/** Redirect URIs: absolute, no fragment; https except loopback and native-app custom schemes (RFC 8252). */
function checkUris(field: string, uris: string[], options: { allowCustomScheme: boolean }): void {
  uris.forEach((uri, i) => {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw fieldInvalid(`${field}.${i}`, 'invalid_uri', `${field}[${i}] is not an absolute URL: "${uri}".`);
    }
    if (url.hash) throw fieldInvalid(`${field}.${i}`, 'invalid_uri', `${field}[${i}] must not have a fragment.`);
    const loopback = isLoopbackHost(url.hostname);
    if (url.protocol === 'http:' && !loopback) throw fieldInvalid(`${field}.${i}`, 'insecure_uri', `${field}[${i}] must use https (http only for localhost).`);
    if (!['http:', 'https:'].includes(url.protocol) && !options.allowCustomScheme) throw fieldInvalid(`${field}.${i}`, 'invalid_uri', `${field}[${i}] must be an http(s) URL.`);
  });
}

function checkOrigins(origins: string[]): void {
  origins.forEach((origin, i) => {
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    if (!url || url.origin !== origin) throw fieldInvalid(`allowed_origins.${i}`, 'invalid_origin', `allowed_origins[${i}] must be an origin such as https://app.example.com (no path or trailing slash).`);
  });
}

/** Creates a client; a confidential client's secret is returned once and stored as a SHA-256 hash. */
export async function createClient(db: Executor, { ctx }: Call, input: ClientInput): Promise<{ client: OidcClient; secret: string | undefined }> {
  const isPublic = input.public === true;
  checkUris('redirect_uris', input.redirect_uris, { allowCustomScheme: isPublic });
  checkUris('post_logout_redirect_uris', input.post_logout_redirect_uris ?? [], { allowCustomScheme: isPublic });
  if (input.initiate_login_uri && !/^https:\/\/[^/]/.test(input.initiate_login_uri)) {
    // OIDC Core §4: initiate_login_uri MUST use https.
    throw fieldInvalid('initiate_login_uri', 'insecure_uri', 'initiate_login_uri must be an https URL (OIDC Core §4).');
  }
  checkOrigins(input.allowed_origins ?? []);
  const secret = isPublic ? undefined : `ghcs_${randomString(32)}`;
  const client: OidcClient = {
    id: newId('cli'),
    client_id: `gh_${randomString(12)}`,
    name: input.name,
    secret_hash: secret ? hashToken(secret) : null,
    public: isPublic ? 1 : 0,
    redirect_uris: JSON.stringify(input.redirect_uris),
    post_logout_redirect_uris: JSON.stringify(input.post_logout_redirect_uris ?? []),
    initiate_login_uri: input.initiate_login_uri ?? null,
    allowed_origins: JSON.stringify(input.allowed_origins ?? []),
    builtin: 0,
    created_at: ctx.clock.now().toISOString(),
  };
  await db.insertInto('oidc_clients').values(client).execute();
  return { client, secret };
}

export async function getClient(db: Executor, id: string): Promise<OidcClient> {
  const row = await db.selectFrom('oidc_clients').selectAll().where('id', '=', id).where('builtin', '=', 0).executeTakeFirst();
  if (!row) throw notFound('client', id);
  return row;
}

export async function listClients(db: Executor): Promise<OidcClient[]> {
  return db.selectFrom('oidc_clients').selectAll().where('builtin', '=', 0).orderBy('id').execute();
}

export async function deleteClient(db: Executor, id: string): Promise<void> {
  const client = await getClient(db, id);
  if (client.builtin) throw conflict('builtin_client', 'The console client is built in and cannot be deleted.');
  await db.deleteFrom('oidc_clients').where('id', '=', id).execute();
}

export async function findClientByClientId(db: Executor, clientId: string): Promise<OidcClient | undefined> {
  return db.selectFrom('oidc_clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();
}

/** The console's secret is derived from the master key, so every replica agrees without storing it. */
export function consoleClientSecret(masterKey: Buffer): string {
  return `ghcs_${deriveKey(masterKey, 'console client secret').toString('base64url')}`;
}

/** The console is a built-in confidential client of the provider, kept in step with the base URL. */
export async function ensureConsoleClient(db: Executor, baseUrl: string, secret: string, now: string): Promise<void> {
  const values = {
    name: 'Gatehouse console',
    secret_hash: hashToken(secret),
    public: 0,
    redirect_uris: JSON.stringify([`${baseUrl}/console/callback`]),
    post_logout_redirect_uris: JSON.stringify([`${baseUrl}/console/signed-out`]),
    // OIDC Core §4 (and node-oidc-provider) want https here: only an https deployment announces it.
    initiate_login_uri: baseUrl.startsWith('https:') ? `${baseUrl}/console/login` : null,
    allowed_origins: '[]',
    builtin: 1,
  };
  await db
    .insertInto('oidc_clients')
    .values({ id: newId('cli'), client_id: CONSOLE_CLIENT_ID, created_at: now, ...values })
    .onConflict((oc) => oc.column('client_id').doUpdateSet(values))
    .execute();
}

/** The client metadata node-oidc-provider reads; client_secret holds the hash (see provider.ts). */
export function toProviderMetadata(row: OidcClient): Record<string, unknown> {
  const view = toClientView(row);
  return {
    client_id: row.client_id,
    client_name: row.name,
    ...(row.public ? { token_endpoint_auth_method: 'none' } : { client_secret: row.secret_hash, token_endpoint_auth_method: 'client_secret_basic' }),
    redirect_uris: view.redirect_uris,
    post_logout_redirect_uris: view.post_logout_redirect_uris,
    ...(view.initiate_login_uri ? { initiate_login_uri: view.initiate_login_uri } : {}),
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    id_token_signed_response_alg: 'RS256',
    'urn:gatehouse:allowed_origins': view.allowed_origins,
  };
}
