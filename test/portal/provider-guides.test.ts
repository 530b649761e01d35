/**
 * The setup wizard's provider catalogue (src/portal/providers/) against the contract the wizard pages
 * rely on: one guide per provider, the protocols sso/providers.ts offers, the values to paste, user
 * assignment, logos that are small self-contained SVGs, diagnose keys that are real refusal reasons,
 * and text fit to show as is.
 */
import { readFileSync, statSync } from 'node:fs';
import { DOMParser } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { CATALOGUE_ORDER, findGuide, providerGuides } from '../../src/portal/providers/index.ts';
import type { CopyValue, ProtocolGuide, ProviderGuide } from '../../src/portal/providers/guide.ts';
import { PROVIDER_KEYS, providers, type Protocol } from '../../src/sso/providers.ts';
import type { SsoRefusal } from '../../src/sso/refusals.ts';

const root = new URL('../../', import.meta.url);

// SsoRefusal is a type only: this list restates it, and the two checks below fail to compile when a
// reason is added to (or removed from) src/sso/refusals.ts and its unions without updating the list.
const SAML_ONLY = [
  'malformed', 'doctype_refused', 'sha1_refused', 'unsigned', 'signature_invalid', 'certificate_unknown',
  'multiple_assertions', 'assertion_missing', 'decryption_failed', 'audience_mismatch',
  'issuer_mismatch', 'destination_mismatch', 'bearer_missing', 'recipient_mismatch', 'expired', 'not_yet_valid',
  'in_response_to_mismatch', 'assertion_id_missing', 'in_response_to_unknown', 'relay_state_mismatch', 'replayed',
  'idp_initiated_disabled', 'idp_initiated_no_client', 'subject_missing',
] as const satisfies readonly SsoRefusal[];
// email_unverified: a SAML profile is always taken as verified (sso/attribute-mapping.ts).
const OIDC_ONLY = ['state_unknown', 'idp_unreachable', 'token_exchange_failed', 'id_token_invalid', 'email_unverified'] as const satisfies readonly SsoRefusal[];
const EITHER = [
  'idp_error', 'email_missing', 'email_invalid', 'email_outside_org_domains', 'auto_provision_off',
  'membership_disabled', 'identity_conflict', 'connection_inactive', 'not_a_member',
] as const satisfies readonly SsoRefusal[];
const REFUSALS: readonly SsoRefusal[] = [...SAML_ONLY, ...OIDC_ONLY, ...EITHER];
type Listed = (typeof SAML_ONLY)[number] | (typeof OIDC_ONLY)[number] | (typeof EITHER)[number];
const everyRefusalListed: [Exclude<SsoRefusal, Listed>] extends [never] ? true : never = true;
void everyRefusalListed;

const guides = PROVIDER_KEYS.map((key) => [key, providerGuides[key]] as const);

function protocolGuides(guide: ProviderGuide): [Protocol, ProtocolGuide][] {
  const out: [Protocol, ProtocolGuide][] = [];
  if (guide.saml) out.push(['saml', guide.saml]);
  if (guide.oidc) out.push(['oidc', guide.oidc]);
  return out;
}

function pasted(guide: ProtocolGuide): CopyValue[] {
  return guide.steps.flatMap((step) => (step.values ?? []).map((v) => v.value));
}

/** Every string the wizard shows from a guide, with where it comes from. */
function texts(guide: ProviderGuide): [string, string][] {
  const out: [string, string][] = [['name', guide.name]];
  for (const [protocol, p] of protocolGuides(guide)) {
    p.steps.forEach((step, i) => {
      out.push([`${protocol} step ${i + 1} title`, step.title]);
      step.body.forEach((paragraph, j) => out.push([`${protocol} step ${i + 1} body ${j + 1}`, paragraph]));
      (step.values ?? []).forEach((v) => out.push([`${protocol} step ${i + 1} label of ${v.value}`, v.label]));
    });
    out.push([`${protocol} whereToFindIdpDetails`, p.whereToFindIdpDetails]);
    p.commonMistakes.forEach((m, i) => out.push([`${protocol} mistake ${i + 1}`, m]));
  }
  if (guide.saml?.certificateLifetime !== undefined) out.push(['saml certificateLifetime', guide.saml.certificateLifetime]);
  for (const [reason, text] of Object.entries(guide.diagnose)) out.push([`diagnose ${reason}`, text]);
  return out;
}

describe('provider catalogue', () => {
  it('has one guide per provider key, under its own key, and the wizard order lists each once', () => {
    expect(Object.keys(providerGuides).sort()).toEqual([...PROVIDER_KEYS].sort());
    for (const [key, guide] of guides) expect(guide.key).toBe(key);
    expect(CATALOGUE_ORDER).toEqual([
      'okta', 'entra', 'google', 'onelogin', 'jumpcloud', 'ping', 'adfs', 'auth0', 'keycloak', 'generic-saml', 'generic-oidc',
    ]);
    expect(new Set(CATALOGUE_ORDER).size).toBe(PROVIDER_KEYS.length);
  });

  it('finds a guide by key and nothing for an unknown or inherited key', () => {
    expect(findGuide('entra')).toBe(providerGuides.entra);
    expect(findGuide('generic-oidc')).toBe(providerGuides['generic-oidc']);
    for (const key of ['azure', 'Okta', '', 'toString', '__proto__']) expect(findGuide(key)).toBeUndefined();
  });
});

describe.each(guides)('%s guide', (key, guide) => {
  it('is named as in sso/providers.ts', () => {
    expect(guide.name).toBe(providers[key].name);
  });

  it('has a protocol guide exactly for each protocol the provider offers', () => {
    expect(protocolGuides(guide).map(([protocol]) => protocol).sort()).toEqual([...providers[key].protocols].sort());
  });

  it('asks to paste the ACS URL and SP entity id (SAML) or the redirect URI (OIDC)', () => {
    if (guide.saml) expect(pasted(guide.saml)).toEqual(expect.arrayContaining<CopyValue>(['acs_url', 'sp_entity_id']));
    if (guide.oidc) expect(pasted(guide.oidc)).toContain<CopyValue>('redirect_uri');
    // A protocol's values never leak into the other's steps.
    if (guide.saml) expect(pasted(guide.saml)).not.toContain<CopyValue>('redirect_uri');
    if (guide.oidc) expect(pasted(guide.oidc)).not.toEqual(expect.arrayContaining<CopyValue>(['acs_url']));
  });

  it('says how users are assigned, in every protocol guide', () => {
    for (const [, p] of protocolGuides(guide)) {
      expect(p.steps.some((step) => /\bassign/i.test([step.title, ...step.body].join(' ')))).toBe(true);
    }
  });

  it('has steps with a title and a body, and says where the IdP details are and what goes wrong', () => {
    for (const [, p] of protocolGuides(guide)) {
      expect(p.steps.length).toBeGreaterThanOrEqual(2);
      for (const step of p.steps) {
        expect(step.title.trim()).not.toBe('');
        expect(step.body.length).toBeGreaterThan(0);
        for (const v of step.values ?? []) expect(v.label.trim()).not.toBe('');
      }
      expect(p.whereToFindIdpDetails.trim()).not.toBe('');
      expect(p.commonMistakes.length).toBeGreaterThan(0);
      // One sentence with its fix: "what went wrong: what to do".
      for (const mistake of p.commonMistakes) {
        expect(mistake.split(/(?<=[.!?])\s+/), mistake).toHaveLength(1);
        expect(mistake).toMatch(/\S: .+\.$/);
      }
    }
  });

  it('diagnoses only real refusal reasons that can happen with its protocols', () => {
    const reasons = Object.keys(guide.diagnose);
    expect(reasons.length).toBeGreaterThan(0);
    for (const reason of reasons) expect(REFUSALS).toContain(reason);
    if (!guide.saml) for (const reason of reasons) expect(SAML_ONLY).not.toContain(reason);
    if (!guide.oidc) for (const reason of reasons) expect(OIDC_ONLY).not.toContain(reason);
  });

  it('has text fit to show: no template markers, markup or empty strings, and no sentence over 40 words', () => {
    for (const [where, text] of texts(guide)) {
      expect(text.trim(), where).not.toBe('');
      expect(text, where).not.toMatch(/[{}<>]|\$\{|\b(TODO|TBD|FIXME|XXX)\b|lorem/i);
      for (const sentence of text.split(/(?<=[.!?])\s+/)) {
        expect(sentence.split(/\s+/).length, `${where}: "${sentence}"`).toBeLessThanOrEqual(40);
      }
    }
  });

  it('keeps its source file small', () => {
    expect(statSync(new URL(`src/portal/providers/${key}.ts`, root)).size).toBeLessThan(8 * 1024);
  });

  it('has a logo that is a small, well-formed, self-contained 40×40 SVG', () => {
    expect(guide.logo).toBe(`${key}.svg`);
    const text = readFileSync(new URL(`assets/providers/${guide.logo}`, root), 'utf8');
    expect(text.length).toBeLessThan(2048);
    const problems: string[] = [];
    const doc = new DOMParser({ onError: (level, message) => { problems.push(`${level}: ${message}`); } }).parseFromString(text, 'image/svg+xml');
    expect(problems).toEqual([]);
    const svg = doc.documentElement;
    expect(svg?.localName).toBe('svg');
    expect(svg?.namespaceURI).toBe('http://www.w3.org/2000/svg');
    expect(svg?.getAttribute('viewBox')).toBe('0 0 40 40');
    // Nothing fetched from elsewhere: no links, images, scripts or styles pulling in URLs.
    expect(text).not.toMatch(/href\s*=\s*["']?\s*(https?:|\/\/|data:)/i);
    expect(text).not.toMatch(/url\(|@import|<(image|script|foreignObject|use)\b/i);
  });
});
