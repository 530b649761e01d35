import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import supertest from 'supertest';
import { createApiKey } from '../../src/api/api-keys.service.ts';
import { createApp, type Gatehouse } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import type { Call } from '../../src/context.ts';
import { fixedClock, type TestClock } from './clock.ts';

export const TEST_SECRET = 'test-secret-test-secret-test-secret-0123';

export interface TestApp {
  app: Gatehouse;
  clock: TestClock;
  dir: string;
  apiKey: string;
  /** Supertest against the real Koa app, with the API key already set. */
  api: {
    get(url: string): supertest.Test;
    post(url: string, body?: object | string): supertest.Test;
    put(url: string, body?: object): supertest.Test;
    patch(url: string, body?: object): supertest.Test;
    delete(url: string): supertest.Test;
  };
  /** Supertest without credentials. */
  http: ReturnType<typeof supertest>;
  /** A service call as the operator, for seeding data the API does not create (JIT/SCIM users). */
  call: Call;
  /** Every row of every table (ordered), to prove a refused request changed nothing. */
  snapshot(): Promise<Record<string, unknown[]>>;
  close(): Promise<void>;
}

const TABLES = ['organizations', 'domains', 'users', 'memberships', 'it_contacts', 'sites', 'site_assignments', 'invitations', 'events', 'mail_outbox', 'connections', 'connection_certificates'] as const;

/** A migrated app on a temporary SQLite file, a fixed clock and an API key. */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-test-'));
  const config = loadConfig({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_SECRET: TEST_SECRET, PORT: '8080', GATEHOUSE_BASE_URL: 'http://gatehouse.test', ...env });
  const clock = fixedClock();
  const app = createApp(config, { clock, logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }) });
  await app.start({ listen: false });
  const call: Call = { ctx: app.ctx, actor: { type: 'operator' } };
  const { key } = await app.uow((trx) => createApiKey(trx, call, 'test'));
  const http = supertest(app.koa.callback());
  const auth = (t: supertest.Test) => t.set('Authorization', `Bearer ${key}`);
  return {
    app,
    clock,
    dir,
    apiKey: key,
    http,
    call,
    api: {
      get: (url) => auth(http.get(url)),
      post: (url, body) => (body === undefined ? auth(http.post(url)) : auth(http.post(url)).send(body)),
      put: (url, body) => auth(http.put(url)).send(body ?? {}),
      patch: (url, body) => auth(http.patch(url)).send(body ?? {}),
      delete: (url) => auth(http.delete(url)),
    },
    async snapshot() {
      const out: Record<string, unknown[]> = {};
      for (const table of TABLES) out[table] = await app.db.selectFrom(table).selectAll().orderBy('id').execute();
      return out;
    },
    async close() {
      await app.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
