import type { MetadataErrorCode } from '../../sso/saml/metadata.errors.ts';
import type { SamlSettingsInput } from '../../sso/saml/idp-settings.ts';

/**
 * The IdP details form (wizard step 3) read into settings input, or field errors said so an IT admin
 * knows what to fix. Values are trimmed; the client secret and the uploaded file are never echoed back.
 */

export type SamlMethod = 'url' | 'xml' | 'manual';
export const SAML_METHODS: readonly SamlMethod[] = ['url', 'xml', 'manual'];

export interface IdpFormValues {
  method: SamlMethod;
  metadata_url: string;
  metadata_xml: string;
  entity_id: string;
  idp_entity_id: string;
  sso_url: string;
  certificate: string;
  issuer: string;
  client_id: string;
}

export type IdpField = keyof IdpFormValues | 'client_secret' | 'metadata_file';
export type FieldErrors = Partial<Record<IdpField, string>>;

export const emptyValues = (method: SamlMethod = 'url'): IdpFormValues => ({
  method, metadata_url: '', metadata_xml: '', entity_id: '', idp_entity_id: '', sso_url: '', certificate: '', issuer: '', client_id: '',
});

const text = (body: Record<string, unknown>, name: string, max: number): string => {
  const value = body[name];
  return typeof value === 'string' ? value.trim().slice(0, max) : '';
};

export function readSamlForm(body: Record<string, unknown>): { values: IdpFormValues; input?: SamlSettingsInput; errors: FieldErrors } {
  const method = SAML_METHODS.find((m) => m === body.method) ?? 'url';
  const uploaded = typeof body.metadata_file === 'string' ? body.metadata_file.trim() : '';
  const values: IdpFormValues = {
    ...emptyValues(method),
    metadata_url: text(body, 'metadata_url', 2048),
    // An uploaded file fills the paste box when the form comes back, so that a choice (several IdPs in one
    // file) does not mean choosing the file again.
    metadata_xml: uploaded || (typeof body.metadata_xml === 'string' ? body.metadata_xml.trim() : ''),
    entity_id: text(body, 'entity_id', 1024),
    idp_entity_id: text(body, 'idp_entity_id', 1024),
    sso_url: text(body, 'sso_url', 2048),
    certificate: text(body, 'certificate', 65_536),
  };
  const entity = values.entity_id ? { entity_id: values.entity_id } : {};
  if (method === 'url') {
    if (!values.metadata_url) return { values, errors: { metadata_url: 'Enter the metadata URL your identity provider shows for this app.' } };
    return { values, input: { metadata_url: values.metadata_url, ...entity }, errors: {} };
  }
  if (method === 'xml') {
    if (!values.metadata_xml) return { values, errors: { metadata_xml: 'Choose the metadata XML file your identity provider gave you, or paste its contents.' } };
    return { values, input: { metadata_xml: values.metadata_xml, ...entity }, errors: {} };
  }
  const errors: FieldErrors = {};
  if (!values.idp_entity_id) errors.idp_entity_id = 'Enter the IdP entity id (also called issuer or Identity Provider Identifier).';
  if (!values.sso_url) errors.sso_url = 'Enter the IdP single sign-on URL (also called SSO URL or Login URL).';
  if (!values.certificate) errors.certificate = 'Paste the IdP signing certificate (it starts with -----BEGIN CERTIFICATE-----).';
  if (Object.keys(errors).length) return { values, errors };
  return { values, input: { idp_entity_id: values.idp_entity_id, sso_url: values.sso_url, certificates: [values.certificate] }, errors };
}

/** Which field a metadata refusal belongs to, by the way the settings were given. */
export function metadataErrorField(method: SamlMethod, code: MetadataErrorCode): IdpField {
  if (method === 'url') return 'metadata_url';
  if (method === 'xml') return 'metadata_xml';
  if (code === 'no_sso_url') return 'sso_url';
  if (code === 'no_idp') return 'idp_entity_id';
  return 'certificate';
}

export interface OidcInput {
  issuer: string;
  client_id: string;
  /** Undefined: keep the secret already saved. */
  client_secret: string | undefined;
}

export function readOidcForm(body: Record<string, unknown>, hasSavedSecret: boolean): { values: IdpFormValues; input?: OidcInput; errors: FieldErrors } {
  const values: IdpFormValues = { ...emptyValues(), issuer: text(body, 'issuer', 2048), client_id: text(body, 'client_id', 512) };
  // A secret is taken as typed: only a surrounding paste newline is dropped.
  const secret = typeof body.client_secret === 'string' ? body.client_secret.replace(/^[\r\n]+|[\r\n]+$/g, '') : '';
  const errors: FieldErrors = {};
  if (!values.issuer) errors.issuer = 'Enter the issuer URL of your identity provider (for example https://login.example.com).';
  else if (!URL.canParse(values.issuer)) errors.issuer = 'The issuer must be a full URL starting with https://.';
  if (!values.client_id) errors.client_id = 'Enter the client id (also called application id) your identity provider gave this app.';
  if (!secret && !hasSavedSecret) errors.client_secret = 'Enter the client secret your identity provider gave this app.';
  else if (secret.length > 4096) errors.client_secret = 'This is longer than any client secret (4096 characters at most).';
  if (Object.keys(errors).length) return { values, errors };
  return { values, input: { issuer: values.issuer, client_id: values.client_id, client_secret: secret || undefined }, errors };
}
