import { describe, expect, it } from 'vitest';
import { mapOidcProfile, mapSamlProfile, type Profile, type ProfileResult, type SamlProfileInput } from '../../src/sso/attribute-mapping.ts';
import { PROVIDER_KEYS, findProvider, providers } from '../../src/sso/providers.ts';

// What each IdP sends by default, attribute names exactly as IDP-GUIDES.md gives them.
const WS = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims';
const MS = 'http://schemas.microsoft.com/identity/claims';
const ENTRA_GROUPS = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups';
const ADFS_GROUP = 'http://schemas.xmlsoap.org/claims/Group';
const NAMEID_EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const NAMEID_UNSPECIFIED = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';
const NAMEID_PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';

function accepted(result: ProfileResult): Profile {
  if (!result.ok) throw new Error(`expected a profile, got the refusal ${result.reason}`);
  return result.profile;
}

const jane = { email: 'jane.doe@acme.test', firstName: 'Jane', lastName: 'Doe' };

/** A SAML payload per provider and the profile it must give. */
const samlDefaults: { provider: string; what: string; input: SamlProfileInput; profile: Profile }[] = [
  {
    provider: 'okta',
    what: 'Okta username as NameID (Unspecified), the recommended attribute statements and a group attribute statement',
    input: {
      nameId: 'jane.doe@acme.test',
      nameIdFormat: NAMEID_UNSPECIFIED,
      attributes: { email: ['Jane.Doe@ACME.test'], firstName: ['Jane'], lastName: ['Doe'], groups: ['Everyone', 'Engineering'] },
    },
    profile: { subject: 'jane.doe@acme.test', ...jane, emailVerified: true, groups: ['Everyone', 'Engineering'] },
  },
  {
    provider: 'entra',
    what: 'UPN as NameID (emailAddress), the default claims of a non-gallery app and a group claim of object ids',
    input: {
      nameId: 'jane.doe@acme.onmicrosoft.com',
      nameIdFormat: NAMEID_EMAIL,
      attributes: {
        [`${MS}/tenantid`]: ['9188040d-6c67-4c5b-b112-36a304b66dad'],
        [`${MS}/objectidentifier`]: ['00000000-0000-0000-66f3-3332eca7ea81'],
        [`${WS}/name`]: ['jane.doe@acme.onmicrosoft.com'],
        [`${WS}/surname`]: ['Doe'],
        [`${WS}/givenname`]: ['Jane'],
        [`${MS}/displayname`]: ['Jane Doe'],
        [`${MS}/identityprovider`]: ['https://sts.windows.net/9188040d-6c67-4c5b-b112-36a304b66dad/'],
        'http://schemas.microsoft.com/claims/authnmethodsreferences': ['http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password'],
        [`${WS}/emailaddress`]: ['jane.doe@acme.test'],
        [ENTRA_GROUPS]: ['6a2f1c3e-0b7d-4a4e-9a51-2d3b0c9e8f11', 'b0c4e7d2-5f3a-4c1b-8e9d-7a6f5e4d3c2b'],
      },
    },
    profile: {
      subject: 'jane.doe@acme.onmicrosoft.com',
      ...jane,
      emailVerified: true,
      groups: ['6a2f1c3e-0b7d-4a4e-9a51-2d3b0c9e8f11', 'b0c4e7d2-5f3a-4c1b-8e9d-7a6f5e4d3c2b'],
    },
  },
  {
    provider: 'google',
    what: 'primary email as NameID (Unspecified), the recommended attribute mapping and group membership',
    input: {
      nameId: 'jane.doe@acme.test',
      nameIdFormat: NAMEID_UNSPECIFIED,
      attributes: { email: ['jane.doe@acme.test'], firstName: ['Jane'], lastName: ['Doe'], groups: ['engineering@acme.test'] },
    },
    profile: { subject: 'jane.doe@acme.test', ...jane, emailVerified: true, groups: ['engineering@acme.test'] },
  },
  {
    provider: 'onelogin',
    what: 'email NameID and the parameters email / firstName / lastName / groups',
    input: {
      nameId: 'jane.doe@acme.test',
      nameIdFormat: NAMEID_EMAIL,
      attributes: { email: ['jane.doe@acme.test'], firstName: ['Jane'], lastName: ['Doe'], groups: ['Default', 'Engineering'] },
    },
    profile: { subject: 'jane.doe@acme.test', ...jane, emailVerified: true, groups: ['Default', 'Engineering'] },
  },
  {
    provider: 'jumpcloud',
    what: 'email NameID (unspecified), the attributes email / firstName / lastName and the default memberOf group attribute',
    input: {
      nameId: 'jane.doe@acme.test',
      nameIdFormat: NAMEID_UNSPECIFIED,
      attributes: { email: ['jane.doe@acme.test'], firstName: ['Jane'], lastName: ['Doe'], memberOf: ['All Users', 'Engineering'] },
    },
    profile: { subject: 'jane.doe@acme.test', ...jane, emailVerified: true, groups: ['All Users', 'Engineering'] },
  },
  {
    provider: 'ping',
    what: 'saml_subject left on User ID (a UUID) with the email / firstName / lastName / groups mappings',
    input: {
      nameId: '5d2c8f0e-3b1a-4c7d-9e6f-0a1b2c3d4e5f',
      nameIdFormat: NAMEID_UNSPECIFIED,
      attributes: { email: ['jane.doe@acme.test'], firstName: ['Jane'], lastName: ['Doe'], groups: ['Engineering'] },
    },
    profile: { subject: '5d2c8f0e-3b1a-4c7d-9e6f-0a1b2c3d4e5f', ...jane, emailVerified: true, groups: ['Engineering'] },
  },
  {
    provider: 'adfs',
    what: 'a Transform rule NameID (Email) and the Send LDAP Attributes as Claims rule',
    input: {
      nameId: 'jane.doe@acme.test',
      nameIdFormat: NAMEID_EMAIL,
      attributes: {
        [`${WS}/emailaddress`]: ['jane.doe@acme.test'],
        [`${WS}/givenname`]: ['Jane'],
        [`${WS}/surname`]: ['Doe'],
        [`${WS}/name`]: ['Jane Doe'],
        [`${WS}/upn`]: ['jdoe@corp.acme.test'],
        [ADFS_GROUP]: ['Domain Users', 'Engineering'],
      },
    },
    profile: { subject: 'jane.doe@acme.test', ...jane, emailVerified: true, groups: ['Domain Users', 'Engineering'] },
  },
  {
    provider: 'auth0',
    what: 'the user_id NameID (Unspecified) and the addon\'s default mappings',
    input: {
      nameId: 'auth0|64f1c2d3e4b5a6978899aabb',
      nameIdFormat: NAMEID_UNSPECIFIED,
      attributes: {
        [`${WS}/nameidentifier`]: ['auth0|64f1c2d3e4b5a6978899aabb'],
        [`${WS}/emailaddress`]: ['jane.doe@acme.test'],
        [`${WS}/name`]: ['jane.doe@acme.test'],
        [`${WS}/givenname`]: ['Jane'],
        [`${WS}/surname`]: ['Doe'],
        [`${WS}/upn`]: ['jane.doe@acme.test'],
        [ADFS_GROUP]: ['admins'],
        'http://schemas.auth0.com/email_verified': ['true'],
      },
    },
    profile: { subject: 'auth0|64f1c2d3e4b5a6978899aabb', ...jane, emailVerified: true, groups: ['admins'] },
  },
  {
    provider: 'keycloak',
    what: 'the username NameID, User Property mappers, a full-path Group list and the default Role list',
    input: {
      nameId: 'jdoe',
      nameIdFormat: NAMEID_UNSPECIFIED,
      attributes: { Role: ['offline_access', 'uma_authorization'], email: ['jane.doe@acme.test'], firstName: ['Jane'], lastName: ['Doe'], groups: ['/engineering', '/engineering/platform'] },
    },
    profile: { subject: 'jdoe', ...jane, emailVerified: true, groups: ['/engineering', '/engineering/platform'] },
  },
  {
    provider: 'generic-saml',
    what: 'a persistent NameID and eduPerson/LDAP OIDs',
    input: {
      nameId: 'AAdzZWNyZXQxMzZlZk8ODd3kx4SwYQ==',
      nameIdFormat: NAMEID_PERSISTENT,
      attributes: {
        'urn:oid:0.9.2342.19200300.100.1.3': ['jane.doe@acme.test'],
        'urn:oid:2.5.4.42': ['Jane'],
        'urn:oid:2.5.4.4': ['Doe'],
        memberOf: ['cn=engineering,ou=groups,dc=acme,dc=test'],
      },
    },
    profile: { subject: 'AAdzZWNyZXQxMzZlZk8ODd3kx4SwYQ==', ...jane, emailVerified: true, groups: ['cn=engineering,ou=groups,dc=acme,dc=test'] },
  },
];

/** ID token (and userinfo) claims per provider and the profile they must give. */
const oidcDefaults: { provider: string; what: string; claims: Record<string, unknown>; profile: Profile }[] = [
  {
    provider: 'okta',
    what: 'openid email profile with a groups claim',
    claims: {
      iss: 'https://acme.okta.com', sub: '00u1ab2cd3EF4gh5i6j7', email: 'jane.doe@acme.test', email_verified: true, name: 'Jane Doe',
      given_name: 'Jane', family_name: 'Doe', preferred_username: 'jane.doe@acme.test', groups: ['Everyone', 'Engineering'],
    },
    profile: { subject: '00u1ab2cd3EF4gh5i6j7', ...jane, emailVerified: true, groups: ['Everyone', 'Engineering'] },
  },
  {
    provider: 'entra',
    what: 'no email_verified, a pairwise sub, oid, optional given_name / family_name and a groups claim',
    claims: {
      iss: 'https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0', sub: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ',
      oid: '00000000-0000-0000-66f3-3332eca7ea81', tid: '9188040d-6c67-4c5b-b112-36a304b66dad', name: 'Jane Doe',
      preferred_username: 'jane.doe@acme.test', email: 'jane.doe@acme.test', given_name: 'Jane', family_name: 'Doe',
      groups: ['6a2f1c3e-0b7d-4a4e-9a51-2d3b0c9e8f11'],
    },
    profile: { subject: '00000000-0000-0000-66f3-3332eca7ea81', ...jane, emailVerified: true, groups: ['6a2f1c3e-0b7d-4a4e-9a51-2d3b0c9e8f11'] },
  },
  {
    provider: 'google',
    what: 'email, email_verified and hd, no groups',
    claims: {
      iss: 'https://accounts.google.com', sub: '110169484474386276334', email: 'jane.doe@acme.test', email_verified: true, hd: 'acme.test',
      name: 'Jane Doe', given_name: 'Jane', family_name: 'Doe',
    },
    profile: { subject: '110169484474386276334', ...jane, emailVerified: true, groups: null },
  },
  {
    provider: 'onelogin',
    what: 'standard claims with email_verified and groups',
    claims: {
      iss: 'https://acme.onelogin.com/oidc/2', sub: '123456789', email: 'jane.doe@acme.test', email_verified: true,
      given_name: 'Jane', family_name: 'Doe', groups: ['Engineering'],
    },
    profile: { subject: '123456789', ...jane, emailVerified: true, groups: ['Engineering'] },
  },
  {
    provider: 'ping',
    what: 'standard claims with email_verified and a groups mapping',
    claims: {
      iss: 'https://auth.pingone.eu/0d3b7c1e-aaaa-bbbb-cccc-1234567890ab/as', sub: '5d2c8f0e-3b1a-4c7d-9e6f-0a1b2c3d4e5f',
      email: 'jane.doe@acme.test', email_verified: true, given_name: 'Jane', family_name: 'Doe', groups: ['Engineering'],
    },
    profile: { subject: '5d2c8f0e-3b1a-4c7d-9e6f-0a1b2c3d4e5f', ...jane, emailVerified: true, groups: ['Engineering'] },
  },
  {
    provider: 'auth0',
    what: 'an auth0| sub with email_verified, nickname and picture, no groups',
    claims: {
      iss: 'https://acme.eu.auth0.com/', sub: 'auth0|64f1c2d3e4b5a6978899aabb', email: 'jane.doe@acme.test', email_verified: true,
      name: 'Jane Doe', given_name: 'Jane', family_name: 'Doe', nickname: 'jane.doe', picture: 'https://s.gravatar.com/avatar/x.png',
    },
    profile: { subject: 'auth0|64f1c2d3e4b5a6978899aabb', ...jane, emailVerified: true, groups: null },
  },
  {
    provider: 'keycloak',
    what: 'the default scopes and a Group Membership mapper with full paths',
    claims: {
      iss: 'https://id.acme.test/realms/acme', sub: 'f1e2d3c4-b5a6-4798-8a9b-0c1d2e3f4a5b', email: 'jane.doe@acme.test', email_verified: true,
      name: 'Jane Doe', given_name: 'Jane', family_name: 'Doe', preferred_username: 'jdoe', groups: ['/engineering'],
    },
    profile: { subject: 'f1e2d3c4-b5a6-4798-8a9b-0c1d2e3f4a5b', ...jane, emailVerified: true, groups: ['/engineering'] },
  },
  {
    provider: 'generic-oidc',
    what: 'standard claims and a groups claim',
    claims: { iss: 'https://idp.acme.test', sub: 'u-42', email: 'jane.doe@acme.test', email_verified: true, given_name: 'Jane', family_name: 'Doe', groups: ['staff'] },
    profile: { subject: 'u-42', ...jane, emailVerified: true, groups: ['staff'] },
  },
];

describe('provider catalogue', () => {
  it('lists every provider once, with defaults for exactly the protocols it offers', () => {
    expect(PROVIDER_KEYS).toEqual(['okta', 'entra', 'google', 'onelogin', 'jumpcloud', 'ping', 'adfs', 'auth0', 'keycloak', 'generic-saml', 'generic-oidc']);
    for (const key of PROVIDER_KEYS) {
      const provider = providers[key];
      expect(provider.key).toBe(key);
      expect(provider.saml !== undefined).toBe(provider.protocols.includes('saml'));
      expect(provider.oidc !== undefined).toBe(provider.protocols.includes('oidc'));
    }
    expect(findProvider('rippling')).toBeUndefined();
  });

  it('trusts an absent email_verified only for Entra ID, which never sends it', () => {
    const trusted = PROVIDER_KEYS.filter((key) => providers[key].oidc?.emailVerifiedTrusted);
    expect(trusted).toEqual(['entra']);
  });

  it('has a test payload for every provider and protocol it offers', () => {
    expect(samlDefaults.map((c) => c.provider)).toEqual(PROVIDER_KEYS.filter((key) => providers[key].protocols.includes('saml')));
    expect(oidcDefaults.map((c) => c.provider)).toEqual(PROVIDER_KEYS.filter((key) => providers[key].protocols.includes('oidc')));
  });
});

describe('mapSamlProfile: each provider\'s default assertion', () => {
  it.each(samlDefaults)('$provider: $what', ({ provider, input, profile }) => {
    expect(mapSamlProfile(input, provider)).toEqual({ ok: true, profile });
  });
});

describe('mapOidcProfile: each provider\'s default claims', () => {
  it.each(oidcDefaults)('$provider: $what', ({ provider, claims, profile }) => {
    expect(mapOidcProfile(claims, provider)).toEqual({ ok: true, profile });
  });
});

describe('mapSamlProfile', () => {
  const okta = samlDefaults.find((c) => c.provider === 'okta')!.input;

  it('takes the connection\'s own attribute names before the defaults, and falls back to the defaults without them', () => {
    const input = {
      nameId: 'jdoe',
      attributes: { 'User.Email': ['jane@acme.test'], email: ['other@acme.test'], fn: ['J.'], firstName: ['Jane'], sn2: ['D.'], roles: ['r1', 'r2'], groups: ['g'] },
    };
    expect(accepted(mapSamlProfile(input, 'okta', { email: 'User.Email', firstName: 'fn', lastName: 'sn2', groups: 'roles' }))).toEqual({
      subject: 'jdoe', email: 'jane@acme.test', emailVerified: true, firstName: 'J.', lastName: 'D.', groups: ['r1', 'r2'],
    });
    // A custom name the assertion lacks: the provider's default names still apply.
    expect(accepted(mapSamlProfile(input, 'okta', { email: 'mailAddress' })).email).toBe('other@acme.test');
  });

  it('prefers the custom name even when it only matches case-insensitively', () => {
    const input = { nameId: 'jdoe', attributes: { EMAILADDR: ['custom@acme.test'], email: ['default@acme.test'] } };
    expect(accepted(mapSamlProfile(input, 'okta', { email: 'emailAddr' })).email).toBe('custom@acme.test');
  });

  it('matches attribute names case-insensitively when no exact name is present', () => {
    const input = { nameId: 'jdoe', attributes: { Email: ['jane@acme.test'], FIRSTNAME: ['Jane'], LastName: ['Doe'], Groups: ['eng'] } };
    expect(accepted(mapSamlProfile(input, 'keycloak'))).toEqual({
      subject: 'jdoe', email: 'jane@acme.test', emailVerified: true, firstName: 'Jane', lastName: 'Doe', groups: ['eng'],
    });
    const entra = { nameId: 'x', attributes: { 'HTTP://SCHEMAS.XMLSOAP.ORG/ws/2005/05/identity/claims/EmailAddress': ['jane@acme.test'] } };
    expect(accepted(mapSamlProfile(entra, 'entra')).email).toBe('jane@acme.test');
  });

  it('prefers an exact name to an earlier default matched only case-insensitively', () => {
    // `email` comes before `mail` in the defaults; `EMAIL` only folds to it, `mail` is exact.
    const input = { nameId: 'jdoe', attributes: { EMAIL: ['folded@acme.test'], mail: ['exact@acme.test'] } };
    expect(accepted(mapSamlProfile(input, 'generic-saml')).email).toBe('exact@acme.test');
  });

  it('tries the provider\'s names before the generic ones, and the generic ones when the provider\'s are absent', () => {
    const both = { nameId: 'x', attributes: { mail: ['generic@acme.test'], [`${WS}/emailaddress`]: ['entra@acme.test'] } };
    expect(accepted(mapSamlProfile(both, 'entra')).email).toBe('entra@acme.test');
    const generic = { nameId: 'jdoe', attributes: { mail: ['jane@acme.test'], givenName: ['Jane'], sn: ['Doe'], memberOf: ['eng'] } };
    expect(accepted(mapSamlProfile(generic, 'okta'))).toMatchObject({ email: 'jane@acme.test', firstName: 'Jane', lastName: 'Doe', groups: ['eng'] });
  });

  it('trims and lower-cases the email, and takes the first value of a multi-valued attribute', () => {
    const input = { nameId: 'jdoe', attributes: { email: ['  Jane.Doe@Acme.TEST \n', 'alias@acme.test'], firstName: ['  Jane '] } };
    expect(accepted(mapSamlProfile(input, 'okta'))).toMatchObject({ email: 'jane.doe@acme.test', firstName: 'Jane', lastName: null });
  });

  it('treats an attribute sent without a value as not sent', () => {
    const input = { nameId: 'jane@acme.test', attributes: { email: [''], mail: ['  '], firstName: [] } };
    expect(accepted(mapSamlProfile(input, 'okta'))).toMatchObject({ email: 'jane@acme.test', firstName: null });
  });

  describe('NameID as the email fallback', () => {
    it('uses a NameID of format emailAddress when no email attribute is sent (Entra user without a mailbox)', () => {
      const input = { nameId: 'Jane.Doe@acme.test', nameIdFormat: NAMEID_EMAIL, attributes: { [`${WS}/givenname`]: ['Jane'] } };
      expect(accepted(mapSamlProfile(input, 'entra'))).toMatchObject({ subject: 'Jane.Doe@acme.test', email: 'jane.doe@acme.test', firstName: 'Jane' });
    });

    it('uses an email-shaped NameID of another format (Okta, Google: Unspecified)', () => {
      const input = { nameId: 'jane@acme.test', nameIdFormat: NAMEID_UNSPECIFIED, attributes: {} };
      expect(accepted(mapSamlProfile(input, 'google'))).toMatchObject({ subject: 'jane@acme.test', email: 'jane@acme.test', groups: null });
      expect(accepted(mapSamlProfile({ nameId: 'jane@acme.test', attributes: {} }, 'okta')).email).toBe('jane@acme.test');
    });

    it('prefers the email attribute to an email NameID (Entra UPN differing from the mailbox)', () => {
      const input = { nameId: 'jane@acme.onmicrosoft.com', nameIdFormat: NAMEID_EMAIL, attributes: { [`${WS}/emailaddress`]: ['jane@acme.test'] } };
      expect(accepted(mapSamlProfile(input, 'entra'))).toMatchObject({ subject: 'jane@acme.onmicrosoft.com', email: 'jane@acme.test' });
    });
  });

  describe('groups', () => {
    it('keeps a single value whole, commas included, and drops blanks and repeats', () => {
      const input = { nameId: 'x@acme.test', attributes: { groups: ['CN=Eng,OU=Groups,DC=acme,DC=test', ' eng ', 'eng', ''] } };
      expect(accepted(mapSamlProfile(input, 'okta')).groups).toEqual(['CN=Eng,OU=Groups,DC=acme,DC=test', 'eng']);
    });

    it('is null when no groups attribute is sent: the IdP does not say', () => {
      expect(accepted(mapSamlProfile({ nameId: 'x@acme.test', attributes: {} }, 'adfs')).groups).toBeNull();
    });

    it('is empty when a groups attribute comes without a value (or blank ones): in no group', () => {
      expect(accepted(mapSamlProfile({ nameId: 'x@acme.test', attributes: { groups: [] } }, 'okta')).groups).toEqual([]);
      expect(accepted(mapSamlProfile({ nameId: 'x@acme.test', attributes: { Groups: [' '] } }, 'okta')).groups).toEqual([]);
    });

    it('takes a later name with values over an earlier one sent empty', () => {
      const input = { nameId: 'x@acme.test', attributes: { roles: [], groups: ['eng'] } };
      expect(accepted(mapSamlProfile(input, 'okta', { groups: 'roles' })).groups).toEqual(['eng']);
    });
  });

  describe('refusals', () => {
    it('subject_missing: AD FS without a NameID claim rule sends no NameID', () => {
      const input = { nameId: '', attributes: { [`${WS}/emailaddress`]: ['jane@acme.test'] } };
      expect(mapSamlProfile(input, 'adfs')).toEqual({ ok: false, reason: 'subject_missing' });
      expect(mapSamlProfile({ ...input, nameId: '  ' }, 'adfs')).toEqual({ ok: false, reason: 'subject_missing' });
    });

    it('email_missing: no email attribute and a NameID that is no email (Keycloak username, Auth0 user_id)', () => {
      expect(mapSamlProfile({ nameId: 'jdoe', nameIdFormat: NAMEID_UNSPECIFIED, attributes: { Role: ['offline_access'] } }, 'keycloak')).toEqual({ ok: false, reason: 'email_missing' });
      expect(mapSamlProfile({ nameId: 'auth0|abc', attributes: { [`${WS}/name`]: ['Jane'] } }, 'auth0')).toEqual({ ok: false, reason: 'email_missing' });
    });

    it('email_invalid: an email attribute or emailAddress NameID that is not one address', () => {
      const bad = [
        'a@b.test<!---->.evil', // comment-injection leftover
        'jane@acme.test.evil.test@attacker.test', // two @
        'jane doe@acme.test', // inner space
        'jane@acme.test\u0000.evil', // control character
        'jane\n@acme.test',
        'jane@acme', // no dotted domain
        '@acme.test',
        'jane@',
        `${'a'.repeat(250)}@acme.test`, // over 254 characters
      ];
      for (const value of bad) {
        expect(mapSamlProfile({ ...okta, attributes: { email: [value] } }, 'okta'), value).toEqual({ ok: false, reason: 'email_invalid' });
      }
      expect(mapSamlProfile({ nameId: 'jdoe', nameIdFormat: NAMEID_EMAIL, attributes: {} }, 'onelogin')).toEqual({ ok: false, reason: 'email_invalid' });
      // An email-shaped NameID that is not a valid address.
      expect(mapSamlProfile({ nameId: 'jdoe@localhost', attributes: {} }, 'keycloak')).toEqual({ ok: false, reason: 'email_invalid' });
    });

    it('email_invalid does not fall back to the NameID: a bad attribute is a misconfiguration to show', () => {
      expect(mapSamlProfile({ nameId: 'jane@acme.test', nameIdFormat: NAMEID_EMAIL, attributes: { email: ['Jane Doe'] } }, 'okta')).toEqual({ ok: false, reason: 'email_invalid' });
    });
  });

  it('refuses, as a bug, a provider it does not know or that has no SAML', () => {
    expect(() => mapSamlProfile(okta, 'rippling')).toThrow('Unknown identity provider "rippling".');
    expect(() => mapSamlProfile(okta, 'generic-oidc')).toThrow('has no saml defaults');
  });
});

describe('mapOidcProfile', () => {
  const entra = oidcDefaults.find((c) => c.provider === 'entra')!.claims;
  const keycloak = oidcDefaults.find((c) => c.provider === 'keycloak')!.claims;

  describe('Entra ID', () => {
    it('links by oid, not the pairwise sub, and falls back to sub without oid', () => {
      expect(accepted(mapOidcProfile(entra, 'entra')).subject).toBe('00000000-0000-0000-66f3-3332eca7ea81');
      const { oid: _oid, ...withoutOid } = entra;
      expect(accepted(mapOidcProfile(withoutOid, 'entra')).subject).toBe('AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ');
      // Other providers' `oid` claims mean nothing special.
      expect(accepted(mapOidcProfile({ ...keycloak, oid: 'x' }, 'keycloak')).subject).toBe('f1e2d3c4-b5a6-4798-8a9b-0c1d2e3f4a5b');
    });

    it('trusts an email without email_verified, from preferred_username or upn when email is absent', () => {
      const { email: _email, ...noEmail } = entra;
      expect(accepted(mapOidcProfile({ ...noEmail, preferred_username: 'Jane.Doe@acme.test' }, 'entra'))).toMatchObject({ email: 'jane.doe@acme.test', emailVerified: true });
      const { preferred_username: _p, ...upnOnly } = noEmail;
      expect(accepted(mapOidcProfile({ ...upnOnly, upn: 'jane@acme.test' }, 'entra')).email).toBe('jane@acme.test');
    });

    it('refuses the unflagged email when the connection sets trustEmails: false', () => {
      expect(mapOidcProfile(entra, 'entra', { trustEmails: false })).toEqual({ ok: false, reason: 'email_unverified' });
    });
  });

  describe('email_verified', () => {
    it('Keycloak: false is refused unless the connection trusts its emails', () => {
      const unverified = { ...keycloak, email_verified: false };
      expect(mapOidcProfile(unverified, 'keycloak')).toEqual({ ok: false, reason: 'email_unverified' });
      expect(accepted(mapOidcProfile(unverified, 'keycloak', { trustEmails: true }))).toMatchObject({ email: 'jane.doe@acme.test', emailVerified: false });
    });

    it('reads the strings "true" and "false" as the booleans', () => {
      expect(accepted(mapOidcProfile({ ...keycloak, email_verified: 'true' }, 'keycloak')).emailVerified).toBe(true);
      expect(mapOidcProfile({ ...keycloak, email_verified: 'false' }, 'keycloak')).toEqual({ ok: false, reason: 'email_unverified' });
      expect(mapOidcProfile({ ...keycloak, email_verified: 'False' }, 'keycloak')).toEqual({ ok: false, reason: 'email_unverified' });
    });

    it('treats an absent or unreadable flag as absent: refused where the IdP normally sends one, unless trustEmails', () => {
      const { email_verified: _flag, ...absent } = keycloak;
      expect(mapOidcProfile(absent, 'keycloak')).toEqual({ ok: false, reason: 'email_unverified' });
      expect(mapOidcProfile({ ...absent, email_verified: 1 }, 'generic-oidc')).toEqual({ ok: false, reason: 'email_unverified' });
      expect(accepted(mapOidcProfile(absent, 'keycloak', { trustEmails: true })).emailVerified).toBe(true);
    });

    it('does not let email_verified vouch for an address read from another claim', () => {
      // email_verified describes `email` (OIDC Core §5.1), not a custom `upn` claim.
      const claims = { ...keycloak, email: 'jane@acme.test', upn: 'admin@acme.test', email_verified: true };
      expect(mapOidcProfile(claims, 'keycloak', { email: 'upn' })).toEqual({ ok: false, reason: 'email_unverified' });
      expect(accepted(mapOidcProfile(claims, 'keycloak', { email: 'upn', trustEmails: true })).email).toBe('admin@acme.test');
    });
  });

  it('takes the connection\'s own claim names before the defaults', () => {
    const claims = {
      sub: 'u-1', email: 'jane@acme.test', email_verified: true, mail: 'other@acme.test', first: 'J.', given_name: 'Jane', last: 'D.',
      'https://acme.test/roles': ['admin', 'staff'], groups: ['g'],
    };
    expect(accepted(mapOidcProfile(claims, 'auth0', { firstName: 'first', lastName: 'last', groups: 'https://acme.test/roles' }))).toEqual({
      subject: 'u-1', email: 'jane@acme.test', emailVerified: true, firstName: 'J.', lastName: 'D.', groups: ['admin', 'staff'],
    });
    // A custom email claim: email_verified no longer speaks for it, the connection must trust it.
    expect(accepted(mapOidcProfile(claims, 'generic-oidc', { email: 'mail', trustEmails: true })).email).toBe('other@acme.test');
    // A custom name absent from the claims: the defaults apply.
    expect(accepted(mapOidcProfile(claims, 'generic-oidc', { groups: 'roles' })).groups).toEqual(['g']);
  });

  it('matches claim names exactly: JSON claims are case-sensitive', () => {
    expect(mapOidcProfile({ sub: 'u-1', Email: 'jane@acme.test', email_verified: true }, 'generic-oidc')).toEqual({ ok: false, reason: 'email_missing' });
  });

  it('tells a missing groups claim (null) from an empty one ([])', () => {
    const { groups: _groups, ...noGroups } = keycloak;
    expect(accepted(mapOidcProfile(noGroups, 'keycloak')).groups).toBeNull();
    expect(accepted(mapOidcProfile({ ...keycloak, groups: null }, 'keycloak')).groups).toBeNull();
    expect(accepted(mapOidcProfile({ ...keycloak, groups: [] }, 'keycloak')).groups).toEqual([]);
  });

  it('accepts a single-string groups claim whole and ignores non-string members', () => {
    expect(accepted(mapOidcProfile({ ...keycloak, groups: 'Eng, Platform' }, 'keycloak')).groups).toEqual(['Eng, Platform']);
    expect(accepted(mapOidcProfile({ ...keycloak, groups: ['a', 7, null, 'a', ' b '] }, 'keycloak')).groups).toEqual(['a', 'b']);
  });

  describe('refusals', () => {
    it('subject_missing: no sub, a blank one, or one that is not a string', () => {
      const { sub: _sub, ...noSub } = keycloak;
      expect(mapOidcProfile(noSub, 'keycloak')).toEqual({ ok: false, reason: 'subject_missing' });
      expect(mapOidcProfile({ ...keycloak, sub: '' }, 'keycloak')).toEqual({ ok: false, reason: 'subject_missing' });
      expect(mapOidcProfile({ ...keycloak, sub: 42 }, 'keycloak')).toEqual({ ok: false, reason: 'subject_missing' });
      const { oid: _oid, sub: _s, ...entraNeither } = entra;
      expect(mapOidcProfile(entraNeither, 'entra')).toEqual({ ok: false, reason: 'subject_missing' });
    });

    it('email_missing: no email claim (email scope not requested) or a blank one', () => {
      const { email: _email, ...noEmail } = keycloak;
      expect(mapOidcProfile(noEmail, 'keycloak')).toEqual({ ok: false, reason: 'email_missing' });
      expect(mapOidcProfile({ ...keycloak, email: '  ' }, 'keycloak')).toEqual({ ok: false, reason: 'email_missing' });
    });

    it('email_invalid: not one address, or not a string', () => {
      for (const email of ['a@b.test<!---->.evil', 'a@b@acme.test', 'jane doe@acme.test', 'jane\r\n@acme.test', ['jane@acme.test'], 42]) {
        expect(mapOidcProfile({ ...keycloak, email }, 'keycloak'), JSON.stringify(email)).toEqual({ ok: false, reason: 'email_invalid' });
      }
      // Surrounding space, a trailing newline included, is trimmed like any other.
      expect(accepted(mapOidcProfile({ ...keycloak, email: ' Jane@Acme.test\r\n' }, 'keycloak')).email).toBe('jane@acme.test');
    });

    it('email_unverified: Okta, Google and Auth0 saying false', () => {
      for (const provider of ['okta', 'google', 'auth0']) {
        const { claims } = oidcDefaults.find((c) => c.provider === provider)!;
        expect(mapOidcProfile({ ...claims, email_verified: false }, provider)).toEqual({ ok: false, reason: 'email_unverified' });
      }
    });
  });

  it('refuses, as a bug, a provider it does not know or that has no OIDC', () => {
    expect(() => mapOidcProfile(keycloak, 'rippling')).toThrow('Unknown identity provider "rippling".');
    expect(() => mapOidcProfile(keycloak, 'adfs')).toThrow('has no oidc defaults');
  });
});
