import { AppError } from '../../http/errors.ts';
import { isLoopbackHost } from '../../http/urls.ts';

/** What Gatehouse needs from an OpenID provider's discovery document (OpenID Connect Discovery 1.0 §3). */
export interface DiscoveredProvider {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  jwksUri: string;
  userinfoEndpoint: string | undefined;
  endSessionEndpoint: string | undefined;
  /** RFC 9207: the provider sends `iss` with the authorization response. */
  issParameterSupported: boolean;
  /** Absent from many documents (Entra ID); PKCE S256 is sent anyway, and refused only when the document lists methods without S256. */
  s256Listed: boolean | undefined;
  idTokenSigningAlgs: string[];
}

export type DiscoveryErrorCode = 'not_json' | 'not_discovery' | 'missing_endpoint' | 'insecure_endpoint' | 'issuer_template' | 'issuer_mismatch' | 'no_code_flow' | 'no_s256';

/** A discovery document Gatehouse cannot use; the message is written for the customer's IT admin. */
export class DiscoveryError extends AppError {
  declare readonly code: DiscoveryErrorCode;
  constructor(code: DiscoveryErrorCode, message: string) {
    super(422, code, message);
    this.name = 'DiscoveryError';
  }
}

const MAX_BYTES = 512 * 1024;

function endpoint(doc: Record<string, unknown>, field: string, options: { required: boolean; allowHttpLoopback: boolean }): string | undefined {
  const value = doc[field];
  if (value === undefined || value === null || value === '') {
    if (options.required) throw new DiscoveryError('missing_endpoint', `The discovery document has no ${field}, which Gatehouse needs.`);
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new DiscoveryError('not_discovery', `${field} is not a URL (${String(value).slice(0, 100)}).`);
  }
  const loopback = isLoopbackHost(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback && options.allowHttpLoopback)) {
    throw new DiscoveryError('insecure_endpoint', `${field} must be an https URL (got ${url.protocol}//${url.host}).`);
  }
  return url.href;
}

/**
 * Reads a discovery document as providers really publish it (a UTF-8 BOM from Microsoft, an issuer with
 * a trailing slash from Auth0) and refuses what cannot work: Entra ID's `common` template issuer, an
 * issuer other than the one configured (Discovery §4.3, the mix-up defence), no code flow, no S256.
 */
export function parseDiscoveryDocument(text: string, options: { expectedIssuer?: string; mode: 'production' | 'development' }): DiscoveredProvider {
  if (Buffer.byteLength(text, 'utf8') > MAX_BYTES) throw new DiscoveryError('not_discovery', 'The discovery document is larger than 512 kB.');
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    throw new DiscoveryError('not_json', 'The issuer did not answer with JSON at /.well-known/openid-configuration. Check the issuer URL.');
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc) || typeof (doc as Record<string, unknown>).issuer !== 'string') {
    throw new DiscoveryError('not_discovery', 'This is not an OpenID Connect discovery document (it has no issuer).');
  }
  const d = doc as Record<string, unknown>;
  const issuer = d.issuer as string;
  if (/\{[^}]+\}/.test(issuer)) {
    throw new DiscoveryError('issuer_template', `The issuer "${issuer}" is a template (Microsoft's multi-tenant "common" endpoint). Use your tenant's own issuer, such as https://login.microsoftonline.com/<tenant id>/v2.0.`);
  }
  if (options.expectedIssuer !== undefined && issuer !== options.expectedIssuer) {
    throw new DiscoveryError('issuer_mismatch', `The document's issuer is "${issuer}", not the configured "${options.expectedIssuer}". They must match exactly (OpenID Connect Discovery §4.3).`);
  }
  const allowHttpLoopback = options.mode === 'development';
  const responseTypes = Array.isArray(d.response_types_supported) ? (d.response_types_supported as unknown[]).map(String) : undefined;
  if (responseTypes && !responseTypes.some((t) => t.split(' ').includes('code'))) {
    throw new DiscoveryError('no_code_flow', 'The provider does not offer the authorization code flow (response type "code").');
  }
  const methods = Array.isArray(d.code_challenge_methods_supported) ? (d.code_challenge_methods_supported as unknown[]).map(String) : undefined;
  if (methods && !methods.includes('S256')) throw new DiscoveryError('no_s256', 'The provider does not support PKCE with S256, which Gatehouse requires.');
  return {
    issuer,
    authorizationEndpoint: endpoint(d, 'authorization_endpoint', { required: true, allowHttpLoopback })!,
    tokenEndpoint: endpoint(d, 'token_endpoint', { required: true, allowHttpLoopback })!,
    jwksUri: endpoint(d, 'jwks_uri', { required: true, allowHttpLoopback })!,
    userinfoEndpoint: endpoint(d, 'userinfo_endpoint', { required: false, allowHttpLoopback }),
    endSessionEndpoint: endpoint(d, 'end_session_endpoint', { required: false, allowHttpLoopback }),
    issParameterSupported: d.authorization_response_iss_parameter_supported === true,
    s256Listed: methods ? true : undefined,
    idTokenSigningAlgs: Array.isArray(d.id_token_signing_alg_values_supported) ? (d.id_token_signing_alg_values_supported as unknown[]).map(String) : [],
  };
}
