/**
 * bench/scim: SCIM throughput on the embedded database, through the real HTTP server.
 *   users created per second: 8 concurrent clients POSTing 10,000 users
 *   `userName eq` lookups per second at 10,000 and at 100,000 users (must not fall: an index seek)
 * Run: npm run bench:scim   (Node 24 runs the TypeScript directly). Listens on 127.0.0.1 only.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { pino } from 'pino';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import type { Call } from '../src/context.ts';
import { newId } from '../src/crypto/ids.ts';
import { createOrganization } from '../src/orgs/organizations.service.ts';
import { createDirectory } from '../src/scim/directories.service.ts';

const CLIENTS = 8;
const CREATE_USERS = Number(process.env.BENCH_USERS ?? 10_000);
const LARGE_USERS = Number(process.env.BENCH_LARGE_USERS ?? 100_000);
const LOOKUPS = Number(process.env.BENCH_LOOKUPS ?? 4_000);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-'));
const config = loadConfig({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_SECRET: 'bench-secret-bench-secret-bench-secret-0', PORT: '18473', LOG_LEVEL: 'silent' });
const app = createApp(config, { logger: pino({ level: 'silent' }) });
const { url } = await app.start({ listen: true, host: '127.0.0.1' });
const call: Call = { ctx: app.ctx, actor: { type: 'operator' } };
const org = await app.uow((trx) => createOrganization(trx, call, { name: 'Bench' }));
const { directory, token } = await app.uow((trx) => createDirectory(trx, call, org.id, { provider: 'okta' }));
const base = `${url}/scim/v2/${directory.id}`;
const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/scim+json' };

async function inParallel(total: number, work: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let i = next++; i < total; i = next++) await work(i);
    }),
  );
  return (performance.now() - started) / 1000;
}

const userBody = (i: number) => JSON.stringify({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  userName: `user${i}@bench.example`,
  name: { givenName: `Given${i}`, familyName: `Family${i}` },
  emails: [{ value: `user${i}@bench.example`, type: 'work', primary: true }],
  externalId: `ext-${i}`,
  active: true,
});

const createSeconds = await inParallel(CREATE_USERS, async (i) => {
  const res = await fetch(`${base}/Users`, { method: 'POST', headers, body: userBody(i) });
  if (res.status !== 201) throw new Error(`POST /Users answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
});

async function lookupRate(population: number): Promise<number> {
  const seconds = await inParallel(LOOKUPS, async (i) => {
    const n = (i * 7919) % population;
    const filter = encodeURIComponent(`userName eq "USER${n}@bench.example"`);
    const res = await fetch(`${base}/Users?filter=${filter}`, { headers });
    const body = (await res.json()) as { totalResults: number };
    if (body.totalResults !== 1) throw new Error(`lookup of user${n} found ${body.totalResults}`);
  });
  return LOOKUPS / seconds;
}

const lookupsSmall = await lookupRate(CREATE_USERS);

// Grow to the large population directly in the database (the lookup is what is measured here).
const now = new Date().toISOString();
for (let start = CREATE_USERS; start < LARGE_USERS; start += 5_000) {
  await app.db.transaction().execute(async (trx) => {
    for (let i = start; i < Math.min(start + 5_000, LARGE_USERS); i++) {
      const email = `user${i}@bench.example`;
      const userId = newId('user');
      await trx.insertInto('users').values({ id: userId, email, email_verified: 0, first_name: null, last_name: null, password_hash: null, password_set_at: null, created_at: now, updated_at: now }).execute();
      await trx.insertInto('memberships').values({ id: newId('mem'), organization_id: org.id, user_id: userId, role: 'member', state: 'active', disabled_by: null, disabled_at: null, source: 'directory', role_source: 'manual', created_at: now, updated_at: now }).execute();
      await trx.insertInto('scim_users').values({ id: newId('dsu'), directory_id: directory.id, user_id: userId, user_name: email, user_name_key: email, external_id: `ext-${i}`, active: 1, given_name: null, family_name: null, display_name: null, raw: '{}', version: 1, deleted_at: null, created_at: now, updated_at: now }).execute();
    }
  });
}
// 90,000 rows went into the WAL at once; checkpoint it as a running server would have over time.
await sql`pragma wal_checkpoint(TRUNCATE)`.execute(app.db);
// The clients' keep-alive sockets sat idle during the inserts; let the server close them (5 s idle
// timeout) before measuring again, rather than racing a close with the next request.
await new Promise((resolve) => setTimeout(resolve, 6_000));
const lookupsLarge = await lookupRate(LARGE_USERS);
const plan = await sql<{ detail: string }>`explain query plan select * from scim_users where directory_id = ${directory.id} and deleted_at is null and user_name_key = ${'user1@bench.example'}`.execute(app.db);

console.log(`SCIM bench on the embedded database (${os.availableParallelism()} cores, ${CLIENTS} concurrent clients)`);
console.log(`  users created:                 ${(CREATE_USERS / createSeconds).toFixed(0)} /s  (${CREATE_USERS} users in ${createSeconds.toFixed(1)} s)`);
console.log(`  userName eq at ${String(CREATE_USERS).padStart(7)} users:  ${lookupsSmall.toFixed(0)} lookups/s`);
console.log(`  query plan for userName eq:    ${plan.rows.map((r) => r.detail).join('; ')}`);
console.log(`  userName eq at ${String(LARGE_USERS).padStart(7)} users:  ${lookupsLarge.toFixed(0)} lookups/s  (${((lookupsLarge / lookupsSmall) * 100).toFixed(0)}% of the rate at ${CREATE_USERS})`);

await app.stop();
fs.rmSync(dir, { recursive: true, force: true });
