import { isProviderKey, PROVIDER_KEYS, type ProviderKey } from '../../sso/providers.ts';
import { adfs } from './adfs.ts';
import { auth0 } from './auth0.ts';
import { entra } from './entra.ts';
import { genericOidc } from './generic-oidc.ts';
import { genericSaml } from './generic-saml.ts';
import { google } from './google.ts';
import type { ProviderGuide } from './guide.ts';
import { jumpcloud } from './jumpcloud.ts';
import { keycloak } from './keycloak.ts';
import { okta } from './okta.ts';
import { onelogin } from './onelogin.ts';
import { ping } from './ping.ts';

/** The setup wizard's provider catalogue: one guide per provider Gatehouse knows. */
export const providerGuides: Record<ProviderKey, ProviderGuide> = {
  okta,
  entra,
  google,
  onelogin,
  jumpcloud,
  ping,
  adfs,
  auth0,
  keycloak,
  'generic-saml': genericSaml,
  'generic-oidc': genericOidc,
};

/** The order the wizard lists providers in: the catalogue's own order (named IdPs first, generic protocols last). */
export const CATALOGUE_ORDER: readonly ProviderKey[] = PROVIDER_KEYS;

/** The guide for a key from a URL or form, or undefined for a key Gatehouse does not know. */
export function findGuide(key: string): ProviderGuide | undefined {
  return isProviderKey(key) ? providerGuides[key] : undefined;
}
