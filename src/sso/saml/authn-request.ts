import { randomBytes } from 'node:crypto';
import type { Call } from '../../context.ts';
import type { Executor } from '../../db/database.ts';
import type { Connection, UpstreamPurpose } from '../../db/schema.ts';
import type { SpKey } from './sp-keys.ts';
import { samlEndpoints } from './sp-endpoints.ts';

/** How long Gatehouse waits for the IdP's answer to an AuthnRequest. */
export const REQUEST_TTL_MS = 15 * 60_000;

export type AuthnRequestMessage =
  | { binding: 'redirect'; url: string }
  | { binding: 'post'; url: string; fields: { SAMLRequest: string; RelayState: string } };

/**
 * Starts an SP-initiated sign-in: a signed AuthnRequest (RSA-SHA256 with the current SP signing key),
 * over HTTP-Redirect, or HTTP-POST for IdPs that offer only that. Its ID and RelayState are stored so
 * the answer can be bound to this sign-in without a cookie (the answer is a cross-site POST).
 */
export async function createAuthnRequest(
  db: Executor,
  { ctx }: Call,
  connection: Connection,
  signing: SpKey,
  signIn: { purpose: UpstreamPurpose; interactionUid: string | null; loginHint?: string },
): Promise<AuthnRequestMessage> {
  const id = `_${randomBytes(20).toString('hex')}`;
  const relayState = randomBytes(18).toString('base64url');
  const now = ctx.clock.now();
  await db
    .insertInto('saml_requests')
    .values({ id, connection_id: connection.id, interaction_uid: signIn.interactionUid, purpose: signIn.purpose, relay_state: relayState, expires_at: new Date(now.getTime() + REQUEST_TTL_MS).toISOString(), created_at: now.toISOString() })
    .execute();
  const sp = samlEndpoints(ctx.config.baseUrl, connection.id);
  // Loaded on first use: node-saml and its XML stack cost ~0.5 s of start-up for deployments without SAML.
  const { SAML } = await import('@node-saml/node-saml');
  const saml = new SAML({
    // Not used to build a request; node-saml requires one.
    idpCert: 'unused',
    issuer: sp.entityId,
    callbackUrl: sp.acsUrl,
    entryPoint: connection.saml_sso_url!,
    privateKey: signing.privateKeyPem,
    signatureAlgorithm: 'sha256',
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    generateUniqueId: () => id,
    // "unspecified": an IdP sends its configured NameID; asking for emailAddress breaks AD FS without a rule for it.
    identifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
    // No RequestedAuthnContext: asking for a password context breaks MFA and Windows sign-in at Entra ID and AD FS.
    disableRequestedAuthnContext: true,
    // Entra ID pre-fills the account picker from login_hint; other IdPs ignore unknown parameters.
    additionalAuthorizeParams: signIn.loginHint && connection.provider === 'entra' ? { login_hint: signIn.loginHint } : {},
  });
  if (connection.saml_sso_binding === 'post') {
    const message = (await saml.getAuthorizeMessageAsync(relayState, undefined, {})) as { SAMLRequest: string; RelayState: string };
    return { binding: 'post', url: connection.saml_sso_url!, fields: { SAMLRequest: message.SAMLRequest, RelayState: message.RelayState } };
  }
  return { binding: 'redirect', url: await saml.getAuthorizeUrlAsync(relayState, undefined, {}) };
}
