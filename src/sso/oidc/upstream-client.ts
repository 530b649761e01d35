import * as client from 'openid-client';
import type { SecretBox } from '../../crypto/secret-box.ts';
import type { Connection } from '../../db/schema.ts';
import { AppError } from '../../http/errors.ts';
import { readBodyAtMost } from '../../http/bounded-body.ts';
import { isLoopbackHost } from '../../http/urls.ts';
import { DiscoveryError, parseDiscoveryDocument, type DiscoveredProvider } from './discovery-document.ts';

/** How long a discovery document (and the JWKS openid-client keeps with the configuration) is reused. */
export const DISCOVERY_TTL_MS = 60 * 60_000;
const FETCH_TIMEOUT_MS = 10_000;
const MAX_DISCOVERY_BYTES = 512 * 1024;

export type Mode = 'production' | 'development';

/** The issuer could not be reached or answered something unusable; the message is for the customer's IT admin. */
export class UpstreamUnreachable extends AppError {
  constructor(message: string, detail?: string) {
    super(422, 'issuer_unreachable', message, { detail });
    this.name = 'UpstreamUnreachable';
  }
}

/** Downloads and checks an issuer's discovery document (bounded in time and size, issuer must match). */
export async function discoverIssuer(issuer: string, mode: Mode): Promise<{ provider: DiscoveredProvider; document: Record<string, unknown> }> {
  let url: URL;
  try {
    url = new URL(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`);
  } catch {
    throw new DiscoveryError('not_discovery', 'The issuer is not a URL.');
  }
  const loopbackDev = url.protocol === 'http:' && mode === 'development' && isLoopbackHost(url.hostname);
  if (url.protocol !== 'https:' && !loopbackDev) throw new DiscoveryError('insecure_endpoint', 'The issuer must be an https URL.');
  if (url.username || url.password) throw new DiscoveryError('not_discovery', 'The issuer URL must not contain a user name or password.');
  let text: string;
  try {
    const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/json' } });
    if (!res.ok) throw new UpstreamUnreachable(`The issuer's discovery document (${url.origin}${url.pathname}) answered HTTP ${res.status}. Check the issuer URL.`);
    const body = await readBodyAtMost(res, MAX_DISCOVERY_BYTES);
    if (!body) throw new DiscoveryError('not_discovery', 'The discovery document is larger than 512 kB.');
    text = body.toString('utf8');
  } catch (error) {
    if (error instanceof AppError) throw error;
    const reason = error instanceof Error && error.name === 'TimeoutError' ? 'did not answer within 10 seconds' : 'could not be reached';
    throw new UpstreamUnreachable(`The issuer ${url.origin} ${reason}. Check the issuer URL and that Gatehouse can reach it.`, error instanceof Error ? error.message : String(error));
  }
  const provider = parseDiscoveryDocument(text, { expectedIssuer: issuer, mode });
  return { provider, document: JSON.parse(text.replace(/^\uFEFF/, '')) as Record<string, unknown> };
}

interface Cached {
  key: string;
  at: number;
  provider: DiscoveredProvider;
  document: Record<string, unknown>;
}

/**
 * openid-client configurations per connection, from a discovery document kept until the connection
 * changes or it is older than DISCOVERY_TTL_MS. The configuration itself is new for each use: the ID
 * token's signature is checked against the JWKS (openid-client checks it only with non-repudiation
 * checks on), and oauth4webapi keeps a JWKS per configuration that it fetches again for an unknown
 * key only once that copy is 60 s old; a fresh configuration reads the provider's current JWKS, so a
 * provider that rotates and drops its old key at once (node-oidc-provider) keeps working.
 */
export function createUpstreamClients(options: { box: SecretBox; mode: Mode; now: () => number }) {
  const cache = new Map<string, Cached>();
  return {
    async configuration(connection: Connection): Promise<client.Configuration> {
      const key = `${connection.updated_at}|${connection.oidc_issuer}|${connection.oidc_client_id}`;
      let hit = cache.get(connection.id);
      if (!hit || hit.key !== key || options.now() - hit.at >= DISCOVERY_TTL_MS) {
        hit = { key, at: options.now(), ...(await discoverIssuer(connection.oidc_issuer!, options.mode)) };
        cache.set(connection.id, hit);
      }
      const { provider, document } = hit;
      const secret = options.box.open(connection.oidc_client_secret_sealed!, `connection-secret:${connection.id}`);
      const methods = Array.isArray(document.token_endpoint_auth_methods_supported) ? (document.token_endpoint_auth_methods_supported as string[]) : ['client_secret_basic'];
      // client_secret_basic is the default of the spec (and the only one some providers take); post otherwise.
      const auth = methods.includes('client_secret_basic') || !methods.includes('client_secret_post') ? client.ClientSecretBasic(secret) : client.ClientSecretPost(secret);
      const config = new client.Configuration(document as client.ServerMetadata, connection.oidc_client_id!, { client_secret: secret }, auth);
      config.timeout = FETCH_TIMEOUT_MS / 1000;
      if (new URL(provider.tokenEndpoint).protocol === 'http:') client.allowInsecureRequests(config);
      client.enableNonRepudiationChecks(config);
      return config;
    },
    forget(connectionId: string): void {
      cache.delete(connectionId);
    },
  };
}

export type UpstreamClients = ReturnType<typeof createUpstreamClients>;
