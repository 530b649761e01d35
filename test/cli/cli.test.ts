import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import supertest from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { cli } from '../helpers/cli.ts';
import { IDP } from '../helpers/saml.ts';

describe('gatehouse CLI', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-cli-'));
    env = { GATEHOUSE_DATA_DIR: dir };
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('migrates a new data directory and generates the master key 0600', async () => {
    const res = await cli(env, 'migrate');
    expect(res).toMatchObject({ code: 0, out: 'Database is at the latest migration.' });
    expect(fs.statSync(path.join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
    const tables = new SQLite(path.join(dir, 'gatehouse.db'), { readonly: true }).prepare("select name from sqlite_master where type='table' order by name").all();
    expect(tables.map((t: any) => t.name)).toContain('organizations');
  });

  it('creates an API key that the API accepts, shown once and stored only as a hash', async () => {
    const res = await cli(env, 'api-key', 'create', '--name', 'my app', '--json');
    expect(res.code).toBe(0);
    const { id, key } = JSON.parse(res.out);
    expect(key).toMatch(/^gk_[A-Za-z0-9_-]{12}_[A-Za-z0-9_-]{43}$/);
    const raw = fs.readFileSync(path.join(dir, 'gatehouse.db')).toString('latin1') + (fs.existsSync(path.join(dir, 'gatehouse.db-wal')) ? fs.readFileSync(path.join(dir, 'gatehouse.db-wal')).toString('latin1') : '');
    expect(raw).not.toContain(key);

    const app = createApp(loadConfig({ ...env, LOG_LEVEL: 'silent' }));
    await app.start({ listen: false });
    try {
      const list = await supertest(app.koa.callback()).get('/api/v1/organizations').set('Authorization', `Bearer ${key}`).expect(200);
      expect(list.body).toEqual({ data: [], list_metadata: { after: null } });
      const events = await supertest(app.koa.callback()).get('/api/v1/events?types=api_key.created').set('Authorization', `Bearer ${key}`).expect(200);
      expect(events.body.data[0]).toMatchObject({ type: 'api_key.created', actor: { type: 'operator', id: null }, data: { api_key_id: id, name: 'my app' } });
    } finally {
      await app.stop();
    }
  });

  it('creates an org, adds a domain, verifies it by hand, and invites an admin', async () => {
    const org = await cli(env, 'org', 'create', '--name', 'Acme', '--sso', '--json');
    const orgId = JSON.parse(org.out).id;
    expect(JSON.parse(org.out)).toMatchObject({ name: 'Acme', sso_entitled: true });
    const human = await cli(env, 'org', 'create', '--name', 'Beta');
    expect(human.out).toMatch(/^Created organization org_[0-9A-Z]{26} "Beta"\.$/);

    const domain = await cli(env, 'domain', 'add', '--org', orgId, 'Acme.COM');
    expect(domain.code).toBe(0);
    expect(domain.out).toMatch(/_gatehouse-challenge\.acme\.com {2}TXT {2}"gatehouse-domain-verification=[A-Za-z0-9_-]{24}"/);
    const domainId = /\((dom_[0-9A-Z]{26})\)/.exec(domain.out)![1]!;
    const verified = await cli(env, 'domain', 'verify', domainId, '--manual');
    expect(verified).toMatchObject({ code: 0, out: 'acme.com is verified (manual).' });

    const invite = await cli(env, 'invite', '--org', orgId, '--email', 'ann@acme.com', '--role', 'admin', '--json');
    expect(invite.code).toBe(0);
    expect(JSON.parse(invite.out)).toMatchObject({ email: 'ann@acme.com', role: 'admin', accept_url: expect.stringMatching(/^http:\/\/localhost:8080\/invitations\/inv_/) });
  });

  it('rotates the SAML SP keys: SP metadata publishes old and new certificates for the overlap', async () => {
    const app = createApp(loadConfig({ ...env, LOG_LEVEL: 'silent' }));
    await app.start({ listen: false });
    const keyOf = (json: string) => JSON.parse(json) as { added: string[]; retired: string[]; unpublish_after: string };
    try {
      const http = supertest(app.koa.callback());
      const key = JSON.parse((await cli(env, 'api-key', 'create', '--name', 'k', '--json')).out).key as string;
      const org = JSON.parse((await cli(env, 'org', 'create', '--name', 'Acme', '--sso', '--json')).out).id as string;
      const connection = await http.post(`/api/v1/organizations/${org}/connections`).set('Authorization', `Bearer ${key}`)
        .send({ type: 'saml', provider: 'okta', saml: { idp_entity_id: 'https://idp.acme.test', sso_url: 'https://idp.acme.test/sso', certificates: [IDP.certificate] } });
      expect(connection.status).toBe(201);
      const certificatesIn = async () => ((await http.get(`/sso/saml/${connection.body.id}/metadata`).expect(200)).text.match(/<ds:X509Certificate>/g) ?? []).length;
      expect(await certificatesIn()).toBe(2);

      const rotated = await cli(env, 'saml-keys', 'rotate', '--json');
      expect(rotated.code).toBe(0);
      const { added, retired, unpublish_after } = keyOf(rotated.out);
      expect(added).toHaveLength(2);
      expect(retired).toHaveLength(2);
      expect(Date.parse(unpublish_after) - Date.now()).toBeGreaterThan(29 * 86_400_000);
      // The server reads SP keys once a minute; a fresh app on the same data sees both generations now.
      const fresh = createApp(loadConfig({ ...env, LOG_LEVEL: 'silent' }));
      await fresh.start({ listen: false });
      try {
        const metadata = (await supertest(fresh.koa.callback()).get(`/sso/saml/${connection.body.id}/metadata`).expect(200)).text;
        expect((metadata.match(/<ds:X509Certificate>/g) ?? []).length).toBe(4);
      } finally {
        await fresh.stop();
      }
      const human = await cli(env, 'saml-keys', 'rotate');
      expect(human.out).toMatch(/^Added SAML SP keys spk_\w+, spk_\w+\. Retired spk_\w+, spk_\w+: still in SP metadata/);
      const events = await app.db.selectFrom('events').select(['type', 'actor_type']).where('type', '=', 'saml_sp_key.rotated').execute();
      expect(events).toEqual([{ type: 'saml_sp_key.rotated', actor_type: 'operator' }, { type: 'saml_sp_key.rotated', actor_type: 'operator' }]);
    } finally {
      await app.stop();
    }
  });

  it('refuses bad commands with a usage message and a non-zero code', async () => {
    expect(await cli(env, 'frobnicate')).toMatchObject({ code: 64, err: expect.stringContaining('gatehouse: unknown command "frobnicate"') });
    expect(await cli(env, 'org', 'create')).toMatchObject({ code: 64, err: expect.stringContaining('gatehouse: missing --name') });
    expect(await cli(env, 'org', 'create', '--nme', 'x')).toMatchObject({ code: 64, err: expect.stringContaining("Unknown option '--nme'") });
    expect(await cli(env, 'invite', '--org', 'org_x', '--email', 'a@b.com', '--role', 'owner')).toMatchObject({ code: 64, err: expect.stringContaining('--role must be member or admin') });
    expect(await cli(env, 'domain', 'add', '--org', 'org_01M8T247H71E8T82MXYZ8V2G2J', 'acme.com')).toMatchObject({ code: 1, err: 'gatehouse: No organization with id org_01M8T247H71E8T82MXYZ8V2G2J.' });
    expect(await cli({ ...env, PORT: 'x' }, 'migrate')).toMatchObject({ code: 78, err: 'gatehouse: configuration error: PORT: expected a whole number from 1 to 65535 (got "x")' });
    expect(await cli(env, '--help')).toMatchObject({ code: 0, out: expect.stringContaining('Usage: gatehouse <command>') });
  });

  it('backs up the live database into a file that opens with the same data', async () => {
    const org = JSON.parse((await cli(env, 'org', 'create', '--name', 'Kept', '--json')).out);
    const file = path.join(dir, 'backup.db');
    const res = await cli(env, 'backup', file);
    expect(res.code).toBe(0);
    const row = new SQLite(file, { readonly: true }).prepare('select name from organizations where id = ?').get(org.id) as { name: string };
    expect(row.name).toBe('Kept');
    expect(await cli(env, 'backup', file)).toMatchObject({ code: 64, err: expect.stringContaining('already exists') });
  });
});
