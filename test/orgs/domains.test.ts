import dgram from 'node:dgram';
import type { Response } from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/clock.ts';
import { failExpiredDomains } from '../../src/orgs/domains.service.ts';
import { createOrg, expectProblem } from '../helpers/api.ts';
import { cli } from '../helpers/cli.ts';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.ts';
import { createTestApp, TEST_SECRET, type TestApp } from '../helpers/test-app.ts';

const T0 = '2026-12-01T09:00:00.000Z';
const UNKNOWN_DOMAIN = 'dom_01M8T247H71E8T82MXYZ8V2G2J';
const UNKNOWN_ORG = 'org_01M8T247H71E8T82MXYZ8V2G2J';
const VALUE = /^gatehouse-domain-verification=[A-Za-z0-9_-]{24}$/;
const noRecord = (name: string) => `No TXT record was found at ${name}. Add it at your DNS provider; changes can take a while to appear.`;

describe('domains API with a real DNS server', () => {
  let dns: TestDnsServer;
  let t: TestApp;
  beforeAll(async () => {
    dns = await startDnsServer();
  });
  afterAll(async () => dns.close());
  beforeEach(async () => {
    dns.clear();
    dns.queries.length = 0;
    t = await createTestApp({ DNS_SERVERS: dns.server });
  });
  afterEach(async () => t.close());

  const addDomain = async (orgId: string, domain: string) => (await t.api.post(`/api/v1/organizations/${orgId}/domains`, { domain }).expect(201)).body;
  const verify = (id: string, body?: object) => t.api.post(`/api/v1/domains/${id}/verify`, body);
  const events = async (orgId: string, types: string) => (await t.api.get(`/api/v1/events?organization_id=${orgId}&types=${types}`).expect(200)).body.data;

  function expectJson(res: Response, status: number): void {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
  }

  /** Sends a request that must be refused, and proves it wrote nothing. */
  async function refused(send: () => PromiseLike<Response>, status: number, code: string, detail: string): Promise<Response> {
    const before = await t.snapshot();
    const res = await send();
    expectProblem(res, status, code, detail);
    expect(await t.snapshot(), `${detail} wrote nothing`).toEqual(before);
    return res;
  }

  describe('adding', () => {
    it('answers 201 with the pending domain and the TXT record to publish', async () => {
      const orgId = await createOrg(t, 'Acme');
      const res = await t.api.post(`/api/v1/organizations/${orgId}/domains`, { domain: 'acme.com' });
      expectJson(res, 201);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^dom_[0-9A-Z]{26}$/),
        organization_id: orgId,
        domain: 'acme.com',
        state: 'pending',
        verification: { type: 'dns_txt', name: '_gatehouse-challenge.acme.com', value: expect.stringMatching(VALUE), method: null, last_checked_at: null, last_error: null },
        failure_reason: null,
        verified_at: null,
        created_at: T0,
        updated_at: T0,
      });

      await t.api.get(`/api/v1/domains/${res.body.id}`).expect(200, res.body);
      await t.api.get(`/api/v1/organizations/${orgId}/domains`).expect(200, { data: [res.body], list_metadata: { after: null } });
      expect(await events(orgId, 'domain.created')).toMatchObject([{ actor: { type: 'api_key' }, data: { domain_id: res.body.id, domain: 'acme.com' } }]);
    });

    it('stores the normalised name: lower case, no trailing dot, IDN as punycode', async () => {
      const orgId = await createOrg(t, 'Bücher');
      const added = await addDomain(orgId, 'Bücher.Example.');
      expect(added).toMatchObject({ domain: 'xn--bcher-kva.example', verification: { name: '_gatehouse-challenge.xn--bcher-kva.example' } });
      // The same name in another spelling is the same domain.
      await refused(() => t.api.post(`/api/v1/organizations/${orgId}/domains`, { domain: 'xn--bcher-kva.EXAMPLE' }), 409, 'domain_exists',
        `xn--bcher-kva.example is already added to this organization (${added.id}).`);
    });

    it('gives every domain its own challenge value', async () => {
      const a = await addDomain(await createOrg(t, 'A'), 'acme.com');
      const b = await addDomain(await createOrg(t, 'B'), 'acme.com');
      expect(a.verification.value).not.toBe(b.verification.value);
    });
  });

  describe('verifying through DNS', () => {
    it('keeps the domain pending with the reason when no TXT record exists, and records the failure', async () => {
      const orgId = await createOrg(t, 'Acme');
      const domain = await addDomain(orgId, 'acme.com');
      t.clock.advance(60_000);
      const res = await verify(domain.id);
      expectJson(res, 200);
      expect(res.body).toEqual({
        ...domain,
        verification: { ...domain.verification, last_checked_at: '2026-12-01T09:01:00.000Z', last_error: noRecord('_gatehouse-challenge.acme.com') },
        updated_at: '2026-12-01T09:01:00.000Z',
      });
      expect(dns.queries).toContain('_gatehouse-challenge.acme.com');
      expect(await events(orgId, 'domain.verification_failed')).toMatchObject([
        { actor: { type: 'api_key' }, data: { domain_id: domain.id, domain: 'acme.com', reason: noRecord('_gatehouse-challenge.acme.com') } },
      ]);
    });

    it('says the value does not match when the TXT record holds something else', async () => {
      const domain = await addDomain(await createOrg(t, 'Acme'), 'acme.com');
      dns.setTxt('_gatehouse-challenge.acme.com', 'gatehouse-domain-verification=somebody-elses-value');
      const one = await verify(domain.id).expect(200);
      expect(one.body).toMatchObject({ state: 'pending', verification: { method: null, last_error: 'The TXT record at _gatehouse-challenge.acme.com does not hold the expected value (found 1 other value).' } });

      // Almost right is still wrong: a truncated value, or the bare token without its prefix.
      dns.setTxt('_gatehouse-challenge.acme.com', domain.verification.value.slice(0, -1), domain.verification.value.split('=')[1]);
      const two = await verify(domain.id).expect(200);
      expect(two.body).toMatchObject({ state: 'pending', verification: { last_error: 'The TXT record at _gatehouse-challenge.acme.com does not hold the expected value (found 2 other values).' } });
    });

    // Each differs from a plain single-string record by one change.
    const published: Array<[string, (value: string) => Array<string | string[]>]> = [
      ['one string', (value) => [value]],
      ['split into two character-strings of one record (RFC 7208 §3.3)', (value) => [[value.slice(0, 20), value.slice(20)]]],
      ['among other TXT records at the same name', (value) => ['v=spf1 -all', value, 'google-site-verification=abc123']],
    ];
    for (const [label, records] of published) {
      it(`verifies when the record is present: ${label}`, async () => {
        const orgId = await createOrg(t, 'Acme');
        const domain = await addDomain(orgId, 'acme.com');
        dns.setTxt('_gatehouse-challenge.acme.com', ...records(domain.verification.value));
        t.clock.advance(DAY_MS);
        const res = await verify(domain.id);
        expectJson(res, 200);
        const at = '2026-12-02T09:00:00.000Z';
        expect(res.body).toEqual({
          ...domain,
          state: 'verified',
          verification: { ...domain.verification, method: 'dns_txt', last_checked_at: at, last_error: null },
          verified_at: at,
          updated_at: at,
        });
        expect(dns.queries).toContain('_gatehouse-challenge.acme.com');
        expect(await events(orgId, 'domain.verified')).toMatchObject([{ actor: { type: 'api_key' }, data: { domain_id: domain.id, domain: 'acme.com', method: 'dns_txt' } }]);
        await t.api.get(`/api/v1/domains/${domain.id}`).expect(200, res.body);
      });
    }

    it('treats an empty body and {"method":"dns_txt"} as a DNS check', async () => {
      const a = await addDomain(await createOrg(t, 'A'), 'acme.com');
      const b = await addDomain(await createOrg(t, 'B'), 'beta.com');
      expect((await verify(a.id, {}).expect(200)).body.verification.last_error).toBe(noRecord('_gatehouse-challenge.acme.com'));
      expect((await verify(b.id, { method: 'dns_txt' }).expect(200)).body.verification.last_error).toBe(noRecord('_gatehouse-challenge.beta.com'));
      expect(dns.queries).toEqual(expect.arrayContaining(['_gatehouse-challenge.acme.com', '_gatehouse-challenge.beta.com']));
    });

    it('keeps the domain pending with a try-again message when the DNS server cannot be reached', async () => {
      // A UDP port that was just free: nothing answers there, so the resolver gets ECONNREFUSED.
      const socket = dgram.createSocket('udp4');
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      const { port } = socket.address();
      await new Promise<void>((resolve) => socket.close(() => resolve()));
      const down = await createTestApp({ DNS_SERVERS: `127.0.0.1:${port}` });
      try {
        const orgId = await createOrg(down, 'Acme');
        const domain = (await down.api.post(`/api/v1/organizations/${orgId}/domains`, { domain: 'acme.com' }).expect(201)).body;
        const res = await down.api.post(`/api/v1/domains/${domain.id}/verify`);
        expectJson(res, 200);
        const message = 'The DNS lookup of _gatehouse-challenge.acme.com failed (ECONNREFUSED); try again in a few minutes.';
        expect(res.body).toMatchObject({ state: 'pending', failure_reason: null, verification: { method: null, last_checked_at: T0, last_error: message } });
      } finally {
        await down.close();
      }
    });

    it('looks up the punycode name of an IDN domain', async () => {
      const domain = await addDomain(await createOrg(t, 'Bücher'), 'bücher.example');
      dns.setTxt('_gatehouse-challenge.xn--bcher-kva.example', domain.verification.value);
      expect((await verify(domain.id).expect(200)).body.state).toBe('verified');
      expect(dns.queries).toContain('_gatehouse-challenge.xn--bcher-kva.example');
    });
  });

  it('verifies by hand with {"method":"manual"} without asking DNS', async () => {
    const orgId = await createOrg(t, 'Acme');
    const domain = await addDomain(orgId, 'acme.com');
    const res = await verify(domain.id, { method: 'manual' });
    expectJson(res, 200);
    expect(res.body).toMatchObject({ state: 'verified', verification: { method: 'manual', last_checked_at: T0, last_error: null }, verified_at: T0 });
    expect(dns.queries).toEqual([]);
    expect(await events(orgId, 'domain.verified')).toMatchObject([{ data: { domain_id: domain.id, domain: 'acme.com', method: 'manual' } }]);
  });

  describe('one verified owner per domain', () => {
    it('refuses to add a domain another org has verified, in any spelling', async () => {
      const a = await addDomain(await createOrg(t, 'A'), 'acme.com');
      await verify(a.id, { method: 'manual' }).expect(200);
      const orgB = await createOrg(t, 'B');
      for (const spelling of ['acme.com', 'ACME.com.']) {
        await refused(() => t.api.post(`/api/v1/organizations/${orgB}/domains`, { domain: spelling }), 409, 'domain_verified_elsewhere', 'acme.com is already verified by another organization.');
      }
      // A subdomain is a different name, with its own TXT record.
      await addDomain(orgB, 'eu.acme.com');
    });

    it('refuses the second verification of a domain both orgs added while pending, and leaves it pending', async () => {
      const orgA = await createOrg(t, 'A');
      const orgB = await createOrg(t, 'B');
      const a = await addDomain(orgA, 'acme.com');
      const b = await addDomain(orgB, 'acme.com');
      dns.setTxt('_gatehouse-challenge.acme.com', a.verification.value, b.verification.value);
      expect((await verify(a.id).expect(200)).body.state).toBe('verified');

      dns.queries.length = 0;
      await refused(() => verify(b.id), 409, 'domain_verified_elsewhere', 'acme.com is already verified by another organization.');
      expect(dns.queries).toEqual(['_gatehouse-challenge.acme.com']);
      await refused(() => verify(b.id, { method: 'manual' }), 409, 'domain_verified_elsewhere', 'acme.com is already verified by another organization.');
      expect((await t.api.get(`/api/v1/domains/${b.id}`).expect(200)).body).toEqual(b);
      expect(await events(orgB, 'domain.verified,domain.verification_failed')).toEqual([]);

      // Once A lets go, B can verify.
      await t.api.delete(`/api/v1/domains/${a.id}`).expect(204);
      expect((await verify(b.id).expect(200)).body).toMatchObject({ state: 'verified', verification: { method: 'dns_txt' } });
    });
  });

  it('lets exactly one of two orgs verifying at the same moment win', async () => {
    const a = await addDomain(await createOrg(t, 'A'), 'acme.com');
    const b = await addDomain(await createOrg(t, 'B'), 'acme.com');
    dns.setTxt('_gatehouse-challenge.acme.com', a.verification.value, b.verification.value);
    dns.delayMs = 200;
    try {
      const results = await Promise.all([verify(a.id), verify(b.id)]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      const loser = results.find((r) => r.status === 409)!;
      expectProblem(loser, 409, 'domain_verified_elsewhere', 'acme.com is already verified by another organization.');
    } finally {
      dns.delayMs = 0;
    }
    const states = await Promise.all([a.id, b.id].map(async (id) => (await t.api.get(`/api/v1/domains/${id}`).expect(200)).body.state));
    expect(states.sort()).toEqual(['pending', 'verified']);
  });

  it('does not hold the database while waiting for DNS', async () => {
    const domain = await addDomain(await createOrg(t, 'Acme'), 'acme.com');
    dns.delayMs = 500;
    const done: string[] = [];
    try {
      const slow = verify(domain.id).then((res) => done.push(`verify ${res.status}`));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const fast = t.api.post('/api/v1/organizations', { name: 'Meanwhile' }).then((res) => done.push(`create ${res.status}`));
      await Promise.all([slow, fast]);
    } finally {
      dns.delayMs = 0;
    }
    expect(done).toEqual(['create 201', 'verify 200']);
  });

  describe('refusals', () => {
    it('answers 409 when verifying a verified domain, by DNS or by hand, without a lookup', async () => {
      const domain = await addDomain(await createOrg(t, 'Acme'), 'acme.com');
      await verify(domain.id, { method: 'manual' }).expect(200);
      await refused(() => verify(domain.id), 409, 'domain_already_verified', 'acme.com is already verified.');
      await refused(() => verify(domain.id, { method: 'manual' }), 409, 'domain_already_verified', 'acme.com is already verified.');
      expect(dns.queries).toEqual([]);
    });

    it('deletes a domain; after that it is 404 everywhere', async () => {
      const orgId = await createOrg(t, 'Acme');
      const domain = await addDomain(orgId, 'acme.com');
      const res = await t.api.delete(`/api/v1/domains/${domain.id}`);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect(await events(orgId, 'domain.deleted')).toMatchObject([{ data: { domain_id: domain.id, domain: 'acme.com' } }]);
      const gone = `No domain with id ${domain.id}.`;
      await refused(() => t.api.get(`/api/v1/domains/${domain.id}`), 404, 'not_found', gone);
      await refused(() => verify(domain.id), 404, 'not_found', gone);
      await refused(() => verify(domain.id, { method: 'manual' }), 404, 'not_found', gone);
      await refused(() => t.api.delete(`/api/v1/domains/${domain.id}`), 404, 'not_found', gone);
      await t.api.get(`/api/v1/organizations/${orgId}/domains`).expect(200, { data: [], list_metadata: { after: null } });
    });

    it('answers 404 for unknown domain ids and for unknown, deleted or foreign organization ids', async () => {
      const gone = `No domain with id ${UNKNOWN_DOMAIN}.`;
      await refused(() => t.api.get(`/api/v1/domains/${UNKNOWN_DOMAIN}`), 404, 'not_found', gone);
      await refused(() => verify(UNKNOWN_DOMAIN), 404, 'not_found', gone);
      await refused(() => verify(UNKNOWN_DOMAIN, { method: 'manual' }), 404, 'not_found', gone);
      await refused(() => t.api.delete(`/api/v1/domains/${UNKNOWN_DOMAIN}`), 404, 'not_found', gone);
      expect(dns.queries).toEqual([]);

      const deleted = await createOrg(t, 'Gone');
      await t.api.delete(`/api/v1/organizations/${deleted}`).expect(204);
      const domain = await addDomain(await createOrg(t, 'Acme'), 'acme.com');
      // A domain id is not an organization id; an org id is not a domain id.
      for (const orgId of [UNKNOWN_ORG, deleted, domain.id]) {
        await refused(() => t.api.post(`/api/v1/organizations/${orgId}/domains`, { domain: 'beta.com' }), 404, 'not_found', `No organization with id ${orgId}.`);
        await refused(() => t.api.get(`/api/v1/organizations/${orgId}/domains`), 404, 'not_found', `No organization with id ${orgId}.`);
      }
      await refused(() => verify(deleted), 404, 'not_found', `No domain with id ${deleted}.`);
    });

    it('refuses bad bodies with 422 and field errors', async () => {
      const orgId = await createOrg(t, 'Acme');
      const domain = await addDomain(orgId, 'acme.com');
      const add = (body: object) => () => t.api.post(`/api/v1/organizations/${orgId}/domains`, body);
      const cases: Array<[string, () => PromiseLike<Response>, string, { field: string; code: string }]> = [
        ['missing domain', add({}), 'domain is required.', { field: 'domain', code: 'invalid_type' }],
        ['domain not a string', add({ domain: 5 }), 'domain must be a string.', { field: 'domain', code: 'invalid_type' }],
        ['unknown field', add({ domain: 'beta.com', verified: true }), 'Unknown field: verified.', { field: '(body)', code: 'unrecognized_keys' }],
        ['unknown method', () => verify(domain.id, { method: 'magic' }), 'method: Invalid option: expected one of "dns_txt"|"manual"', { field: 'method', code: 'invalid_value' }],
        ['unknown verify field', () => verify(domain.id, { method: 'manual', force: true }), 'Unknown field: force.', { field: '(body)', code: 'unrecognized_keys' }],
      ];
      for (const [label, send, detail, error] of cases) {
        const res = await refused(send, 422, 'validation_failed', detail);
        expect(res.body.errors, label).toEqual([{ ...error, message: detail }]);
      }
      await refused(add([1]), 400, 'malformed_body', 'The request body must be a JSON object.');
      expect(dns.queries).toEqual([]);
    });

    it('refuses malformed names, public suffixes and consumer domains with the code in errors[0]', async () => {
      const orgId = await createOrg(t, 'Acme');
      const cases: Array<[string, string, string]> = [
        ['', 'malformed_domain', '"" is not a valid domain name: it is empty.'],
        ['https://acme.com/', 'malformed_domain', '"https://acme.com/" is not a valid domain name: give the bare domain, such as example.com, without a scheme, path, port or address.'],
        ['acme.com:8443', 'malformed_domain', '"acme.com:8443" is not a valid domain name: give the bare domain, such as example.com, without a scheme, path, port or address.'],
        ['localhost', 'malformed_domain', '"localhost" is not a valid domain name: it needs at least two labels, such as example.com.'],
        ['acme_corp.com', 'malformed_domain', '"acme_corp.com" is not a valid domain name: the label "acme_corp" must be 1 to 63 letters, digits or hyphens, not starting or ending with a hyphen.'],
        ['10.0.0.1', 'malformed_domain', '"10.0.0.1" is not a valid domain name: an IP address is not a domain.'],
        ['com', 'public_suffix', '"com" is a public suffix, under which anyone can register names; claim your own domain under it instead.'],
        ['co.uk', 'public_suffix', '"co.uk" is a public suffix, under which anyone can register names; claim your own domain under it instead.'],
        ['github.io', 'public_suffix', '"github.io" is a public suffix, under which anyone can register names; claim your own domain under it instead.'],
        ['gmail.com', 'consumer_domain', '"gmail.com" is a consumer mail domain shared by many people; only a domain your organisation owns can be verified.'],
        ['Outlook.com', 'consumer_domain', '"outlook.com" is a consumer mail domain shared by many people; only a domain your organisation owns can be verified.'],
      ];
      for (const [domain, code, detail] of cases) {
        const res = await refused(() => t.api.post(`/api/v1/organizations/${orgId}/domains`, { domain }), 422, 'validation_failed', detail);
        expect(res.body.errors, domain).toEqual([{ field: 'domain', code, message: detail }]);
      }
    });
  });

  describe('the 30-day rule', () => {
    it('fails a domain pending for 30 days in the sweep, and keeps one pending for 29', async () => {
      const orgId = await createOrg(t, 'Acme');
      const old = await addDomain(orgId, 'acme.com');
      t.clock.advance(DAY_MS);
      const young = await addDomain(orgId, 'beta.com');
      t.clock.advance(29 * DAY_MS);
      const at = '2026-12-31T09:00:00.000Z';

      expect(await t.app.uow((trx) => failExpiredDomains(trx, t.call))).toBe(1);
      const reason = 'The domain was not verified within 30 days. Add the TXT record and verify again.';
      expect((await t.api.get(`/api/v1/domains/${old.id}`).expect(200)).body).toEqual({ ...old, state: 'failed', failure_reason: reason, updated_at: at });
      expect((await t.api.get(`/api/v1/domains/${young.id}`).expect(200)).body).toEqual(young);
      expect(await events(orgId, 'domain.verification_failed')).toMatchObject([{ actor: { type: 'operator' }, data: { domain_id: old.id, domain: 'acme.com', reason } }]);
      // A second sweep finds nothing left to fail.
      expect(await t.app.uow((trx) => failExpiredDomains(trx, t.call))).toBe(0);

      // The reason asks to publish the record and verify again: that still works.
      dns.setTxt('_gatehouse-challenge.acme.com', old.verification.value);
      expect((await verify(old.id).expect(200)).body).toMatchObject({ state: 'verified', failure_reason: null, verified_at: at });
    });

    it('fails a 30-day-old domain on its next DNS check, naming the last error; 29 days stays pending', async () => {
      const orgId = await createOrg(t, 'Acme');
      const old = await addDomain(orgId, 'acme.com');
      t.clock.advance(DAY_MS);
      const young = await addDomain(orgId, 'beta.com');
      t.clock.advance(29 * DAY_MS);

      const failed = await verify(old.id);
      expectJson(failed, 200);
      expect(failed.body).toMatchObject({
        state: 'failed',
        failure_reason: `The domain was not verified within 30 days. Last check: ${noRecord('_gatehouse-challenge.acme.com')} Add the TXT record and verify again.`,
        verification: { last_error: noRecord('_gatehouse-challenge.acme.com') },
      });
      expect((await verify(young.id).expect(200)).body).toMatchObject({ state: 'pending', failure_reason: null, verification: { last_error: noRecord('_gatehouse-challenge.beta.com') } });
      expect((await events(orgId, 'domain.verification_failed')).map((e: { data: { reason: string } }) => e.data.reason)).toEqual([
        failed.body.failure_reason,
        noRecord('_gatehouse-challenge.beta.com'),
      ]);
    });
  });

  describe('the CLI', () => {
    it('adds a domain, prints the TXT record, and exits 2 until the record is published', async () => {
      const env = { GATEHOUSE_DATA_DIR: t.dir, GATEHOUSE_SECRET: TEST_SECRET, DNS_SERVERS: dns.server };
      const orgId = await createOrg(t, 'Acme');

      const added = await cli(env, 'domain', 'add', '--org', orgId, 'Acme.com');
      expect(added.code).toBe(0);
      const [, id, value] = /^Added acme\.com \((dom_[0-9A-Z]{26})\), pending\. Publish this DNS record, then run: gatehouse domain verify \1\n\n {2}_gatehouse-challenge\.acme\.com {2}TXT {2}"(gatehouse-domain-verification=[A-Za-z0-9_-]{24})"\n$/.exec(added.out) ?? [];
      expect(id, added.out).toBeDefined();
      // The app sees what the CLI wrote to the same database.
      expect((await t.api.get(`/api/v1/domains/${id}`).expect(200)).body).toMatchObject({ organization_id: orgId, domain: 'acme.com', state: 'pending', verification: { value } });

      const pending = await cli(env, 'domain', 'verify', id!);
      expect(pending).toEqual({ code: 2, out: `acme.com is pending: ${noRecord('_gatehouse-challenge.acme.com')}`, err: '' });
      expect(dns.queries).toContain('_gatehouse-challenge.acme.com');
      const pendingJson = await cli(env, 'domain', 'verify', id!, '--json');
      expect(pendingJson.code).toBe(2);
      expect(JSON.parse(pendingJson.out)).toMatchObject({ id, state: 'pending', verification: { last_error: noRecord('_gatehouse-challenge.acme.com') } });

      dns.setTxt('_gatehouse-challenge.acme.com', value!);
      const verified = await cli(env, 'domain', 'verify', id!, '--json');
      expect(verified.code).toBe(0);
      expect(JSON.parse(verified.out)).toMatchObject({ id, organization_id: orgId, domain: 'acme.com', state: 'verified', verification: { method: 'dns_txt', last_error: null } });
      expect((await t.api.get(`/api/v1/domains/${id}`).expect(200)).body).toMatchObject({ state: 'verified', verification: { method: 'dns_txt' } });

      expect(await cli(env, 'domain', 'verify', id!)).toEqual({ code: 1, out: '', err: 'gatehouse: acme.com is already verified.' });
    });

    it('prints parseable JSON for domain add --json, and refuses a bad name with its code', async () => {
      const env = { GATEHOUSE_DATA_DIR: t.dir, GATEHOUSE_SECRET: TEST_SECRET, DNS_SERVERS: dns.server };
      const orgId = await createOrg(t, 'Acme');
      const added = await cli(env, 'domain', 'add', '--org', orgId, 'acme.com', '--json');
      expect(added.code).toBe(0);
      expect(JSON.parse(added.out)).toMatchObject({ organization_id: orgId, domain: 'acme.com', state: 'pending', verification: { type: 'dns_txt', name: '_gatehouse-challenge.acme.com', value: expect.stringMatching(VALUE) } });

      const before = await t.snapshot();
      const refusedName = await cli(env, 'domain', 'add', '--org', orgId, 'co.uk', '--json');
      expect(refusedName.code).toBe(1);
      const detail = '"co.uk" is a public suffix, under which anyone can register names; claim your own domain under it instead.';
      expect(JSON.parse(refusedName.err)).toEqual({ error: 'validation_failed', message: detail, errors: [{ field: 'domain', code: 'public_suffix', message: detail }] });
      expect(await t.snapshot()).toEqual(before);
    });
  });
});
