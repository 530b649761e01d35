/**
 * The certificate monitor's test harness: a Gatehouse on a data directory the test keeps (so it can be
 * restarted, or opened twice as two replicas), an org with IT contacts and active SAML connections made
 * through the API, and certificates generated to expire when a test needs.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import supertest from 'supertest';
import { expect } from 'vitest';
import { createApiKey } from '../../src/api/api-keys.service.ts';
import { createApp, type Gatehouse } from '../../src/app.ts';
import { DAY_MS } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import type { Call } from '../../src/context.ts';
import { selfSignedCertificate } from '../../src/crypto/self-signed.ts';
import { migrateToLatest } from '../../src/db/migrator.ts';
import { certificateInfo, type CertificateInfo } from '../../src/sso/saml/idp-certificate.ts';
import { replaceCertificates } from '../../src/sso/connections.service.ts';
import type { TestClock } from '../helpers/clock.ts';
import { IDP } from '../helpers/saml.ts';
import { TEST_SECRET } from '../helpers/test-app.ts';

export const BASE_URL = 'http://gatehouse.test';

export interface MonitorApp {
  app: Gatehouse;
  call: Call;
  api: { get(url: string): supertest.Test; post(url: string, body?: object): supertest.Test };
  http: ReturnType<typeof supertest>;
  apiKey: string;
  /** What the app logged (JSON lines), for the operator's warnings. */
  logs: Array<{ level: number; msg: string } & Record<string, unknown>>;
  stop(): Promise<void>;
}

/**
 * A Gatehouse on `dir` with `clock`. started: the server as `start()` runs it (its first certificate
 * check runs at once); not started: migrated only, like the CLI's app, so no check runs by itself.
 */
export async function openApp(dir: string, clock: TestClock, options: { smtpUrl?: string; started?: boolean } = {}): Promise<MonitorApp> {
  const config = loadConfig({
    GATEHOUSE_DATA_DIR: dir, GATEHOUSE_SECRET: TEST_SECRET, PORT: '8080', GATEHOUSE_BASE_URL: BASE_URL,
    ...(options.smtpUrl ? { SMTP_URL: options.smtpUrl } : {}),
  });
  const logs: MonitorApp['logs'] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logs.push(JSON.parse(line));
      done();
    },
  });
  const app = createApp(config, { clock, logger: pino({ level: 'info' }, sink) });
  if (options.started === false) await migrateToLatest(app.db);
  else await app.start({ listen: false });
  const call: Call = { ctx: app.ctx, actor: { type: 'operator' } };
  const { key } = await app.uow((trx) => createApiKey(trx, call, 'monitor test'));
  const http = supertest(app.koa.callback());
  return {
    app,
    call,
    logs,
    http,
    apiKey: key,
    api: {
      get: (url) => http.get(url).set('Authorization', `Bearer ${key}`),
      post: (url, body) => http.post(url).set('Authorization', `Bearer ${key}`).send(body ?? {}),
    },
    stop: () => app.stop(),
  };
}

/** An org with SSO in its plan, a verified domain and these IT contacts (their notice mails are queued too). */
export async function seedOrg(h: MonitorApp, name: string, contacts: Array<{ email: string; name?: string }>): Promise<string> {
  const org = await h.api.post('/api/v1/organizations', { name, sso_entitled: true }).expect(201);
  const domain = await h.api.post(`/api/v1/organizations/${org.body.id}/domains`, { domain: `${name.toLowerCase()}.test` }).expect(201);
  await h.api.post(`/api/v1/domains/${domain.body.id}/verify`, { method: 'manual' }).expect(200);
  for (const contact of contacts) await h.api.post(`/api/v1/organizations/${org.body.id}/it_contacts`, contact).expect(201);
  return org.body.id as string;
}

/**
 * A SAML connection created through the API (with the test IdP's long-lived certificate, as
 * saml-sign-in.e2e.test.ts does), activated, then made to trust exactly `certificates`.
 */
export async function samlConnection(h: MonitorApp, orgId: string, provider: string, certificates: CertificateInfo[], options: { activate?: boolean } = {}): Promise<string> {
  const created = await h.api
    .post(`/api/v1/organizations/${orgId}/connections`, { type: 'saml', provider, saml: { idp_entity_id: `https://idp.${provider}.test/${orgId}`, sso_url: IDP.ssoUrl, certificates: [IDP.certificate] } })
    .expect(201);
  const id = created.body.id as string;
  if (options.activate !== false) expect((await h.api.post(`/api/v1/connections/${id}/activate`).expect(200)).body.state).toBe('active');
  await h.app.uow((trx) => replaceCertificates(trx, h.call, id, certificates, 'manual'));
  return id;
}

/** A fresh key and certificate valid until `notAfter` (from 400 days before it, or from `notBefore`). */
export async function certificateUntil(commonName: string, notAfter: Date, notBefore = new Date(notAfter.getTime() - 400 * DAY_MS)): Promise<CertificateInfo> {
  const { certificatePem } = await selfSignedCertificate({ commonName, notBefore, notAfter });
  return certificateInfo(certificatePem, notBefore);
}

/** Every alert record, oldest first, as `threshold:status` per target and fingerprint. */
export async function alertRows(h: MonitorApp) {
  return h.app.db.selectFrom('certificate_alerts').selectAll().orderBy('created_at').orderBy('threshold').execute();
}

/** The events of these types, oldest first. */
export async function eventsOfType(h: MonitorApp, ...types: string[]) {
  const rows = await h.app.db.selectFrom('events').selectAll().where('type', 'in', types).orderBy('id').execute();
  return rows.map((r) => ({ type: r.type, organization_id: r.organization_id, actor_type: r.actor_type, data: JSON.parse(r.data) as Record<string, unknown> }));
}
