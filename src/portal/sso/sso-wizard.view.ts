import type { Connection, ConnectionCertificate } from '../../db/schema.ts';
import type { AttributeMapping } from '../../sso/attribute-mapping.ts';
import type { FieldNames } from '../../sso/providers.ts';
import { findProvider, type Protocol } from '../../sso/providers.ts';
import { oidcRedirectUri } from '../../sso/oidc/oidc-sso.ts';
import { samlEndpoints } from '../../sso/saml/sp-endpoints.ts';
import type { CopyValue, ProtocolGuide, ProviderGuide } from '../providers/guide.ts';
import { CATALOGUE_ORDER, findGuide } from '../providers/index.ts';
import type { Progress, WizardStep } from './sso-wizard.service.ts';

/** What the wizard's templates get: plain values, nothing to compute in nunjucks. */

export const STEP_LABELS: Record<WizardStep, string> = {
  provider: 'Choose provider',
  instructions: 'Set up the app',
  idp: 'IdP details',
  mapping: 'Attributes',
  test: 'Test sign-in',
  activate: 'Activate',
};

export const stepPath = (step: WizardStep, connectionId?: string): string =>
  step === 'provider' ? `/portal/sso/provider${connectionId ? `?connection=${connectionId}` : ''}` : `/portal/sso/${connectionId}/${step}`;

export interface StepView {
  number: number;
  label: string;
  state: 'done' | 'current' | 'todo';
  /** Absent while the step cannot be opened yet. */
  href: string | undefined;
}

export function stepsView(current: WizardStep, connection: Connection | undefined, progress: Progress | undefined): StepView[] {
  const complete = progress !== undefined && progress.settingsMissing.length === 0;
  const done: Record<WizardStep, boolean> = {
    provider: connection !== undefined,
    instructions: complete,
    idp: complete,
    mapping: complete && progress.mappingSaved,
    test: progress?.tested !== undefined,
    activate: connection?.state === 'active',
  };
  const open: Record<WizardStep, boolean> = {
    provider: true, instructions: connection !== undefined, idp: connection !== undefined, mapping: complete, test: complete, activate: done.test || connection?.state === 'active',
  };
  return (Object.keys(STEP_LABELS) as WizardStep[]).map((step, index) => ({
    number: index + 1,
    label: STEP_LABELS[step],
    state: step === current ? 'current' : done[step] ? 'done' : 'todo',
    href: open[step] ? stepPath(step, connection?.id) : undefined,
  }));
}

/** The generic protocols' guides are named after the protocol: in sentences they are "your identity provider". */
const GENERIC: readonly string[] = ['generic-saml', 'generic-oidc'];

export interface ProviderCard {
  key: string;
  name: string;
  logo: string;
  protocols: readonly Protocol[];
  /** "SAML or OIDC", "SAML", "OIDC". */
  protocolText: string;
}

export function providerCards(): ProviderCard[] {
  return CATALOGUE_ORDER.map((key) => {
    const guide = findGuide(key)!;
    const entry = findProvider(key)!;
    const protocolText = GENERIC.includes(key) ? `Any other ${entry.protocols[0] === 'saml' ? 'SAML' : 'OIDC'} identity provider` : entry.protocols.map((p) => p.toUpperCase()).join(' or ');
    return { key, name: guide.name, logo: `providers/${guide.logo}`, protocols: entry.protocols, protocolText };
  });
}

/**
 * The connection's provider: `name` for headings and lists, `idpName` for sentences ("Sign in through
 * Okta", "Sign in through your identity provider").
 */
export function providerOf(connection: Pick<Connection, 'provider' | 'type'>): { name: string; idpName: string; logo: string; guide: ProviderGuide | undefined; steps: ProtocolGuide | undefined } {
  const guide = findGuide(connection.provider);
  const name = guide?.name ?? findProvider(connection.provider)?.name ?? connection.provider;
  return {
    name,
    idpName: GENERIC.includes(connection.provider) ? 'your identity provider' : name,
    logo: guide ? `providers/${guide.logo}` : '',
    guide,
    steps: guide?.[connection.type],
  };
}

/** The name a wizard-made connection gets: "Okta SAML", "Microsoft Entra ID OIDC", or the protocol alone. */
export function connectionName(provider: string, type: Protocol): string {
  const protocol = type === 'saml' ? 'SAML' : 'OIDC';
  return GENERIC.includes(provider) ? `${protocol} connection` : `${providerOf({ provider, type }).name} ${protocol}`;
}

export interface ConnectionSummary {
  id: string;
  name: string;
  state: string;
  type: 'saml' | 'oidc';
  protocol: string;
  provider: { name: string; logo: string };
}

export function connectionSummary(connection: Connection): ConnectionSummary {
  const { name, logo } = providerOf(connection);
  const protocol = connection.type === 'saml' ? 'SAML 2.0' : 'OpenID Connect';
  // "SAML 2.0 · SAML 2.0" says nothing: the generic providers are named after their protocol.
  return { id: connection.id, name: connection.name, state: connection.state, type: connection.type, protocol: name === protocol ? '' : protocol, provider: { name, logo } };
}

const FIELD_LABELS: Record<keyof FieldNames, string> = { email: 'Email', firstName: 'First name', lastName: 'Last name', groups: 'Groups' };
export const MAPPING_FIELDS = Object.keys(FIELD_LABELS) as Array<keyof FieldNames>;

export interface MappingRow {
  field: keyof FieldNames;
  label: string;
  /** What the form shows: the connection's own name, else the provider's first default. */
  value: string;
  /** Every name Gatehouse tries by default, in order. */
  defaults: readonly string[];
}

export function mappingRows(connection: Connection, typed?: AttributeMapping): MappingRow[] {
  const own = typed ?? (JSON.parse(connection.attribute_mapping) as AttributeMapping);
  const defaults = findProvider(connection.provider)?.[connection.type];
  return MAPPING_FIELDS.map((field) => ({ field, label: FIELD_LABELS[field], value: own[field] ?? defaults?.[field][0] ?? '', defaults: defaults?.[field] ?? [] }));
}

/**
 * The admin's names, as overrides only: a name that is the provider's first default is not stored, so that
 * choosing another provider later brings that provider's defaults while the names typed by hand stay.
 */
export function mappingFromForm(connection: Connection, body: Record<string, unknown>): { mapping: AttributeMapping; errors: Partial<Record<keyof FieldNames, string>> } {
  const defaults = findProvider(connection.provider)?.[connection.type];
  const mapping: AttributeMapping = {};
  const errors: Partial<Record<keyof FieldNames, string>> = {};
  for (const field of MAPPING_FIELDS) {
    const raw = body[field];
    const value = typeof raw === 'string' ? raw.trim() : '';
    if (value.length > 512) errors[field] = 'An attribute name is at most 512 characters.';
    else if (value && value !== defaults?.[field][0]) mapping[field] = value;
  }
  if (!mapping.email && !defaults?.email.length) errors.email = 'Enter the attribute that carries the email address.';
  return { mapping, errors };
}

/** The values an IdP asks for, for the copy buttons; undefined where the protocol has none. */
export function copyValues(baseUrl: string, connection: Connection): Partial<Record<CopyValue, string>> {
  if (connection.type === 'oidc') return { redirect_uri: oidcRedirectUri(baseUrl, connection.id) };
  const sp = samlEndpoints(baseUrl, connection.id);
  return { acs_url: sp.acsUrl, sp_entity_id: sp.entityId, sp_metadata_url: sp.metadataUrl };
}

/** Labels for the values a guide step does not label itself (the fallback when a guide is missing). */
export const COPY_LABELS: Partial<Record<CopyValue, string>> = {
  acs_url: 'ACS URL (Assertion Consumer Service, also called Reply URL or Single sign-on URL)',
  sp_entity_id: 'SP entity id (Audience URI, Identifier)',
  sp_metadata_url: 'SP metadata URL',
  redirect_uri: 'Redirect URI (sign-in redirect URI, callback URL)',
};

export interface CertificateView {
  fingerprint: string;
  subject: string;
  /** In words: "29 Nov 2036, 08:13 UTC". */
  notAfter: string;
  expired: boolean;
  /** Expires within 30 days. */
  expiringSoon: boolean;
}

export function certificateViews(certificates: ConnectionCertificate[], now: Date): CertificateView[] {
  const soon = now.getTime() + 30 * 24 * 60 * 60_000;
  return certificates.map((c) => ({
    fingerprint: c.fingerprint_sha256, subject: c.subject, notAfter: formatTime(c.not_after),
    expired: Date.parse(c.not_after) < now.getTime(),
    expiringSoon: Date.parse(c.not_after) >= now.getTime() && Date.parse(c.not_after) < soon,
  }));
}

/** "22 Nov 2026, 09:00 UTC": times the same for every reader, whatever the server's locale. */
export function formatTime(iso: string): string {
  const d = new Date(iso);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCDate()} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()}, ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}
