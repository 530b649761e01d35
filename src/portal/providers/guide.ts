import type { ProviderKey } from '../../sso/providers.ts';
import type { SsoRefusal } from '../../sso/refusals.ts';

/**
 * A provider's page in the setup wizard: how an IT admin sets up Gatehouse in that IdP, step by step, in
 * the IdP's own vocabulary (menu paths, field labels), written in our words from IDP-GUIDES.md. The
 * attribute names Gatehouse reads by default live in sso/providers.ts; the wizard shows those.
 */

/** A value the wizard fills in and shows with a copy button. */
export type CopyValue = 'acs_url' | 'sp_entity_id' | 'sp_metadata_url' | 'redirect_uri' | 'attribute_names' | 'scim_base_url' | 'scim_token';

export interface GuideStep {
  /** Short imperative title: "Create the app integration". */
  title: string;
  /** One or more plain-text paragraphs; a menu path is written with " › " between its items. */
  body: string[];
  /** The values this step asks to paste into the IdP, each shown with the IdP's own field label. */
  values?: Array<{ value: CopyValue; label: string }>;
}

export interface ProtocolGuide {
  steps: GuideStep[];
  /** What the IdP calls the place where its metadata URL / issuer is shown, for the collect step. */
  whereToFindIdpDetails: string;
  /** Mistakes admins of this IdP make, each one sentence with the fix. */
  commonMistakes: string[];
}

export interface ProviderGuide {
  key: ProviderKey;
  name: string;
  /** File under assets/providers/ (an SVG drawn for Gatehouse: a simple mark, no vendor trademark artwork copied). */
  logo: string;
  saml?: ProtocolGuide & {
    /** How long this IdP's signing certificates last by default, in words ("3 years"). */
    certificateLifetime?: string;
  };
  oidc?: ProtocolGuide;
  /** Per refusal reason, the fix in this IdP's own words (the wizard's diagnostics). */
  diagnose: Partial<Record<SsoRefusal, string>>;
}
