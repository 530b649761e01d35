import { describe, expect, it } from 'vitest';
import { applyPatch, ScimPatchError, type ScimPatchErrorType } from '../../src/scim/patch.ts';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const USER_OPTIONS = { schemaUris: [CORE_USER, ENTERPRISE] };
const GROUP_OPTIONS = { schemaUris: [CORE_GROUP] };

const USER_ID = 'user_01JD6Q7R8S9T0V1W2X3Y4Z5A6B';
const MANAGER_ID = 'user_01JD6Q7R8S9T0V1W2X3Y4Z5A6C';
const GROUP_ID = 'grp_01JD6Q7R8S9T0V1W2X3Y4Z5A6D';
const member = (n: number) => `user_01JD6Q7R8S9T0V1W2X${String(n).padStart(6, '0')}`;

/** The User as Gatehouse returns it after Entra created it (fresh per test: fixtures are never shared). */
function user(): Record<string, unknown> {
  return {
    schemas: [CORE_USER, ENTERPRISE],
    id: USER_ID,
    externalId: 'ada.lovelace',
    userName: 'ada@acme.example',
    name: { formatted: 'Ada Lovelace', familyName: 'Lovelace', givenName: 'Ada' },
    displayName: 'Ada Lovelace',
    title: 'Analyst',
    active: true,
    emails: [
      { value: 'ada@acme.example', type: 'work', primary: true },
      { value: 'ada@home.example', type: 'home', primary: false },
    ],
    phoneNumbers: [{ value: '+44 20 7946 0000', type: 'work' }],
    addresses: [{ type: 'work', streetAddress: '12 Marylebone Rd', locality: 'London', postalCode: 'NW1 5LR', country: 'GB', primary: true }],
    [ENTERPRISE]: { employeeNumber: '1815', department: 'Engineering', manager: { value: MANAGER_ID, displayName: 'Charles Babbage' } },
    meta: {
      resourceType: 'User',
      created: '2026-12-01T09:00:00.000Z',
      lastModified: '2026-12-01T09:00:00.000Z',
      location: `https://gatehouse.acme.example/scim/v2/dir_01JD6Q7R8S9T0V1W2X3Y4Z5A6E/Users/${USER_ID}`,
      version: 'W/"1"',
    },
  };
}

function group(memberCount = 2): Record<string, unknown> {
  return {
    schemas: [CORE_GROUP],
    id: GROUP_ID,
    externalId: '8f3a2c1e-5b7d-4e9f-a0c2-1d3e5f7a9b0c',
    displayName: 'Engineering',
    members: Array.from({ length: memberCount }, (_, i) => ({ value: member(i), display: `person${i}@acme.example` })),
    meta: { resourceType: 'Group', created: '2026-12-01T09:00:00.000Z', lastModified: '2026-12-01T09:00:00.000Z' },
  };
}

const body = (...Operations: unknown[]) => ({ schemas: [PATCH_OP], Operations });

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Inputs are frozen, so any mutation of the resource or of the request throws. */
const patchUser = (resource: Record<string, unknown>, request: unknown) => applyPatch(deepFreeze(resource), deepFreeze(request), USER_OPTIONS);
const patchGroup = (resource: Record<string, unknown>, request: unknown) => applyPatch(deepFreeze(resource), deepFreeze(request), GROUP_OPTIONS);

function expectScimError(run: () => unknown, scimType: ScimPatchErrorType): ScimPatchError {
  let caught: unknown;
  try {
    run();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ScimPatchError);
  const error = caught as ScimPatchError;
  expect(error).toBeInstanceOf(Error);
  expect({ status: error.status, scimType: error.scimType }).toEqual({ status: 400, scimType });
  expect(error.detail).toBe(error.message);
  return error;
}

const enterprise = (doc: Record<string, unknown>) => doc[ENTERPRISE] as Record<string, unknown> | undefined;

describe('applyPatch: the request envelope', () => {
  it('returns a new document and leaves the resource and the request untouched', () => {
    const before = user();
    const request = body({ op: 'replace', path: 'displayName', value: 'Ada King' });
    const after = patchUser(before, request);
    expect(after).not.toBe(before);
    expect(after).toEqual({ ...user(), displayName: 'Ada King' });
    expect(before).toEqual(user());
  });

  it('tolerates a lowercase "operations" key and a missing schemas array', () => {
    const after = patchUser(user(), { operations: [{ op: 'replace', path: 'title', value: 'Countess' }] });
    expect(after['title']).toBe('Countess');
  });

  it('reads op case-insensitively (Entra sends Add/Replace/Remove)', () => {
    const after = patchUser(
      user(),
      body(
        { op: 'Replace', path: 'title', value: 'Countess' },
        { op: 'ADD', path: 'nickName', value: 'Ada' },
        { op: 'Remove', path: 'phoneNumbers' },
      ),
    );
    expect(after).toMatchObject({ title: 'Countess', nickName: 'Ada', phoneNumbers: [] });
  });

  it('refuses Operations missing, not an array or empty with invalidSyntax', () => {
    expectScimError(() => patchUser(user(), { schemas: [PATCH_OP] }), 'invalidSyntax');
    expectScimError(() => patchUser(user(), { schemas: [PATCH_OP], Operations: { op: 'add', path: 'title', value: 'x' } }), 'invalidSyntax');
    expectScimError(() => patchUser(user(), { schemas: [PATCH_OP], Operations: [] }), 'invalidSyntax');
  });

  it('refuses a body that is not an object, or whose schemas is not PatchOp, with invalidSyntax', () => {
    expectScimError(() => patchUser(user(), [{ op: 'add', path: 'title', value: 'x' }]), 'invalidSyntax');
    expectScimError(() => patchUser(user(), { schemas: [CORE_USER], Operations: [{ op: 'add', path: 'title', value: 'x' }] }), 'invalidSyntax');
  });

  it('refuses an unknown op, and an operation that is not an object, with invalidSyntax', () => {
    const error = expectScimError(() => patchUser(user(), body({ op: 'move', path: 'title', value: 'x' })), 'invalidSyntax');
    expect(error.detail).toContain('Operations[0]');
    expectScimError(() => patchUser(user(), body({ path: 'title', value: 'x' })), 'invalidSyntax');
    expectScimError(() => patchUser(user(), body('replace')), 'invalidSyntax');
  });

  it('refuses add or replace without a value with invalidValue', () => {
    expectScimError(() => patchUser(user(), body({ op: 'replace', path: 'title' })), 'invalidValue');
    expectScimError(() => patchUser(user(), body({ op: 'add', path: 'title', value: null })), 'invalidValue');
  });

  it('applies operations in order and fails as a whole: a bad last operation changes nothing', () => {
    const after = patchUser(user(), body({ op: 'replace', path: 'title', value: 'A' }, { op: 'replace', path: 'title', value: 'B' }));
    expect(after['title']).toBe('B');
    const before = user();
    expectScimError(() => patchUser(before, body({ op: 'replace', path: 'title', value: 'A' }, { op: 'remove' })), 'noTarget');
    expect(before['title']).toBe('Analyst');
  });
});

describe('applyPatch: paths', () => {
  it('replaces simple attributes (Entra default form)', () => {
    const after = patchUser(
      user(),
      body(
        { op: 'Replace', path: 'userName', value: 'ada.king@acme.example' },
        { op: 'Replace', path: 'displayName', value: 'Ada King' },
        { op: 'Replace', path: 'externalId', value: 'ada.king' },
        { op: 'Replace', path: 'active', value: false },
      ),
    );
    expect(after).toMatchObject({ userName: 'ada.king@acme.example', displayName: 'Ada King', externalId: 'ada.king', active: false });
  });

  it('sets a sub-attribute and keeps the other sub-attributes (Entra: Add name.givenName)', () => {
    const after = patchUser(user(), body({ op: 'Add', path: 'name.givenName', value: 'Augusta Ada' }));
    expect(after['name']).toEqual({ formatted: 'Ada Lovelace', familyName: 'Lovelace', givenName: 'Augusta Ada' });
  });

  it('creates the parent of a sub-attribute when it is missing', () => {
    const { name: _, ...nameless } = user();
    const after = patchUser(nameless, body({ op: 'add', path: 'name.familyName', value: 'King' }));
    expect(after['name']).toEqual({ familyName: 'King' });
  });

  it('matches attribute names case-insensitively and keeps the spelling already in the document', () => {
    const resource = { ...user(), nickname: 'Ada' };
    const after = patchUser(resource, body({ op: 'replace', path: 'NickName', value: 'Countess' }, { op: 'replace', path: 'NAME.GIVENNAME', value: 'Augusta' }));
    expect(after['nickname']).toBe('Countess');
    expect(after).not.toHaveProperty('nickName');
    expect((after['name'] as Record<string, unknown>)['givenName']).toBe('Augusta');
    expect(Object.keys(after['name'] as object)).toEqual(['formatted', 'familyName', 'givenName']);
  });

  it('writes a new attribute under the schema spelling (camelCase) whatever the path spelling', () => {
    const after = patchUser(user(), body({ op: 'add', path: 'PREFERREDLANGUAGE', value: 'en-GB' }, { op: 'add', path: 'name.MiddleName', value: 'Byron' }));
    expect(after['preferredLanguage']).toBe('en-GB');
    expect((after['name'] as Record<string, unknown>)['middleName']).toBe('Byron');
  });

  it('accepts the core schema URI prefix (urn:…:core:2.0:User:name.givenName)', () => {
    const after = patchUser(user(), body({ op: 'replace', path: `${CORE_USER}:name.givenName`, value: 'Augusta' }));
    expect((after['name'] as Record<string, unknown>)['givenName']).toBe('Augusta');
  });

  it('replaces an enterprise extension attribute by its full URI path (department)', () => {
    const after = patchUser(user(), body({ op: 'Replace', path: `${ENTERPRISE}:department`, value: 'Research' }));
    expect(enterprise(after)).toEqual({ employeeNumber: '1815', department: 'Research', manager: { value: MANAGER_ID, displayName: 'Charles Babbage' } });
  });

  it('creates the enterprise extension, and lists its schema URI, when the first extension attribute arrives', () => {
    const { [ENTERPRISE]: _, ...bare } = user();
    const after = patchUser({ ...bare, schemas: [CORE_USER] }, body({ op: 'Add', path: `${ENTERPRISE}:employeeNumber`, value: '1815' }));
    expect(enterprise(after)).toEqual({ employeeNumber: '1815' });
    expect(after['schemas']).toEqual([CORE_USER, ENTERPRISE]);
  });

  it('drops the extension and its schema URI when its last attribute is removed', () => {
    const resource = { ...user(), [ENTERPRISE]: { department: 'Engineering' } };
    const after = patchUser(resource, body({ op: 'Remove', path: `${ENTERPRISE}:department` }));
    expect(after).not.toHaveProperty(ENTERPRISE);
    expect(after['schemas']).toEqual([CORE_USER]);
  });

  it('replaces the sub-attribute of matching elements: emails[type eq "work"].value (Entra)', () => {
    const after = patchUser(user(), body({ op: 'Replace', path: 'emails[type eq "work"].value', value: 'ada.king@acme.example' }));
    expect(after['emails']).toEqual([
      { value: 'ada.king@acme.example', type: 'work', primary: true },
      { value: 'ada@home.example', type: 'home', primary: false },
    ]);
  });

  it('compares filter strings case-insensitively for attributes that are not caseExact (type eq "Work")', () => {
    const after = patchUser(user(), body({ op: 'replace', path: 'emails[type eq "Work"].value', value: 'ada.king@acme.example' }));
    expect((after['emails'] as Array<Record<string, unknown>>)[0]!['value']).toBe('ada.king@acme.example');
  });

  it('replaces whole matching elements: emails[type eq "work" and primary eq true]', () => {
    const after = patchUser(
      user(),
      body({ op: 'replace', path: 'emails[type eq "work" and primary eq true]', value: { value: 'ada.king@acme.example', type: 'work', primary: true } }),
    );
    expect(after['emails']).toEqual([
      { value: 'ada.king@acme.example', type: 'work', primary: true },
      { value: 'ada@home.example', type: 'home', primary: false },
    ]);
  });

  it('replaces one address field: addresses[type eq "work"].streetAddress (Entra)', () => {
    const after = patchUser(user(), body({ op: 'Replace', path: 'addresses[type eq "work"].streetAddress', value: '1 Kingsway' }));
    expect(after['addresses']).toEqual([{ type: 'work', streetAddress: '1 Kingsway', locality: 'London', postalCode: 'NW1 5LR', country: 'GB', primary: true }]);
  });

  it('reads a quoted "]" inside a value filter as part of the value', () => {
    const resource = { ...group(0), members: [{ value: 'odd]id' }, { value: member(1) }] };
    const after = patchGroup(resource, body({ op: 'remove', path: 'members[value eq "odd]id"]' }));
    expect(after['members']).toEqual([{ value: member(1) }]);
  });

  it('refuses a value filter on an attribute that is not multi-valued with invalidPath', () => {
    expectScimError(() => patchUser(user(), body({ op: 'replace', path: 'name[givenName eq "Ada"].familyName', value: 'King' })), 'invalidPath');
    expectScimError(() => patchUser(user(), body({ op: 'remove', path: 'active[value eq true]' })), 'invalidPath');
  });

  it('refuses malformed paths with invalidPath, naming the path', () => {
    const error = expectScimError(() => patchUser(user(), body({ op: 'replace', path: 'emails[type eq "work"', value: 'x' })), 'invalidPath');
    expect(error.detail).toContain('emails[type eq "work"');
    for (const path of ['emails[type eq]', 'emails[type eq "work"]value', 'name.givenName.first', '1name', 'emails[type eq "work"].', '__proto__']) {
      expectScimError(() => patchUser(user(), body({ op: 'replace', path, value: 'x' })), 'invalidPath');
    }
  });

  it('refuses a schema URI the resource type does not have with invalidPath (enterprise path on a Group)', () => {
    expectScimError(() => patchGroup(group(), body({ op: 'replace', path: `${ENTERPRISE}:department`, value: 'x' })), 'invalidPath');
  });
});

describe('applyPatch: operations without a path', () => {
  it('renames a group from a value object and ignores the id in it (JumpCloud, Okta OIN)', () => {
    const after = patchGroup(group(), body({ op: 'replace', value: { id: 'grp_something_else', displayName: 'Platform Engineering' } }));
    expect(after['id']).toBe(GROUP_ID);
    expect(after['displayName']).toBe('Platform Engineering');
    expect(after['members']).toEqual(group()['members']);
  });

  it('deactivates a user with {"op":"replace","value":{"active":false}} (Okta OIN, Entra aadOptscim062020)', () => {
    expect(patchUser(user(), body({ op: 'replace', value: { active: false } }))['active']).toBe(false);
  });

  it('applies each key as a path: dotted, filtered and extension-URI keys (Entra aadOptscim062020)', () => {
    const after = patchUser(
      user(),
      body({
        op: 'replace',
        value: {
          displayName: 'Ada King',
          'name.givenName': 'Augusta',
          'name.familyName': 'King',
          'emails[type eq "work"].value': 'ada.king@acme.example',
          [`${ENTERPRISE}:department`]: 'Research',
        },
      }),
    );
    expect(after).toMatchObject({ displayName: 'Ada King', name: { formatted: 'Ada Lovelace', givenName: 'Augusta', familyName: 'King' } });
    expect((after['emails'] as Array<Record<string, unknown>>)[0]).toEqual({ value: 'ada.king@acme.example', type: 'work', primary: true });
    expect(enterprise(after)?.['department']).toBe('Research');
  });

  it('merges an extension URI key whose value is an object', () => {
    const after = patchUser(user(), body({ op: 'add', value: { [ENTERPRISE]: { costCenter: 'CC-42', manager: { value: 'user_01JD6Q7R8S9T0V1W2X3Y4Z5A6F' } } } }));
    expect(enterprise(after)).toEqual({
      employeeNumber: '1815',
      department: 'Engineering',
      costCenter: 'CC-42',
      // RFC 7644 §3.5.2.1: a complex value sets the sub-attributes it names.
      manager: { value: 'user_01JD6Q7R8S9T0V1W2X3Y4Z5A6F', displayName: 'Charles Babbage' },
    });
  });

  it('ignores id, meta and schemas in a value object', () => {
    const after = patchUser(user(), body({ op: 'replace', value: { id: 'user_other', meta: { version: 'W/"9"' }, schemas: [CORE_USER], title: 'Countess' } }));
    expect(after).toEqual({ ...user(), title: 'Countess' });
  });

  it('adds to a multi-valued attribute named in a value object instead of replacing it', () => {
    const after = patchUser(user(), body({ op: 'add', value: { emails: [{ value: 'ada@lab.example', type: 'other' }] } }));
    expect(after['emails']).toHaveLength(3);
  });

  it('refuses a value that is not an object with invalidValue', () => {
    expectScimError(() => patchUser(user(), body({ op: 'replace', value: 'Ada' })), 'invalidValue');
  });
});

describe('applyPatch: value coercions', () => {
  it.each(['False', 'false', 'FALSE'])('takes Entra\'s "%s" for active as false', (value) => {
    expect(patchUser(user(), body({ op: 'Replace', path: 'active', value }))['active']).toBe(false);
  });

  it('takes "True" for active as true, including inside a value object', () => {
    const inactive = { ...user(), active: false };
    expect(patchUser(inactive, body({ op: 'Replace', path: 'active', value: 'True' }))['active']).toBe(true);
    expect(patchUser(inactive, body({ op: 'replace', value: { active: 'true' } }))['active']).toBe(true);
  });

  it('takes "True" for primary, in a filtered path and in added elements', () => {
    const after = patchUser(user(), body({ op: 'Replace', path: 'emails[type eq "home"].primary', value: 'True' }));
    expect(after['emails']).toEqual([
      { value: 'ada@acme.example', type: 'work', primary: false },
      { value: 'ada@home.example', type: 'home', primary: true },
    ]);
    const added = patchUser(user(), body({ op: 'Add', path: 'phoneNumbers', value: [{ value: '+44 7700 900000', type: 'mobile', primary: 'False' }] }));
    expect((added['phoneNumbers'] as unknown[])[1]).toEqual({ value: '+44 7700 900000', type: 'mobile', primary: false });
  });

  it('refuses a string that is not a boolean for a boolean attribute with invalidValue', () => {
    expectScimError(() => patchUser(user(), body({ op: 'Replace', path: 'active', value: 'yes' })), 'invalidValue');
  });

  it('turns Entra\'s bare manager id into {value} and drops the stale displayName', () => {
    const after = patchUser(user(), body({ op: 'Replace', path: `${ENTERPRISE}:manager`, value: 'user_01JD6Q7R8S9T0V1W2X3Y4Z5A6F' }));
    expect(enterprise(after)?.['manager']).toEqual({ value: 'user_01JD6Q7R8S9T0V1W2X3Y4Z5A6F' });
  });

  it('clears the manager when Entra sends an empty string', () => {
    const after = patchUser(user(), body({ op: 'Replace', path: `${ENTERPRISE}:manager`, value: '' }));
    expect(enterprise(after)).toEqual({ employeeNumber: '1815', department: 'Engineering' });
  });

  it('sets the manager by its sub-attribute path (manager.value)', () => {
    const after = patchUser(user(), body({ op: 'replace', path: `${ENTERPRISE}:manager.value`, value: 'user_01JD6Q7R8S9T0V1W2X3Y4Z5A6F' }));
    expect(enterprise(after)?.['manager']).toEqual({ value: 'user_01JD6Q7R8S9T0V1W2X3Y4Z5A6F', displayName: 'Charles Babbage' });
  });
});

describe('applyPatch: multi-valued attributes', () => {
  it('appends members and skips those already there (JumpCloud, Entra, Okta OIN form)', () => {
    const after = patchGroup(group(2), body({ op: 'add', path: 'members', value: [{ value: member(1) }, { value: member(7), display: 'person7@acme.example' }] }));
    expect(after['members']).toEqual([
      { value: member(0), display: 'person0@acme.example' },
      { value: member(1), display: 'person1@acme.example' },
      { value: member(7), display: 'person7@acme.example' },
    ]);
  });

  it('adds members to a group that has none', () => {
    const { members: _, ...empty } = group(0);
    const after = patchGroup(empty, body({ op: 'Add', path: 'members', value: [{ value: member(3) }] }));
    expect(after['members']).toEqual([{ value: member(3) }]);
  });

  it('updates an email already there instead of repeating it, and keeps one primary', () => {
    const after = patchUser(user(), body({ op: 'add', path: 'emails', value: [{ value: 'ADA@home.example', type: 'home', primary: true }] }));
    expect(after['emails']).toEqual([
      { value: 'ada@acme.example', type: 'work', primary: false },
      { value: 'ADA@home.example', type: 'home', primary: true },
    ]);
  });

  it('creates the work email when Entra adds or replaces emails[type eq "work"].value and there is none', () => {
    const { emails: _, ...emailless } = user();
    for (const op of ['Add', 'Replace']) {
      const after = patchUser(emailless, body({ op, path: 'emails[type eq "work"].value', value: 'ada@acme.example' }));
      expect(after['emails']).toEqual([{ type: 'work', value: 'ada@acme.example' }]);
    }
  });

  it('creates the element from every eq test of the filter (type and primary)', () => {
    const { phoneNumbers: _, ...phoneless } = user();
    const after = patchUser(phoneless, body({ op: 'Add', path: 'phoneNumbers[type eq "mobile" and primary eq true].value', value: '+44 7700 900000' }));
    expect(after['phoneNumbers']).toEqual([{ type: 'mobile', primary: true, value: '+44 7700 900000' }]);
  });

  it('replaces the whole list when replace has no filter (Okta full member list)', () => {
    const after = patchGroup(group(3), body({ op: 'replace', path: 'members', value: [{ value: member(9) }, { value: member(0) }] }));
    expect(after['members']).toEqual([{ value: member(9) }, { value: member(0) }]);
  });

  it('removes a member by filter: members[value eq "…"] (Okta OIN, Entra aadOptscim062020)', () => {
    const after = patchGroup(group(3), body({ op: 'remove', path: `members[value eq "${member(1)}"]` }));
    expect((after['members'] as Array<{ value: string }>).map((m) => m.value)).toEqual([member(0), member(2)]);
  });

  it('removes the elements a filter matches: emails[type eq "home"]', () => {
    const after = patchUser(user(), body({ op: 'remove', path: 'emails[type eq "home"]' }));
    expect(after['emails']).toEqual([{ value: 'ada@acme.example', type: 'work', primary: true }]);
  });

  it('removes the element whose value is removed: emails[type eq "home"].value', () => {
    const after = patchUser(user(), body({ op: 'Remove', path: 'emails[type eq "home"].value' }));
    expect(after['emails']).toEqual([{ value: 'ada@acme.example', type: 'work', primary: true }]);
  });

  it('removes the members listed in value (Entra default form)', () => {
    const after = patchGroup(group(4), body({ op: 'Remove', path: 'members', value: [{ value: member(0) }, { value: member(2) }] }));
    expect((after['members'] as Array<{ value: string }>).map((m) => m.value)).toEqual([member(1), member(3)]);
  });

  it('leaves members as [] when the last one is removed (read as a PUT, an absent members would mean "keep")', () => {
    const after = patchGroup(group(1), body({ op: 'remove', path: `members[value eq "${member(0)}"]` }));
    expect(after['members']).toEqual([]);
  });

  it('empties the whole list when remove names it without a value', () => {
    expect(patchGroup(group(3), body({ op: 'remove', path: 'members' }))['members']).toEqual([]);
    expect(patchUser(user(), body({ op: 'Remove', path: 'phoneNumbers' }))['phoneNumbers']).toEqual([]);
  });

  it('answers noTarget when replace has a filter that matches nothing and describes no element', () => {
    expectScimError(() => patchUser(user(), body({ op: 'replace', path: 'emails[value co "@lab.example"].type', value: 'other' })), 'noTarget');
    expectScimError(() => patchUser(user(), body({ op: 'replace', path: 'emails[type eq "other"]', value: { value: 'x@lab.example' } })), 'noTarget');
  });
});

describe('applyPatch: remove', () => {
  it('treats removing a missing optional attribute as a no-op', () => {
    const { [ENTERPRISE]: _, ...bare } = user();
    const resource = { ...bare, schemas: [CORE_USER] };
    const after = patchUser(
      resource,
      body(
        { op: 'remove', path: 'nickName' },
        { op: 'remove', path: 'name.middleName' },
        { op: 'Remove', path: `${ENTERPRISE}:manager` },
        { op: 'remove', path: 'ims' },
        { op: 'remove', path: 'emails[type eq "other"]' },
      ),
    );
    expect(after).toEqual(resource);
  });

  it('treats removing a member who is not in the group as a no-op (Entra retries)', () => {
    const after = patchGroup(group(2), body({ op: 'remove', path: `members[value eq "${member(99)}"]` }));
    expect(after).toEqual(group(2));
  });

  it('removes a sub-attribute and the complex attribute once it is empty', () => {
    const resource = { ...user(), name: { givenName: 'Ada' } };
    expect(patchUser(resource, body({ op: 'remove', path: 'name.givenName' }))).not.toHaveProperty('name');
  });

  it('answers noTarget for remove without a path (RFC 7644 §3.5.2.2)', () => {
    expectScimError(() => patchUser(user(), body({ op: 'remove', value: { title: 'Analyst' } })), 'noTarget');
  });

  it('refuses to remove a required attribute (userName, a group\'s displayName) with mutability', () => {
    expectScimError(() => patchUser(user(), body({ op: 'remove', path: 'userName' })), 'mutability');
    expectScimError(() => patchGroup(group(), body({ op: 'replace', path: 'displayName', value: null })), 'mutability');
  });
});

describe('applyPatch: read-only attributes', () => {
  it.each([
    ['replace id', { op: 'replace', path: 'id', value: 'user_other' }],
    ['remove id', { op: 'remove', path: 'id' }],
    ['replace meta', { op: 'replace', path: 'meta', value: { version: 'W/"9"' } }],
    ['replace meta.lastModified', { op: 'replace', path: 'meta.lastModified', value: '2030-01-01T00:00:00Z' }],
    ['replace schemas', { op: 'replace', path: 'schemas', value: [CORE_USER] }],
    ['replace with the core URI prefix', { op: 'replace', path: `${CORE_USER}:id`, value: 'user_other' }],
    ['add groups on a User (RFC 7643 §4.1.2)', { op: 'add', path: 'groups', value: [{ value: GROUP_ID }] }],
  ])('refuses %s with mutability', (_, operation) => {
    expectScimError(() => patchUser(user(), body(operation)), 'mutability');
  });

  it('keeps id read-only on a resource type whose schema it does not know', () => {
    expectScimError(() => applyPatch({ id: 'x' }, body({ op: 'replace', path: 'id', value: 'y' }), { schemaUris: ['urn:example:Thing'] }), 'mutability');
  });
});

describe('applyPatch: safety', () => {
  it('refuses a __proto__ key in a value and pollutes no prototype', () => {
    const request = JSON.parse(`{"Operations":[{"op":"add","path":"name","value":{"__proto__":{"polluted":true}}}]}`);
    expectScimError(() => patchUser(user(), request), 'invalidValue');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('does not read inherited properties as attributes (constructor)', () => {
    const after = patchUser(user(), body({ op: 'add', path: 'constructor.name', value: 'x' }));
    expect(Object.hasOwn(after, 'constructor')).toBe(true);
    expect(Object.getPrototypeOf(after)).toBe(Object.prototype);
  });
});

describe('applyPatch: large groups', () => {
  const values = (doc: Record<string, unknown>) => (doc['members'] as Array<{ value: string }>).map((m) => m.value);

  it('adds 1,000 members to a group of 10,000 in one operation, quickly', () => {
    const added = Array.from({ length: 1000 }, (_, i) => ({ value: member(9500 + i) }));
    const started = performance.now();
    const after = applyPatch(group(10_000), body({ op: 'add', path: 'members', value: added }), GROUP_OPTIONS);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(values(after)).toHaveLength(10_500);
    expect(new Set(values(after)).size).toBe(10_500);
  });

  it('removes 1,000 members from a group of 10,000 as 1,000 filtered operations, quickly', () => {
    const ops = Array.from({ length: 1000 }, (_, i) => ({ op: 'remove', path: `members[value eq "${member(i * 10)}"]` }));
    const started = performance.now();
    const after = applyPatch(group(10_000), body(...ops), GROUP_OPTIONS);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(values(after)).toHaveLength(9000);
    expect(values(after)).not.toContain(member(0));
  });

  it('adds 1,000 members to a group of 10,000 as 1,000 operations of one member each, quickly', () => {
    const ops = Array.from({ length: 1000 }, (_, i) => ({ op: 'add', path: 'members', value: [{ value: member(9500 + i) }] }));
    const started = performance.now();
    const after = applyPatch(group(10_000), body(...ops), GROUP_OPTIONS);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(values(after)).toHaveLength(10_500);
  });

  it('keeps the order of per-member operations: add, remove, add again', () => {
    const after = patchGroup(
      group(2),
      body(
        { op: 'add', path: 'members', value: [{ value: member(5) }] },
        { op: 'add', path: 'members', value: [{ value: member(6) }] },
        { op: 'remove', path: `members[value eq "${member(5)}"]` },
        { op: 'remove', path: `members[value eq "${member(0)}"]` },
        { op: 'add', path: 'members', value: [{ value: member(5) }] },
      ),
    );
    expect(values(after)).toEqual([member(1), member(6), member(5)]);
  });

  it('removes 1,000 members from a group of 10,000 in one Entra-style operation, quickly', () => {
    const gone = Array.from({ length: 1000 }, (_, i) => ({ value: member(i * 10) }));
    const started = performance.now();
    const after = applyPatch(group(10_000), body({ op: 'Remove', path: 'members', value: gone }), GROUP_OPTIONS);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(values(after)).toHaveLength(9000);
  });
});
