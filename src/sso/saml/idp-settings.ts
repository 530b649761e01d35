import { certificateInfo, MetadataError, parseIdpMetadata, type CertificateInfo } from './idp-metadata.ts';
import { isLoopbackHost } from '../../http/urls.ts';
import { fetchIdpMetadata } from './metadata-fetch.ts';

/**
 * An IdP's SAML settings, whichever way the admin gave them: metadata XML (pasted or uploaded), a metadata
 * URL (downloaded by the caller before this, outside any transaction), or by hand.
 */
export type SamlSettingsInput =
  | { metadata_xml: string; entity_id?: string }
  | { metadata_url: string; entity_id?: string }
  | { idp_entity_id: string; sso_url: string; certificates: string[] };

export interface IdpSettings {
  entityId: string;
  ssoUrl: string;
  binding: 'redirect' | 'post';
  certificates: CertificateInfo[];
  /** Set when the settings came from a URL: it is downloaded again every day. */
  metadataUrl: string | null;
  /** Where the certificates came from: metadata (pasted, uploaded or downloaded) or typed by hand. */
  source: 'metadata' | 'manual';
}

export const MAX_MANUAL_CERTIFICATES = 5;

/** Reads metadata (XML text) into settings; `metadataUrl` is where it came from, if anywhere. */
export function settingsFromMetadata(xml: string, options: { entityId?: string; metadataUrl: string | null; now: Date; mode: string }): IdpSettings {
  const metadata = parseIdpMetadata(xml, { entityId: options.entityId, now: options.now });
  const redirect = metadata.ssoUrl.redirect;
  const ssoUrl = redirect ?? metadata.ssoUrl.post!;
  checkSsoUrl(ssoUrl, options.mode);
  return { entityId: metadata.entityId, ssoUrl, binding: redirect ? 'redirect' : 'post', certificates: metadata.certificates, metadataUrl: options.metadataUrl, source: 'metadata' };
}

/** Settings typed by hand: an entity id, an SSO URL (HTTP-Redirect binding) and one or more PEM certificates. */
export function settingsFromManualInput(input: { idp_entity_id: string; sso_url: string; certificates: string[] }, options: { now: Date; mode: string }): IdpSettings {
  const entityId = input.idp_entity_id.trim();
  if (entityId === '' || entityId.length > 1024) throw new MetadataError('no_idp', 'The IdP entity id (issuer) is required and at most 1024 characters.');
  checkSsoUrl(input.sso_url.trim(), options.mode);
  if (input.certificates.length === 0) {
    throw new MetadataError('no_signing_certificate', 'At least one IdP signing certificate is required: Gatehouse only accepts signed SAML responses.');
  }
  if (input.certificates.length > MAX_MANUAL_CERTIFICATES) {
    throw new MetadataError('bad_certificate', `At most ${MAX_MANUAL_CERTIFICATES} signing certificates can be trusted at once.`);
  }
  const certificates: CertificateInfo[] = [];
  for (const pem of input.certificates) {
    const info = certificateInfo(pem, options.now);
    if (!certificates.some((c) => c.fingerprintSha256 === info.fingerprintSha256)) certificates.push(info);
  }
  return { entityId, ssoUrl: input.sso_url.trim(), binding: 'redirect', certificates, metadataUrl: null, source: 'manual' };
}

/** The IdP's sign-in URL: https (http only for a loopback IdP in development mode), no credentials. */
function checkSsoUrl(value: string, mode: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new MetadataError('no_sso_url', 'The IdP single sign-on URL is not a valid URL.');
  }
  const loopbackDev = url.protocol === 'http:' && mode === 'development' && isLoopbackHost(url.hostname);
  if (url.protocol !== 'https:' && !loopbackDev) {
    throw new MetadataError('no_sso_url', `The IdP single sign-on URL must use https (it is ${url.protocol.replace(':', '')}).`);
  }
  if (url.username || url.password) throw new MetadataError('no_sso_url', 'The IdP single sign-on URL must not contain a user name or password.');
  if (value.length > 2048) throw new MetadataError('no_sso_url', 'The IdP single sign-on URL is longer than 2048 characters.');
}

/**
 * Settings from whichever input the admin gave. A metadata URL is downloaded here, before any
 * transaction opens (never wait on the network inside one).
 */
export async function resolveSamlSettings(input: SamlSettingsInput, options: { now: Date; mode: 'production' | 'development' }): Promise<IdpSettings> {
  if ('metadata_url' in input) {
    const xml = await fetchIdpMetadata(input.metadata_url, { mode: options.mode });
    return settingsFromMetadata(xml, { entityId: input.entity_id, metadataUrl: input.metadata_url, now: options.now, mode: options.mode });
  }
  if ('metadata_xml' in input) return settingsFromMetadata(input.metadata_xml, { entityId: input.entity_id, metadataUrl: null, now: options.now, mode: options.mode });
  return settingsFromManualInput(input, options);
}
