import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT_DIR } from '../../../src/paths.ts';
import { DiscoveryError, parseDiscoveryDocument } from '../../../src/sso/oidc/discovery-document.ts';

const FIXTURES = path.resolve(ROOT_DIR, '../shared/fixtures/oidc-discovery');
const read = (file: string) => fs.readFileSync(path.join(FIXTURES, file), 'utf8');
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof DiscoveryError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a DiscoveryError');
};

describe('OIDC discovery documents from real providers (../shared/fixtures/oidc-discovery)', () => {
  it.each([
    ['okta-org.json', 'https://example.okta.com', 'https://example.okta.com/oauth2/v1/token', true],
    ['entra-id-tenant.json', 'https://sts.windows.net/6babcaad-604b-40ac-a9d7-9fd97c0b779f/', 'https://login.microsoftonline.com/6babcaad-604b-40ac-a9d7-9fd97c0b779f/oauth2/v2.0/token', true],
    ['adfs.json', 'https://fs.contoso.com/adfs', 'https://fs.contoso.com/adfs/oauth2/token/', true],
    ['keycloak.json', 'https://keycloak.example.com/auth/realms/lagoon', 'https://keycloak.example.com/auth/realms/lagoon/protocol/openid-connect/token', true],
    ['auth0.json', 'https://op.example.com/', 'https://op.example.com/oauth/token', true],
    ['google.json', 'https://accounts.google.com', 'https://oauth2.googleapis.com/token', true],
  ])('%s parses (BOMs, trailing slashes and all)', (file, issuer, tokenEndpoint, hasJwks) => {
    const doc = parseDiscoveryDocument(read(file), { mode: 'production' });
    expect(doc.issuer).toBe(issuer);
    expect(doc.tokenEndpoint).toBe(tokenEndpoint);
    expect(Boolean(doc.jwksUri)).toBe(hasJwks);
    expect(doc.authorizationEndpoint).toMatch(/^https:\/\//);
    // The configured issuer must match the document's exactly (Discovery §4.3).
    expect(parseDiscoveryDocument(read(file), { mode: 'production', expectedIssuer: issuer }).issuer).toBe(issuer);
  });

  it("refuses Entra ID's common endpoint: its issuer is a {tenantid} template no token can match", () => {
    expect(refusal(() => parseDiscoveryDocument(read('entra-id-common.json'), { mode: 'production' }))).toMatchObject({ code: 'issuer_template', message: expect.stringContaining("Use your tenant's own issuer") });
  });

  it('reads what the flow needs: no userinfo or logout for Entra, iss parameter and S256 where listed', () => {
    const entra = parseDiscoveryDocument(read('entra-id-tenant.json'), { mode: 'production' });
    expect(entra.endSessionEndpoint).toBe('https://login.microsoftonline.com/6babcaad-604b-40ac-a9d7-9fd97c0b779f/oauth2/v2.0/logout');
    const google = parseDiscoveryDocument(read('google.json'), { mode: 'production' });
    expect(google.endSessionEndpoint).toBeUndefined();
    expect(google.s256Listed).toBe(true);
    expect(google.idTokenSigningAlgs).toContain('RS256');
  });
});

describe('discovery documents Gatehouse refuses', () => {
  const base = { issuer: 'https://idp.example', authorization_endpoint: 'https://idp.example/auth', token_endpoint: 'https://idp.example/token', jwks_uri: 'https://idp.example/jwks' };
  const parse = (doc: unknown, options: { expectedIssuer?: string; mode?: 'production' | 'development' } = {}) => parseDiscoveryDocument(typeof doc === 'string' ? doc : JSON.stringify(doc), { mode: 'production', ...options });

  it.each([
    ['an HTML login page', '<!doctype html><title>Sign in</title>', 'not_json'],
    ['JSON without an issuer', { foo: 1 }, 'not_discovery'],
    ['no token endpoint', { ...base, token_endpoint: undefined }, 'missing_endpoint'],
    ['an http endpoint in production', { ...base, jwks_uri: 'http://idp.example/jwks' }, 'insecure_endpoint'],
    ['a different issuer than configured (mix-up)', base, 'issuer_mismatch'],
    ['no code flow', { ...base, response_types_supported: ['id_token', 'token id_token'] }, 'no_code_flow'],
    ['PKCE without S256', { ...base, code_challenge_methods_supported: ['plain'] }, 'no_s256'],
  ])('%s', (_label, doc, code) => {
    expect(refusal(() => parse(doc, code === 'issuer_mismatch' ? { expectedIssuer: 'https://other.example' } : {})).code).toBe(code);
  });

  it('allows plain http only to loopback, and only in development mode (local test IdPs)', () => {
    const local = { ...base, issuer: 'http://127.0.0.1:9000', authorization_endpoint: 'http://127.0.0.1:9000/auth', token_endpoint: 'http://127.0.0.1:9000/token', jwks_uri: 'http://127.0.0.1:9000/jwks' };
    expect(parse(local, { mode: 'development' }).tokenEndpoint).toBe('http://127.0.0.1:9000/token');
    expect(refusal(() => parse(local)).code).toBe('insecure_endpoint');
  });
});
