import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.ts';
import { startDnsServer } from '../helpers/dns-server.ts';
import { type ServerProcess, startServer } from '../helpers/server-process.ts';

/** The real server process, as `npm start` runs it: start-up, graceful shutdown, crash durability. */
describe('the server process', { timeout: 90_000 }, () => {
  let dir: string;
  const running: ServerProcess[] = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-proc-'));
  });
  afterEach(async () => {
    for (const server of running.splice(0)) {
      if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
      await server.exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function apiKey(): Promise<string> {
    return JSON.parse((await cli({ GATEHOUSE_DATA_DIR: dir }, 'api-key', 'create', '--name', 'proc', '--json')).out).key;
  }

  it('starts on an empty data directory with no configuration and serves /healthz and /readyz', async () => {
    const server = await startServer({ GATEHOUSE_DATA_DIR: dir });
    running.push(server);
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${server.url}/readyz`)).json()).toEqual({ status: 'ok', database: 'ok' });
    expect(server.output()).toContain('Gatehouse is running at http://localhost:');
    expect(fs.existsSync(path.join(dir, 'gatehouse.db'))).toBe(true);
  });

  it('exits with a one-line error naming a bad variable', async () => {
    await expect(startServer({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_MODE: 'staging' }, 15_000)).rejects.toThrow(
      'gatehouse: configuration error: GATEHOUSE_MODE: expected production or development (got "staging")',
    );
  });

  it('on SIGTERM stops accepting, finishes the request in flight, and exits 0', async () => {
    const dns = await startDnsServer();
    try {
      const key = await apiKey();
      const env = { GATEHOUSE_DATA_DIR: dir, DNS_SERVERS: dns.server };
      const orgId = JSON.parse((await cli(env, 'org', 'create', '--name', 'Acme', '--json')).out).id;
      const domain = JSON.parse((await cli(env, 'domain', 'add', '--org', orgId, 'acme.com', '--json')).out);
      dns.setTxt(domain.verification.name, domain.verification.value);
      dns.delayMs = 1500; // hold the verify request in flight while the server is told to stop

      const server = await startServer(env);
      running.push(server);
      const inFlight = fetch(`${server.url}/api/v1/domains/${domain.id}/verify`, { method: 'POST', headers: { Authorization: `Bearer ${key}` } });
      await new Promise((r) => setTimeout(r, 400));
      server.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 200));
      await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();

      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(((await res.json()) as { state: string }).state).toBe('verified');
      expect(await server.exited).toEqual({ code: 0, signal: null });
      expect(server.output()).toContain('shutting down: finishing in-flight requests');
      const db = new SQLite(path.join(dir, 'gatehouse.db'), { readonly: true });
      expect(db.prepare('select state from domains where id = ?').get(domain.id)).toEqual({ state: 'verified' });
      db.close();
    } finally {
      await dns.close();
    }
  });

  it('keeps every acknowledged organization after kill -9 in the middle of writes (WAL)', async () => {
    const key = await apiKey();
    const env = { GATEHOUSE_DATA_DIR: dir, LOG_LEVEL: 'warn' };
    const server = await startServer(env);
    running.push(server);
    const acknowledged: string[] = [];
    let stop = false;
    const writer = async (worker: number) => {
      for (let i = 0; !stop && i < 2000; i++) {
        try {
          const res = await fetch(`${server.url}/api/v1/organizations`, {
            method: 'POST',
            headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
            body: JSON.stringify({ name: `Org ${worker}-${i}` }),
          });
          if (res.status === 201) acknowledged.push(((await res.json()) as { id: string }).id);
        } catch {
          return; // the server is gone
        }
      }
    };
    const writers = [1, 2, 3, 4].map(writer);
    while (acknowledged.length < 150) await new Promise((r) => setTimeout(r, 5));
    server.child.kill('SIGKILL');
    stop = true;
    await Promise.all(writers);
    expect(await server.exited).toEqual({ code: null, signal: 'SIGKILL' });

    const again = await startServer(env);
    running.push(again);
    const db = new SQLite(path.join(dir, 'gatehouse.db'), { readonly: true });
    expect(db.prepare('pragma integrity_check').get()).toEqual({ integrity_check: 'ok' });
    const stored = new Set((db.prepare('select id from organizations').all() as Array<{ id: string }>).map((r) => r.id));
    // Each organization came with its event, or neither exists: one transaction per request.
    const orphans = db.prepare(`
      select (select count(*) from organizations o where not exists (select 1 from events e where e.type = 'organization.created' and e.organization_id = o.id)) as orgs_without_event,
             (select count(*) from events e where e.type = 'organization.created' and not exists (select 1 from organizations o where o.id = e.organization_id)) as events_without_org`).get();
    db.close();
    expect(acknowledged.length).toBeGreaterThanOrEqual(150);
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
    expect(orphans).toEqual({ orgs_without_event: 0, events_without_org: 0 });
    const res = await fetch(`${again.url}/api/v1/organizations?limit=1`, { headers: { Authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
  });
});
