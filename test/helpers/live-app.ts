import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { createApiKey } from '../../src/api/api-keys.service.ts';
import { createApp, type Gatehouse } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import type { Call } from '../../src/context.ts';
import { freePort } from './server-process.ts';
import { TEST_SECRET } from './test-app.ts';

export interface LiveApp {
  app: Gatehouse;
  url: string;
  dir: string;
  apiKey: string;
  call: Call;
  /** Calls the management API with the key. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** Stops the server but keeps the data directory (for restart tests). */
  stop(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A real listening Gatehouse on 127.0.0.1 with its issuer at that address, for clients (openid-client)
 * that need real HTTP. Pass `dir` and `port` to start again on the same database and address.
 */
export async function startLiveApp(options: { dir?: string; port?: number; env?: Record<string, string>; apiKey?: string } = {}): Promise<LiveApp> {
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-live-'));
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const config = loadConfig({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_SECRET: TEST_SECRET, PORT: String(port), GATEHOUSE_BASE_URL: url, GATEHOUSE_MODE: 'development', ...options.env });
  const app = createApp(config, { logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }) });
  await app.start({ listen: true, host: '127.0.0.1' });
  const call: Call = { ctx: app.ctx, actor: { type: 'operator' } };
  const apiKey = options.apiKey ?? (await app.uow((trx) => createApiKey(trx, call, 'live'))).key;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await app.stop();
  };
  return {
    app, url, dir, apiKey, call,
    async api(method, p, body) {
      const res = await fetch(`${url}/api/v1${p}`, {
        method,
        headers: { Authorization: `Bearer ${apiKey}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    stop,
    async close() {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
