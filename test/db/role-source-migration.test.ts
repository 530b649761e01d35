import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Migrator } from 'kysely/migration';
import { describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.ts';
import { openDatabase } from '../../src/db/database.ts';

/**
 * 0009_role_source_default on a database from before it: a `manual` member (the old spelling of "nobody
 * chose this role") becomes `default`, so group mappings still change it; every other row stays.
 */
describe('migration 0009: role_source default', () => {
  it('turns manual members into default and leaves admins and mapped roles as they were', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-0009-'));
    const { db, sqlite } = openDatabase(`sqlite:${dir}/g.db`);
    try {
      const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
      expect((await migrator.migrateTo('0008_certificate_monitor')).error).toBeUndefined();
      const now = new Date().toISOString();
      sqlite.prepare('insert into organizations (id, name, sso_entitled, auto_provision, enforce_sso, created_at, updated_at) values (?, ?, 0, 1, 0, ?, ?)').run('org_1', 'Acme', now, now);
      const rows = [['m1', 'member', 'manual'], ['m2', 'admin', 'manual'], ['m3', 'member', 'group_mapping'], ['m4', 'admin', 'group_mapping']];
      for (const [id, role, source] of rows) {
        sqlite.prepare('insert into users (id, email, email_verified, created_at, updated_at) values (?, ?, 1, ?, ?)').run(`u_${id}`, `${id}@acme.test`, now, now);
        sqlite.prepare("insert into memberships (id, organization_id, user_id, role, state, source, role_source, created_at, updated_at) values (?, 'org_1', ?, ?, 'active', 'api', ?, ?, ?)").run(id, `u_${id}`, role, source, now, now);
      }
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      const after = () => sqlite.prepare('select id, role_source from memberships order by id').all();
      expect(after()).toEqual([{ id: 'm1', role_source: 'default' }, { id: 'm2', role_source: 'manual' }, { id: 'm3', role_source: 'group_mapping' }, { id: 'm4', role_source: 'group_mapping' }]);
      expect((await migrator.migrateTo('0008_certificate_monitor')).error).toBeUndefined();
      expect(after()).toEqual([{ id: 'm1', role_source: 'manual' }, { id: 'm2', role_source: 'manual' }, { id: 'm3', role_source: 'group_mapping' }, { id: 'm4', role_source: 'group_mapping' }]);
    } finally {
      await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
