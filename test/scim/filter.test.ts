import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenedDatabase, openDatabase } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrator.ts';
import { groupFilter, MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, parseScimFilter, ScimFilterError, userFilter } from '../../src/scim/filter.ts';

let dir: string;
let opened: OpenedDatabase;

const T = '2024-01-01T00:00:00.000Z';
interface Person {
  id: string;
  userName: string;
  externalId?: string;
  active?: boolean;
  given?: string;
  family?: string;
  display?: string;
  created?: string;
  updated?: string;
  directory?: string;
  deleted?: boolean;
  emails?: Array<{ value: string; type?: string; primary?: boolean }>;
}

// Directory d1 is the one every query below reads; d2 and the deleted row must never show up.
const people: Person[] = [
  {
    id: 'u-alice', userName: 'Alice@Example.com', externalId: 'EXT-1', active: true, given: 'Alice', family: 'Archer', display: 'Alice Archer',
    created: '2024-01-01T00:00:00.000Z', updated: '2024-03-01T00:00:00.000Z',
    emails: [{ value: 'Alice@Example.com', type: 'work', primary: true }, { value: 'alice@home.test', type: 'home' }],
  },
  {
    id: 'u-bob', userName: 'bob@example.com', externalId: 'ext-1', active: false, given: 'Bob',
    created: '2024-02-01T00:00:00.000Z', updated: '2024-02-15T12:30:00.000Z',
    emails: [{ value: 'bob@work.test', type: 'work' }, { value: 'bob@example.com', type: 'home', primary: true }],
  },
  { id: 'u-carol', userName: 'carol_100%@example.com', given: 'Carol', family: "O'Brien", display: '100% Carol', created: '2024-03-01T00:00:00.000Z', emails: [{ value: 'carol@example.com' }] },
  { id: 'u-quote', userName: 'x" OR 1=1 --', display: "'; DROP TABLE scim_users; --", created: '2024-04-01T00:00:00.000Z' },
  { id: 'u-domain', userName: 'DOMAIN\\jdoe', externalId: 'a\\b', created: '2024-05-01T00:00:00.000Z' },
  { id: 'u-deleted', userName: 'deleted@example.com', deleted: true },
  { id: 'u-other', userName: 'alice@example.com', externalId: 'EXT-1', directory: 'd2', emails: [{ value: 'alice@example.com', type: 'work' }] },
];
const D1 = ['Alice@Example.com', 'bob@example.com', 'carol_100%@example.com', 'x" OR 1=1 --', 'DOMAIN\\jdoe'].sort();

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-filter-'));
  opened = openDatabase(`sqlite:${dir}/t.db`);
  const { db } = opened;
  await migrateToLatest(db);
  await db.insertInto('organizations').values({ id: 'o1', name: 'Acme', sso_entitled: 1, auto_provision: 1, enforce_sso: 0, created_at: T, updated_at: T }).execute();
  for (const id of ['d1', 'd2']) {
    await db.insertInto('directories').values({
      id, organization_id: 'o1', name: id, provider: 'okta', state: 'active', token_lookup: `lookup-${id}`, token_hash: 'h', token_rotated_at: T, created_at: T, updated_at: T,
    }).execute();
  }
  for (const p of people) {
    await db.insertInto('users').values({ id: `person-${p.id}`, email: `${p.id}@people.test`, email_verified: 1, first_name: null, last_name: null, password_hash: null, password_set_at: null, created_at: T, updated_at: T }).execute();
    await db.insertInto('scim_users').values({
      id: p.id, directory_id: p.directory ?? 'd1', user_id: `person-${p.id}`, user_name: p.userName, user_name_key: p.userName.toLowerCase(),
      external_id: p.externalId ?? null, active: p.active === false ? 0 : 1, given_name: p.given ?? null, family_name: p.family ?? null,
      display_name: p.display ?? null, raw: '{}', version: 1, deleted_at: p.deleted ? T : null, created_at: p.created ?? T, updated_at: p.updated ?? p.created ?? T,
    }).execute();
    for (const [position, e] of (p.emails ?? []).entries()) {
      await db.insertInto('scim_user_emails').values({ scim_user_id: p.id, position, value: e.value, value_key: e.value.toLowerCase(), type: e.type ?? null, primary: e.primary ? 1 : 0 }).execute();
    }
  }
  const groups = [
    { id: 'g-eng', directory_id: 'd1', display_name: 'Engineering', external_id: 'G-ENG', created_at: '2024-01-10T00:00:00.000Z', members: ['u-alice', 'u-bob'] },
    { id: 'g-sales', directory_id: 'd1', display_name: 'Sales_Team', external_id: null, created_at: '2024-02-10T00:00:00.000Z', members: ['u-carol'] },
    { id: 'g-remote', directory_id: 'd1', display_name: '100% Remote', external_id: 'g-eng', created_at: '2024-03-10T00:00:00.000Z', members: [] },
    { id: 'g-other', directory_id: 'd2', display_name: 'Engineering', external_id: 'G-ENG', created_at: T, members: ['u-other'] },
  ];
  for (const { members, ...g } of groups) {
    await db.insertInto('scim_groups').values({ ...g, display_name_key: g.display_name.toLowerCase(), raw: '{}', version: 1, updated_at: g.created_at }).execute();
    for (const m of members) await db.insertInto('scim_group_members').values({ group_id: g.id, scim_user_id: m }).execute();
  }
});

afterAll(async () => {
  await opened?.db.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** What the SCIM route will do: the caller's directory and deleted_at conditions, AND the filter. */
function usersQuery(filter: string) {
  return opened.db.selectFrom('scim_users').select('user_name').where('directory_id', '=', 'd1').where('deleted_at', 'is', null).where(userFilter(parseScimFilter(filter))).orderBy('id');
}
const users = async (filter: string) => (await usersQuery(filter).execute()).map((r) => r.user_name).sort();
const groups = async (filter: string) =>
  (await opened.db.selectFrom('scim_groups').select('display_name').where('directory_id', '=', 'd1').where(groupFilter(parseScimFilter(filter))).execute()).map((r) => r.display_name).sort();
const only = (...names: string[]) => [...names].sort();
const except = (...names: string[]) => D1.filter((n) => !names.includes(n)).sort();

function filterError(fn: () => unknown): ScimFilterError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ScimFilterError);
    const e = err as ScimFilterError;
    expect(e.status).toBe(400);
    expect(e.scimType).toBe('invalidFilter');
    expect(e.detail).toBe(e.message);
    return e;
  }
  throw new Error('expected a ScimFilterError');
}

describe('users: userName (caseExact false, through user_name_key)', () => {
  it.each([
    ['userName eq "ALICE@example.COM"', only('Alice@Example.com')],
    ['userName ne "alice@example.com"', except('Alice@Example.com')],
    ['userName co "EXAMPLE.com"', only('Alice@Example.com', 'bob@example.com', 'carol_100%@example.com')],
    ['userName sw "B"', only('bob@example.com')],
    ['userName ew "@EXAMPLE.COM"', only('Alice@Example.com', 'bob@example.com', 'carol_100%@example.com')],
    ['userName gt "bob@example.com"', only('carol_100%@example.com', 'x" OR 1=1 --', 'DOMAIN\\jdoe')],
    ['userName ge "BOB@example.com"', only('bob@example.com', 'carol_100%@example.com', 'x" OR 1=1 --', 'DOMAIN\\jdoe')],
    ['userName lt "bob@example.com"', only('Alice@Example.com')],
    ['userName le "Bob@Example.com"', only('Alice@Example.com', 'bob@example.com')],
    ['userName pr', D1],
    ['userName eq null', []],
  ])('%s', async (filter, expected) => {
    expect(await users(filter)).toEqual(expected);
  });
});

describe('users: externalId (caseExact true, nullable)', () => {
  it.each([
    ['externalId eq "EXT-1"', only('Alice@Example.com')],
    ['externalId eq "ext-1"', only('bob@example.com')],
    ['externalId ne "EXT-1"', except('Alice@Example.com')],
    ['externalId co "XT"', only('Alice@Example.com')],
    ['externalId sw "ext"', only('bob@example.com')],
    ['externalId ew "T-1"', only('Alice@Example.com')],
    ['externalId gt "a"', only('bob@example.com', 'DOMAIN\\jdoe')],
    ['externalId lt "a"', only('Alice@Example.com')],
    ['externalId pr', only('Alice@Example.com', 'bob@example.com', 'DOMAIN\\jdoe')],
    ['externalId eq null', only('carol_100%@example.com', 'x" OR 1=1 --')],
    ['externalId ne null', only('Alice@Example.com', 'bob@example.com', 'DOMAIN\\jdoe')],
    // An absent externalId is not "EXT-1": `not` is an exact complement, never SQL NULL.
    ['not (externalId eq "EXT-1")', except('Alice@Example.com')],
  ])('%s', async (filter, expected) => {
    expect(await users(filter)).toEqual(expected);
  });
});

describe('users: other attributes', () => {
  it.each([
    ['id eq "u-bob"', only('bob@example.com')],
    ['id sw "u-"', D1],
    ['id eq "U-BOB"', []],
    ['active eq true', except('bob@example.com')],
    ['active eq false', only('bob@example.com')],
    ['active ne true', only('bob@example.com')],
    ['active eq "False"', only('bob@example.com')],
    ['active pr', D1],
    ['displayName eq "alice archer"', only('Alice@Example.com')],
    ['displayName co "CAROL"', only('carol_100%@example.com')],
    ['displayName pr', only('Alice@Example.com', 'carol_100%@example.com', 'x" OR 1=1 --')],
    ['name.givenName eq "BOB"', only('bob@example.com')],
    ['name.givenName sw "a"', only('Alice@Example.com')],
    ['name.familyName ew "BRIEN"', only('carol_100%@example.com')],
    ['name.familyName pr', only('Alice@Example.com', 'carol_100%@example.com')],
    ['name.familyName lt "b"', only('Alice@Example.com')],
    ['meta.created gt "2024-02-01T00:00:00Z"', only('carol_100%@example.com', 'x" OR 1=1 --', 'DOMAIN\\jdoe')],
    ['meta.created ge "2024-02-01T00:00:00Z"', only('bob@example.com', 'carol_100%@example.com', 'x" OR 1=1 --', 'DOMAIN\\jdoe')],
    ['meta.created lt "2024-02-01T01:00:00.001+01:00"', only('Alice@Example.com', 'bob@example.com')],
    ['meta.created le "2024-01-01T00:00:00.000Z"', only('Alice@Example.com')],
    ['meta.created eq "2024-02-01T00:00:00Z"', only('bob@example.com')],
    ['meta.created ne "2024-02-01T00:00:00Z"', except('bob@example.com')],
    ['meta.lastModified gt "2024-02-15T12:29:59.999Z"', only('bob@example.com', 'Alice@Example.com', 'carol_100%@example.com', 'x" OR 1=1 --', 'DOMAIN\\jdoe')],
    ['meta.lastModified lt "2024-02-16T00:00:00Z"', only('bob@example.com')],
    ['meta.lastModified eq "2024-02-15T12:30:00Z"', only('bob@example.com')],
  ])('%s', async (filter, expected) => {
    expect(await users(filter)).toEqual(expected);
  });
});

describe('users: emails', () => {
  it.each([
    ['emails eq "ALICE@home.test"', only('Alice@Example.com')],
    ['emails.value eq "bob@WORK.test"', only('bob@example.com')],
    ['emails.value co "@example.com"', only('Alice@Example.com', 'bob@example.com', 'carol_100%@example.com')],
    ['emails.value sw "CAROL"', only('carol_100%@example.com')],
    ['emails.value ew ".TEST"', only('Alice@Example.com', 'bob@example.com')],
    ['emails.value ne "carol@example.com"', only('Alice@Example.com', 'bob@example.com')],
    ['emails pr', only('Alice@Example.com', 'bob@example.com', 'carol_100%@example.com')],
    ['not (emails pr)', only('x" OR 1=1 --', 'DOMAIN\\jdoe')],
    ['emails.type eq "WORK"', only('Alice@Example.com', 'bob@example.com')],
    ['emails.type pr', only('Alice@Example.com', 'bob@example.com')],
    ['emails.primary eq true', only('Alice@Example.com', 'bob@example.com')],
    ['emails.primary eq false', only('Alice@Example.com', 'bob@example.com', 'carol_100%@example.com')],
    ['emails[type eq "work"]', only('Alice@Example.com', 'bob@example.com')],
    ['emails[type eq "work" and value co "alice"]', only('Alice@Example.com')],
    ['emails[type eq "work" and primary eq true]', only('Alice@Example.com')],
    ['emails[not (type eq "work")]', only('Alice@Example.com', 'bob@example.com', 'carol_100%@example.com')],
    ['emails[type eq "work" or type eq "home"].value ew "@example.com"', only('Alice@Example.com', 'bob@example.com')],
    ['emails[type eq "work"].value eq "bob@work.test"', only('bob@example.com')],
    // bob has a work email and the email bob@example.com, but not one email that is both.
    ['emails[type eq "work"].value eq "bob@example.com"', []],
    ['emails[type eq "home"].value eq "bob@example.com"', only('bob@example.com')],
    ['emails[type eq "work"].value pr', only('Alice@Example.com', 'bob@example.com')],
    ['emails[type eq "work"].value eq "bob@work.test" and active eq false', only('bob@example.com')],
    ['EMAILS[TYPE EQ "work"].VALUE EQ "BOB@WORK.TEST"', only('bob@example.com')],
  ])('%s', async (filter, expected) => {
    expect(await users(filter)).toEqual(expected);
  });
});

describe('users: attribute names', () => {
  it.each([
    ['urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bob@example.com"', only('bob@example.com')],
    ['URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER:name.givenName eq "carol"', only('carol_100%@example.com')],
    ['urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"]', only('Alice@Example.com', 'bob@example.com')],
    ['USERNAME Eq "bob@example.com"', only('bob@example.com')],
    ['Name.GivenName EQ "alice" AND Active EQ TRUE', only('Alice@Example.com')],
    ['meta.LASTMODIFIED gt "2024-02-20T00:00:00z"', only('Alice@Example.com', 'carol_100%@example.com', 'x" OR 1=1 --', 'DOMAIN\\jdoe')],
  ])('%s', async (filter, expected) => {
    expect(await users(filter)).toEqual(expected);
  });
});

describe('and / or / not', () => {
  it.each([
    ['userName eq "alice@example.com" or userName eq "bob@example.com"', only('Alice@Example.com', 'bob@example.com')],
    // The caller's directory_id and deleted_at conditions still hold around an `or`.
    ['userName eq "deleted@example.com" or externalId eq "EXT-1"', only('Alice@Example.com')],
    ['userName sw "a" and active eq true', only('Alice@Example.com')],
    // and binds tighter than or: a or (b and inactive)
    ['userName sw "a" or userName sw "b" and active eq false', only('Alice@Example.com', 'bob@example.com')],
    ['(userName sw "a" or userName sw "b") and active eq false', only('bob@example.com')],
    ['active eq false and userName sw "b" or userName sw "a"', only('Alice@Example.com', 'bob@example.com')],
    ['not (userName sw "a" or active eq false)', except('Alice@Example.com', 'bob@example.com')],
    // not binds tighter than and
    ['not (userName sw "a") and emails pr', only('bob@example.com', 'carol_100%@example.com')],
    ['not (not (userName eq "bob@example.com"))', only('bob@example.com')],
    ['((userName sw "a" or (userName sw "c" and not (name.familyName pr))) or (emails.type eq "home" and not (active eq true)))', only('Alice@Example.com', 'bob@example.com')],
    ['userName sw "a" and (emails[type eq "work" and (value co "alice" or value co "bob")] or externalId eq "nope")', only('Alice@Example.com')],
    ['userName pr and userName pr and userName pr and userName sw "d" or userName sw "x" or userName sw "c"', only('DOMAIN\\jdoe', 'x" OR 1=1 --', 'carol_100%@example.com')],
  ])('%s', async (filter, expected) => {
    expect(await users(filter)).toEqual(expected);
  });
});

describe('groups', () => {
  it.each([
    ['displayName eq "ENGINEERING"', ['Engineering']],
    ['displayName ne "engineering"', ['100% Remote', 'Sales_Team']],
    ['displayName co "_"', ['Sales_Team']],
    ['displayName co "%"', ['100% Remote']],
    ['displayName sw "sales"', ['Sales_Team']],
    ['displayName ew "REMOTE"', ['100% Remote']],
    ['displayName gt "engineering"', ['Sales_Team']],
    ['displayName pr', ['100% Remote', 'Engineering', 'Sales_Team']],
    ['externalId eq "G-ENG"', ['Engineering']],
    ['externalId eq "g-eng"', ['100% Remote']],
    ['externalId pr', ['100% Remote', 'Engineering']],
    ['id eq "g-sales"', ['Sales_Team']],
    ['members eq "u-bob"', ['Engineering']],
    ['members.value eq "u-carol"', ['Sales_Team']],
    ['members.value eq "U-CAROL"', []],
    ['members[value eq "u-alice"]', ['Engineering']],
    ['members[value sw "u-"] and not (members.value eq "u-bob")', ['Sales_Team']],
    ['members pr', ['Engineering', 'Sales_Team']],
    ['not (members pr)', ['100% Remote']],
    // u-other belongs to d2's Engineering only
    ['members eq "u-other"', []],
    ['meta.created gt "2024-02-01T00:00:00Z"', ['100% Remote', 'Sales_Team']],
    ['meta.lastModified le "2024-01-10T00:00:00Z"', ['Engineering']],
    ['urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "sales_team"', ['Sales_Team']],
    ['displayName eq "engineering" or members eq "u-carol"', ['Engineering', 'Sales_Team']],
  ])('%s', async (filter, expected) => {
    expect(await groups(filter)).toEqual(expected);
  });
});

describe('values are data, never SQL', () => {
  it.each([
    ['userName eq "x\\" OR 1=1 --"', only('x" OR 1=1 --')],
    ['userName eq "X\\" or 1=1 --"', only('x" OR 1=1 --')],
    ['userName eq "\'; DROP TABLE scim_users; --"', []],
    ['displayName eq "\'; drop table scim_users; --"', only('x" OR 1=1 --')],
    ['displayName co "\'; DROP"', only('x" OR 1=1 --')],
    ['displayName co "%"', only('carol_100%@example.com')],
    ['userName sw "_"', []],
    ['userName sw "%"', []],
    ['userName co "_100%"', only('carol_100%@example.com')],
    ['userName co "l_1"', only('carol_100%@example.com')],
    ['userName co "a%e"', []],
    // A JSON string: \\ is one backslash (RFC 7644 §3.4.2.2 compValue).
    ['userName eq "domain\\\\JDOE"', only('DOMAIN\\jdoe')],
    ['userName co "\\\\"', only('DOMAIN\\jdoe')],
    ['externalId eq "a\\\\b"', only('DOMAIN\\jdoe')],
    ['externalId ew "\\\\b"', only('DOMAIN\\jdoe')],
    ['userName co "\\""', only('x" OR 1=1 --')],
    ['userName eq "\\u0078\\" OR 1=1 --"', only('x" OR 1=1 --')],
    ['userName eq ") or (1=1"', []],
  ])('%s', async (filter, expected) => {
    expect(await users(filter)).toEqual(expected);
  });

  it('binds every value as a parameter and leaves the tables intact', async () => {
    const compiled = usersQuery('userName eq "\'; DROP TABLE scim_users; --" or displayName co "1=1 --" or externalId sw "%_\\\\"').compile();
    expect(compiled.sql).not.toContain('DROP');
    expect(compiled.sql).not.toContain('1=1');
    expect(compiled.parameters).toEqual(expect.arrayContaining(["'; drop table scim_users; --", '%1=1 --%', '\\%\\_\\\\%']));
    expect(await users('userName eq "\'; DROP TABLE scim_users; --"')).toEqual([]);
    const count = await opened.db.selectFrom('scim_users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(count.n).toBe(people.length);
  });
});

describe('errors: 400 invalidFilter', () => {
  it.each([
    ['nickName eq "x"', /"nickName" is not an attribute/],
    ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "1"', /employeeNumber" is not an attribute/],
    ['emails.display eq "x"', /"emails.display" is not an attribute/],
    ['emails[display eq "x"]', /display is not a sub-attribute/],
    ['phoneNumbers[type eq "work"]', /phoneNumbers\[\.\.\.\] is not a value filter/],
    ['emails[type[value eq "x"]]', /cannot be nested/],
    ['active co true', /The co operator does not apply to active \(boolean\); use eq, ne, pr/],
    ['active gt false', /The gt operator does not apply to active/],
    ['emails.primary sw true', /does not apply to emails.primary/],
    ['meta.created co "2024"', /does not apply to meta.created \(dateTime\)/],
    ['meta.created gt "yesterday"', /meta.created is a dateTime/],
    ['meta.created gt "2024-02-30T00:00:00Z"', /meta.created is a dateTime/],
    ['active eq "yes"', /active is a boolean/],
    ['userName eq 5', /userName is a string: put the value in double quotes/],
    ['userName eq true', /userName is a string/],
    ['userName gt null', /only eq and ne compare with null/],
    ['userName eq bob', /bob is not a value/],
    ['userName eq', /ends where a value was expected/],
    ['userName xx "a"', /: xx after userName is not an operator/],
    ['userName', /the end after userName is not an operator/],
    ['userName eq "a" and', /ends where an attribute was expected/],
    ['(userName eq "a"', /parenthesis or bracket is not closed/],
    ['emails[type eq "a"', /parenthesis or bracket is not closed/],
    ['userName eq "a")', /unexpected "\)" after a complete filter/],
    ['userName eq "a" userName eq "b"', /after a complete filter/],
    ['userName eq "unterminated', /not valid SCIM filter syntax \(RFC 7644 §3\.4\.2\.2\): cannot read "\\"unterminated"/],
    ['userName eq "a\\qb"', /not valid SCIM filter syntax/],
    ['userName eq "a\nb"', /control character/],
    ['userName eq "a"\tor active eq true', /control character/],
    ['   ', /empty/],
    ['', /empty/],
  ])('%s', (filter, detail) => {
    expect(filterError(() => parseScimFilter(filter)).detail).toMatch(detail);
  });

  it('bounds the length and the nesting', () => {
    const long = `userName eq "${'a'.repeat(MAX_FILTER_LENGTH)}"`;
    expect(filterError(() => parseScimFilter(long)).detail).toMatch(/longer than 2000 characters/);
    const deep = `${'not ('.repeat(MAX_FILTER_DEPTH)}userName pr${')'.repeat(MAX_FILTER_DEPTH)}`;
    expect(filterError(() => parseScimFilter(deep)).detail).toMatch(/nests deeper than 10 levels/);
    expect(parseScimFilter(`${'not ('.repeat(MAX_FILTER_DEPTH - 1)}userName pr${')'.repeat(MAX_FILTER_DEPTH - 1)}`)).toBeTruthy();
    // Newlines would make the package's string pattern backtrack exponentially; refused at once.
    const started = Date.now();
    filterError(() => parseScimFilter(`userName eq "${'\n'.repeat(40)}`));
    expect(Date.now() - started).toBeLessThan(100);
  });

  it('parses filters for either resource; userFilter and groupFilter refuse the other resource attributes', () => {
    const members = parseScimFilter('members eq "u-1"');
    expect(filterError(() => userFilter(members)).detail).toMatch(/"members" is not an attribute this server can filter on \(User: id, userName/);
    const userName = parseScimFilter('userName eq "a"');
    expect(filterError(() => groupFilter(userName)).detail).toMatch(/"userName" is not an attribute this server can filter on \(Group: id, displayName/);
    const groupUrn = parseScimFilter('urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "a"');
    expect(filterError(() => userFilter(groupUrn)).detail).toMatch(/is not an attribute/);
    expect(filterError(() => groupFilter(parseScimFilter('emails[type eq "work"]'))).detail).toMatch(/emails\[\.\.\.\] is not a value filter/);
  });
});

describe('the AST', () => {
  it('is the scim2-parse-filter tree, with value paths kept as one value filter', () => {
    expect(parseScimFilter('emails[type eq "work"].value eq "x" and not (active eq TRUE)')).toEqual({
      op: 'and',
      filters: [
        {
          op: '[]', attrPath: 'emails',
          valFilter: { op: 'and', filters: [{ op: 'eq', attrPath: 'type', compValue: 'work' }, { op: 'eq', attrPath: 'value', compValue: 'x' }] },
        },
        { op: 'not', filter: { op: 'eq', attrPath: 'active', compValue: true } },
      ],
    });
    expect(parseScimFilter('userName eq "a\\\\b\\"c"')).toEqual({ op: 'eq', attrPath: 'userName', compValue: 'a\\b"c' });
  });
});

describe('query plans', () => {
  const plan = (sql: string, parameters: readonly unknown[]) =>
    (opened.sqlite.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...parameters) as Array<{ detail: string }>).map((r) => r.detail);

  it('userName eq is an index seek on (directory_id, user_name_key)', () => {
    const { sql, parameters } = usersQuery('userName eq "Alice@Example.com"').compile();
    const details = plan(sql, parameters);
    expect(details.join('\n')).toMatch(/^SEARCH scim_users USING INDEX scim_users_user_name \(directory_id=\? AND user_name_key=\?\)/);
    expect(details.join('\n')).not.toMatch(/SCAN/);
  });

  it('externalId eq and group displayName eq use their indexes too', () => {
    const ext = usersQuery('externalId eq "EXT-1"').compile();
    expect(plan(ext.sql, ext.parameters).join('\n')).toMatch(/SEARCH scim_users USING INDEX scim_users_(external_id|user_name) \(directory_id=\?/);
    const group = opened.db.selectFrom('scim_groups').select('id').where('directory_id', '=', 'd1').where(groupFilter(parseScimFilter('displayName eq "Engineering"'))).compile();
    expect(plan(group.sql, group.parameters).join('\n')).toMatch(/SEARCH scim_groups USING INDEX scim_groups_name \(directory_id=\? AND display_name_key=\?\)/);
  });
});
