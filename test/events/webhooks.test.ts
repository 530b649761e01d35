/**
 * Signed webhooks (src/events/webhooks.service.ts, webhook-dispatcher.ts, webhook-signature.ts and
 * src/api/webhooks.routes.ts): Standard Webhooks signatures checked with the independent
 * `standardwebhooks` library and by hand, the retry schedule and give-up, the outbox surviving a restart,
 * event filtering, nothing sent for a refused or rolled-back change, input checks, a sealed secret, and
 * deletion. Deliveries go to a real HTTP receiver on 127.0.0.1 (test/helpers/webhook-receiver.ts), which
 * only development mode allows as an endpoint.
 *
 * The test app's dispatcher is stopped in these tests (a commit no longer wakes it), so each test decides
 * when deliveries are sent with `flush()` and its counts are exact; the last describe checks that the
 * started dispatcher sends on commit by itself, and does not run once stopped.
 */
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import supertest from 'supertest';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp, type Gatehouse } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { MAX_ATTEMPTS, RETRY_DELAYS_MS } from '../../src/events/webhook-dispatcher.ts';
import { createOrganization } from '../../src/orgs/organizations.service.ts';
import { createOrg, expectProblem } from '../helpers/api.ts';
import { fixedClock } from '../helpers/clock.ts';
import { rawDatabase } from '../helpers/raw-database.ts';
import { freePort } from '../helpers/server-process.ts';
import { createTestApp, TEST_SECRET, type TestApp } from '../helpers/test-app.ts';
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from '../helpers/webhook-receiver.ts';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const UNKNOWN_WEBHOOK = 'wh_01M8T247H71E8T82MXYZ8V2G2J';

interface CreatedWebhook {
  id: string;
  url: string;
  events: string[];
  created_at: string;
  secret: string;
}

async function createWebhook(t: TestApp, url: string, events: string[]): Promise<CreatedWebhook> {
  return (await t.api.post('/api/v1/webhooks', { url, events }).expect(201)).body as CreatedWebhook;
}

async function deliveriesOf(t: TestApp, webhookId: string): Promise<any[]> {
  return (await t.api.get(`/api/v1/webhooks/${webhookId}/deliveries`).expect(200)).body.data;
}

/** The endpoints, their deliveries and the events, to prove a refused request wrote nothing. */
async function webhookTables(t: TestApp) {
  return {
    endpoints: await t.app.db.selectFrom('webhook_endpoints').selectAll().orderBy('id').execute(),
    deliveries: await t.app.db.selectFrom('webhook_deliveries').selectAll().orderBy('id').execute(),
    events: await t.app.db.selectFrom('events').selectAll().orderBy('id').execute(),
  };
}

const typeOf = (hit: ReceivedWebhook) => (JSON.parse(hit.body) as { type: string }).type;

/** A development-mode app (http to loopback allowed) whose dispatcher only sends on flush(). */
async function createWebhookApp(env: Record<string, string> = {}): Promise<TestApp> {
  const t = await createTestApp({ GATEHOUSE_MODE: 'development', ...env });
  await t.app.webhooks.stop();
  return t;
}

describe('webhooks', () => {
  let t: TestApp;
  let rx: WebhookReceiver;
  beforeEach(async () => {
    rx = await startWebhookReceiver();
    t = await createWebhookApp();
  });
  afterEach(async () => {
    await t.close();
    await rx.close();
  });

  it('signs each delivery per Standard Webhooks, verified by the standardwebhooks library and by hand', async () => {
    const created = await createWebhook(t, `${rx.url}/hooks`, ['organization.created']);
    expect(created).toEqual({ id: expect.stringMatching(/^wh_[0-9A-HJKMNP-TV-Z]{26}$/), url: `${rx.url}/hooks`, events: ['organization.created'], created_at: '2026-12-01T09:00:00.000Z', secret: expect.any(String) });
    // whsec_ + base64 of 24 random bytes.
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);

    const org = await createOrg(t, 'Acme');
    expect(await t.app.webhooks.flush()).toEqual({ succeeded: 1, failed: 0 });
    expect(rx.received).toHaveLength(1);
    const hit = rx.received[0]!;
    expect(hit.path).toBe('/hooks');
    expect(hit.headers['content-type']).toBe('application/json');
    expect(hit.headers['webhook-id']).toMatch(/^evt_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(hit.headers['webhook-timestamp']).toMatch(/^\d+$/);
    // The signature's timestamp is the real sending time (receivers compare it with their clock).
    expect(Math.abs(Number(hit.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
    expect(hit.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);

    // The independent implementation accepts it, and refuses it changed by one thing.
    const verified = new Webhook(created.secret).verify(hit.body, hit.headers);
    expect(verified).toEqual(JSON.parse(hit.body));
    expect(() => new Webhook(created.secret).verify(hit.body.replace('Acme', 'Acmf'), hit.headers), 'body changed').toThrow();
    expect(() => new Webhook(created.secret).verify(hit.body, { ...hit.headers, 'webhook-id': 'evt_01M8T247H71E8T82MXYZ8V2G2J' }), 'id changed').toThrow();
    expect(() => new Webhook(created.secret).verify(hit.body, { ...hit.headers, 'webhook-timestamp': String(Number(hit.headers['webhook-timestamp']) + 1) }), 'timestamp changed').toThrow();
    expect(() => new Webhook(`whsec_${Buffer.alloc(24, 7).toString('base64')}`).verify(hit.body, hit.headers), 'another secret').toThrow();

    // By hand: base64 HMAC-SHA256 of "id.timestamp.body", keyed by the base64-decoded secret.
    const key = Buffer.from(created.secret.slice('whsec_'.length), 'base64');
    expect(key).toHaveLength(24);
    const mac = createHmac('sha256', key).update(`${hit.headers['webhook-id']}.${hit.headers['webhook-timestamp']}.${hit.body}`).digest('base64');
    expect(hit.headers['webhook-signature']).toBe(`v1,${mac}`);

    // The body: {type, timestamp, data} where data is the event exactly as the events API shows it.
    const [event] = (await t.api.get(`/api/v1/events?organization_id=${org}`).expect(200)).body.data;
    expect(event).toMatchObject({ type: 'organization.created', organization_id: org, data: { name: 'Acme' }, actor: { type: 'api_key' } });
    expect(JSON.parse(hit.body)).toEqual({ type: 'organization.created', timestamp: event.created_at, data: event });
    expect(hit.headers['webhook-id']).toBe(event.id);

    expect(await deliveriesOf(t, created.id)).toEqual([{
      id: expect.stringMatching(/^whd_[0-9A-HJKMNP-TV-Z]{26}$/), webhook_id: created.id, event_id: event.id, status: 'succeeded', attempts: 1,
      next_attempt_at: null, last_attempt_at: '2026-12-01T09:00:00.000Z', last_status_code: 200, last_error: null, last_response: 'ok',
      delivered_at: '2026-12-01T09:00:00.000Z', created_at: '2026-12-01T09:00:00.000Z',
    }]);
    // Delivered is delivered: nothing is sent again.
    t.clock.advance(DAY);
    expect(await t.app.webhooks.flush()).toEqual({ succeeded: 0, failed: 0 });
    expect(rx.received).toHaveLength(1);
  });

  it('retries a receiver that answers 500 twice after 5 s and 5 min, with the same webhook-id, until it answers 200', async () => {
    const webhook = await createWebhook(t, `${rx.url}/hooks`, ['organization.created']);
    rx.failNext(2);
    await createOrg(t, 'Acme');

    expect(await t.app.webhooks.flush(), 'attempt 1').toEqual({ succeeded: 0, failed: 1 });
    expect(await deliveriesOf(t, webhook.id)).toMatchObject([{
      status: 'pending', attempts: 1, last_status_code: 500, last_error: 'The endpoint answered 500.', last_response: 'receiver failure 500',
      last_attempt_at: '2026-12-01T09:00:00.000Z', next_attempt_at: '2026-12-01T09:00:05.000Z', delivered_at: null,
    }]);
    // Not a millisecond early.
    t.clock.advance(5 * SECOND - 1);
    expect(await t.app.webhooks.flush(), 'before retry 1').toEqual({ succeeded: 0, failed: 0 });
    t.clock.advance(1);

    expect(await t.app.webhooks.flush(), 'attempt 2').toEqual({ succeeded: 0, failed: 1 });
    expect(await deliveriesOf(t, webhook.id)).toMatchObject([{
      status: 'pending', attempts: 2, last_status_code: 500, last_error: 'The endpoint answered 500.',
      last_attempt_at: '2026-12-01T09:00:05.000Z', next_attempt_at: '2026-12-01T09:05:05.000Z', delivered_at: null,
    }]);
    t.clock.advance(5 * MINUTE - 1);
    expect(await t.app.webhooks.flush(), 'before retry 2').toEqual({ succeeded: 0, failed: 0 });
    t.clock.advance(1);

    expect(await t.app.webhooks.flush(), 'attempt 3').toEqual({ succeeded: 1, failed: 0 });
    const [delivery] = await deliveriesOf(t, webhook.id);
    expect(delivery).toMatchObject({
      status: 'succeeded', attempts: 3, last_status_code: 200, last_error: null, last_response: 'ok',
      last_attempt_at: '2026-12-01T09:05:05.000Z', delivered_at: '2026-12-01T09:05:05.000Z', next_attempt_at: null,
    });

    // Three requests, one event: the same webhook-id (the receiver's idempotency key) and body, each signed.
    expect(rx.received.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(new Set(rx.received.map((r) => r.headers['webhook-id']))).toEqual(new Set([delivery.event_id]));
    expect(new Set(rx.received.map((r) => r.body)).size).toBe(1);
    for (const hit of rx.received) expect(new Webhook(webhook.secret).verify(hit.body, hit.headers)).toMatchObject({ type: 'organization.created' });
  });

  it('marks a delivery failed after MAX_ATTEMPTS on the documented schedule, and never retries it', async () => {
    expect(MAX_ATTEMPTS).toBe(8);
    expect(RETRY_DELAYS_MS).toEqual([5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR]);
    const webhook = await createWebhook(t, `${rx.url}/hooks`, ['organization.created']);
    rx.failNext(MAX_ATTEMPTS, 503);
    await createOrg(t, 'Acme');

    for (const [i, delay] of RETRY_DELAYS_MS.entries()) {
      expect(await t.app.webhooks.flush(), `attempt ${i + 1}`).toEqual({ succeeded: 0, failed: 1 });
      const [delivery] = await deliveriesOf(t, webhook.id);
      expect(delivery, `attempt ${i + 1}`).toMatchObject({ status: 'pending', attempts: i + 1, last_status_code: 503, last_error: 'The endpoint answered 503.', delivered_at: null });
      expect(Date.parse(delivery.next_attempt_at) - t.clock.now().getTime(), `attempt ${i + 1}`).toBe(delay);
      t.clock.advance(delay - 1);
      expect(await t.app.webhooks.flush(), `before retry ${i + 1}`).toEqual({ succeeded: 0, failed: 0 });
      t.clock.advance(1);
    }
    expect(await t.app.webhooks.flush(), `attempt ${MAX_ATTEMPTS}`).toEqual({ succeeded: 0, failed: 1 });
    expect(await deliveriesOf(t, webhook.id)).toMatchObject([{ status: 'failed', attempts: MAX_ATTEMPTS, last_status_code: 503, last_error: 'The endpoint answered 503.', next_attempt_at: null, delivered_at: null }]);
    expect(rx.received).toHaveLength(MAX_ATTEMPTS);

    // Given up: never tried again, although the receiver would now answer 200.
    t.clock.advance(30 * DAY);
    expect(await t.app.webhooks.flush()).toEqual({ succeeded: 0, failed: 0 });
    expect(rx.received).toHaveLength(MAX_ATTEMPTS);
    expect((await deliveriesOf(t, webhook.id))[0]).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS });
  });

  it('sends an endpoint only the event types it subscribed to, and "*" every event', async () => {
    const some = await createWebhook(t, `${rx.url}/some`, ['organization.created']);
    const all = await createWebhook(t, `${rx.url}/all`, ['*']);
    const acme = await createOrg(t, 'Acme');
    await t.api.patch(`/api/v1/organizations/${acme}`, { name: 'Acme Inc' }).expect(200);
    await createOrg(t, 'Globex');
    await t.api.delete(`/api/v1/organizations/${acme}`).expect(204);
    expect(await t.app.webhooks.flush()).toEqual({ succeeded: 7, failed: 0 });

    const events: Array<{ id: string; type: string }> = (await t.api.get('/api/v1/events').expect(200)).body.data;
    const since = (index: number) => events.slice(index);
    const allIndex = events.findIndex((e) => e.type === 'webhook.created' && (e as any).data.webhook_id === all.id);
    // "*" gets every event from its own creation on (the webhook.created of that creation included, as it
    // is written in the same transaction), and none from before it.
    const toAll = since(allIndex).map((e) => e.id).sort();
    expect(since(allIndex).map((e) => e.type)).toEqual(['webhook.created', 'organization.created', 'organization.updated', 'organization.created', 'organization.deleted']);
    expect(rx.received.filter((r) => r.path === '/all').map((r) => r.headers['webhook-id']).sort()).toEqual(toAll);
    expect((await deliveriesOf(t, all.id)).map((d) => d.event_id).sort()).toEqual(toAll);

    const created = events.filter((e) => e.type === 'organization.created').map((e) => e.id).sort();
    expect(created).toHaveLength(2);
    const toSome = rx.received.filter((r) => r.path === '/some');
    expect(toSome.map(typeOf)).toEqual(['organization.created', 'organization.created']);
    expect(toSome.map((r) => r.headers['webhook-id']).sort()).toEqual(created);
    expect((await deliveriesOf(t, some.id)).map((d) => d.event_id).sort()).toEqual(created);

    // The deliveries list pages like every list.
    const first = await t.api.get(`/api/v1/webhooks/${all.id}/deliveries?limit=3`).expect(200);
    expect(first.body.data).toHaveLength(3);
    const rest = await t.api.get(`/api/v1/webhooks/${all.id}/deliveries?limit=3&after=${first.body.list_metadata.after}`).expect(200);
    expect(rest.body).toMatchObject({ list_metadata: { after: null } });
    expect([...first.body.data, ...rest.body.data].map((d: { event_id: string }) => d.event_id).sort()).toEqual(toAll);
  });

  it('sends nothing for a refused API change or a rolled-back transaction', async () => {
    await createWebhook(t, `${rx.url}/hooks`, ['*']);
    expect(await t.app.webhooks.flush()).toEqual({ succeeded: 1, failed: 0 }); // its own webhook.created
    const before = await webhookTables(t);

    // Refused by the API: 422 and 404, no change, so no event and no delivery.
    expectProblem(await t.api.post('/api/v1/organizations', { name: '  ' }), 422, 'validation_failed', 'name must not be empty.');
    expectProblem(await t.api.delete('/api/v1/organizations/org_01M8T247H71E8T82MXYZ8V2G2J'), 404, 'not_found');
    // A change whose transaction rolls back after its event (and so its delivery) was written.
    await expect(t.app.uow(async (trx) => {
      await createOrganization(trx, t.call, { name: 'Ghost' });
      expect(await trx.selectFrom('webhook_deliveries').select('id').execute(), 'queued inside the transaction').toHaveLength(before.deliveries.length + 1);
      throw new Error('changed my mind');
    })).rejects.toThrow('changed my mind');

    expect(await webhookTables(t)).toEqual(before);
    expect(await t.app.webhooks.flush()).toEqual({ succeeded: 0, failed: 0 });
    t.clock.advance(DAY);
    expect(await t.app.webhooks.flush()).toEqual({ succeeded: 0, failed: 0 });
    expect(rx.received.map(typeOf)).toEqual(['webhook.created']);
  });

  it('refuses bad input with field errors and writes nothing; an unknown id is a 404', async () => {
    const before = await webhookTables(t);
    const cases: Array<[label: string, body: object, field: string, code: string, detail: string]> = [
      ['not a URL', { url: 'hooks.example/gatehouse', events: ['*'] }, 'url', 'invalid_url', 'url is not an absolute URL: "hooks.example/gatehouse".'],
      ['http, not loopback (even in development)', { url: 'http://hooks.example/gatehouse', events: ['*'] }, 'url', 'insecure_url', 'url must be an https URL (plain http only to localhost, in development mode).'],
      ['another scheme', { url: 'ftp://hooks.example/gatehouse', events: ['*'] }, 'url', 'insecure_url', 'url must be an https URL (plain http only to localhost, in development mode).'],
      ['unknown event type', { url: 'https://hooks.example/gatehouse', events: ['organization.created', 'organization.exploded'] }, 'events', 'unknown_event_type', 'Unknown event type: organization.exploded.'],
      ['unknown event type next to "*"', { url: 'https://hooks.example/gatehouse', events: ['*', 'organisation.created'] }, 'events', 'unknown_event_type', 'Unknown event type: organisation.created.'],
      ['empty events', { url: 'https://hooks.example/gatehouse', events: [] }, 'events', 'too_small', 'events needs at least one event type, or "*" for all.'],
      ['events not an array', { url: 'https://hooks.example/gatehouse', events: '*' }, 'events', 'invalid_type', 'events must be an array.'],
      ['missing url', { events: ['*'] }, 'url', 'invalid_type', 'url is required.'],
      ['a secret of its own', { url: 'https://hooks.example/gatehouse', events: ['*'], secret: 'whsec_AAAA' }, '(body)', 'unrecognized_keys', 'Unknown field: secret.'],
    ];
    for (const [label, body, field, code, detail] of cases) {
      const res = await t.api.post('/api/v1/webhooks', body);
      expectProblem(res, 422, 'validation_failed', detail, label);
      expect(res.body.errors, label).toEqual([{ field, code, message: detail }]);
    }

    const unknown = `No webhook with id ${UNKNOWN_WEBHOOK}.`;
    expectProblem(await t.api.get(`/api/v1/webhooks/${UNKNOWN_WEBHOOK}`), 404, 'not_found', unknown);
    expectProblem(await t.api.delete(`/api/v1/webhooks/${UNKNOWN_WEBHOOK}`), 404, 'not_found', unknown);
    expectProblem(await t.api.get(`/api/v1/webhooks/${UNKNOWN_WEBHOOK}/deliveries`), 404, 'not_found', unknown);
    expect(await webhookTables(t)).toEqual(before);
  });

  it('never shows the secret again and stores it only sealed', async () => {
    const created = await createWebhook(t, `${rx.url}/hooks`, ['organization.created', 'organization.deleted', 'organization.created']);
    const { secret, ...view } = created;
    // Duplicates dropped.
    expect(view.events).toEqual(['organization.created', 'organization.deleted']);
    await t.api.get(`/api/v1/webhooks/${created.id}`).expect(200, view);
    await t.api.get('/api/v1/webhooks').expect(200, { data: [view], list_metadata: { after: null } });

    const key = secret.slice('whsec_'.length);
    const row = await t.app.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
    expect(row.secret_sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    for (const text of [JSON.stringify(row), rawDatabase(t.dir)]) {
      expect(text).not.toContain(key);
      expect(text).not.toContain(Buffer.from(key, 'base64').toString('hex'));
    }
    // It opens only under its own endpoint's context (AES-GCM associated data).
    expect(t.app.ctx.box.open(row.secret_sealed, `webhook:${created.id}`)).toBe(secret);
    expect(() => t.app.ctx.box.open(row.secret_sealed, `webhook:${UNKNOWN_WEBHOOK}`)).toThrow();
    // Nor is it in the event written for the creation.
    const [event] = (await t.api.get('/api/v1/events?types=webhook.created').expect(200)).body.data;
    expect(event.data).toEqual({ webhook_id: created.id, url: `${rx.url}/hooks` });
  });

  it('refuses plain http to loopback in production mode', async () => {
    const prod = await createTestApp();
    try {
      for (const url of ['http://127.0.0.1:8443/hooks', 'http://localhost:8443/hooks', 'http://[::1]:8443/hooks']) {
        const res = await prod.api.post('/api/v1/webhooks', { url, events: ['*'] });
        expectProblem(res, 422, 'validation_failed', 'url must be an https URL (plain http only to localhost, in development mode).', url);
        expect(res.body.errors, url).toEqual([{ field: 'url', code: 'insecure_url', message: 'url must be an https URL (plain http only to localhost, in development mode).' }]);
      }
      expect(await prod.app.db.selectFrom('webhook_endpoints').select('id').execute()).toEqual([]);
      // https straight at an internal address (cloud metadata, private networks, loopback) is refused too,
      // and so are credentials in the URL (they would show in GET and in events).
      for (const url of ['https://169.254.169.254/latest/meta-data', 'https://10.0.0.5/hook', 'https://192.168.1.2/hook', 'https://172.20.0.1/hook', 'https://127.0.0.1/hook', 'https://localhost/hook', 'https://[::1]/hook', 'https://[fd00::1]/hook']) {
        const res = await prod.api.post('/api/v1/webhooks', { url, events: ['*'] });
        expect(res.status, url).toBe(422);
        expect(res.body.errors, url).toEqual([{ field: 'url', code: 'internal_address', message: 'url must not point at a loopback, private or link-local address.' }]);
      }
      const creds = await prod.api.post('/api/v1/webhooks', { url: 'https://user:pass@hooks.example/gatehouse', events: ['*'] });
      expect(creds.body.errors).toEqual([{ field: 'url', code: 'credentials_in_url', message: 'url must not contain a user name or password; authenticate the request with the webhook signature.' }]);
      expect(await prod.app.db.selectFrom('webhook_endpoints').select('id').execute()).toEqual([]);
      // https to a public host is fine in production.
      await prod.api.post('/api/v1/webhooks', { url: 'https://hooks.example/gatehouse', events: ['*'] }).expect(201);
    } finally {
      await prod.close();
    }
  });

  it('stops delivering, retries included, once the endpoint is deleted', async () => {
    const other = await startWebhookReceiver();
    try {
      const gone = await createWebhook(t, `${rx.url}/gone`, ['organization.created']);
      const kept = await createWebhook(t, `${other.url}/kept`, ['organization.created', 'webhook.deleted']);
      rx.failNext(1);
      await createOrg(t, 'Acme');
      expect(await t.app.webhooks.flush()).toEqual({ succeeded: 1, failed: 1 });
      expect(await deliveriesOf(t, gone.id)).toMatchObject([{ status: 'pending', attempts: 1, next_attempt_at: '2026-12-01T09:00:05.000Z' }]);

      await t.api.delete(`/api/v1/webhooks/${gone.id}`).expect(204);
      expectProblem(await t.api.get(`/api/v1/webhooks/${gone.id}`), 404, 'not_found');
      expectProblem(await t.api.get(`/api/v1/webhooks/${gone.id}/deliveries`), 404, 'not_found');
      expect(await t.app.db.selectFrom('webhook_deliveries').select('id').where('endpoint_id', '=', gone.id).execute(), 'pending retry dropped').toEqual([]);

      // Past the retry, and a new event: nothing more reaches the deleted endpoint.
      t.clock.advance(DAY);
      await createOrg(t, 'Globex');
      expect(await t.app.webhooks.flush()).toEqual({ succeeded: 2, failed: 0 });
      t.clock.advance(DAY);
      expect(await t.app.webhooks.flush()).toEqual({ succeeded: 0, failed: 0 });
      expect(rx.received.map((r) => r.status)).toEqual([500]);
      // The other endpoint goes on: it hears of the deletion and of the new organization (sent in parallel).
      expect(other.received.map(typeOf).sort()).toEqual(['organization.created', 'organization.created', 'webhook.deleted']);
      expect((await deliveriesOf(t, kept.id)).map((d) => d.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    } finally {
      await other.close();
    }
  });

  it('two replicas dispatching from one database at the same moment deliver each event once', async () => {
    const config = loadConfig({ GATEHOUSE_DATA_DIR: t.dir, GATEHOUSE_SECRET: TEST_SECRET, PORT: '8080', GATEHOUSE_BASE_URL: 'http://gatehouse.test', GATEHOUSE_MODE: 'development' });
    const other = createApp(config, { clock: t.clock, logger: pino({ level: 'silent' }) });
    try {
      await createWebhook(t, rx.url, ['organization.created']);
      for (let i = 0; i < 12; i++) await createOrg(t, `Org ${i}`);
      const [a, b] = await Promise.all([t.app.webhooks.flush(), other.webhooks.flush()]);
      expect(a.succeeded + b.succeeded).toBe(12);
      expect(rx.received).toHaveLength(12);
      expect(new Set(rx.received.map((hit) => hit.headers['webhook-id'])).size).toBe(12);
    } finally {
      await other.stop();
    }
  });
});

describe('webhooks across a restart', () => {
  it('keeps a delivery to a receiver that is down pending across a restart, and delivers it once the receiver is up', async () => {
    const t = await createWebhookApp();
    const port = await freePort(); // nothing listens there until the end of the test
    let later: Gatehouse | undefined;
    let rx: WebhookReceiver | undefined;
    try {
      const webhook = await createWebhook(t, `http://127.0.0.1:${port}/hooks`, ['organization.created']);
      const org = await createOrg(t, 'Acme');
      expect(await t.app.webhooks.flush()).toEqual({ succeeded: 0, failed: 1 });
      t.clock.advance(5 * SECOND);
      expect(await t.app.webhooks.flush()).toEqual({ succeeded: 0, failed: 1 });
      const [delivery] = await deliveriesOf(t, webhook.id);
      expect(delivery).toMatchObject({ status: 'pending', attempts: 2, last_status_code: null, last_response: null, next_attempt_at: '2026-12-01T09:05:05.000Z', delivered_at: null });
      expect(delivery.last_error).toMatch(/^Could not connect: .*ECONNREFUSED/);
      await t.app.stop();

      // The same data directory and secret: what an operator's restart does.
      const config = loadConfig({ GATEHOUSE_DATA_DIR: t.dir, GATEHOUSE_SECRET: TEST_SECRET, PORT: '8080', GATEHOUSE_BASE_URL: 'http://gatehouse.test', GATEHOUSE_MODE: 'development' });
      later = createApp(config, { clock: t.clock, logger: pino({ level: 'silent' }) });
      await later.start({ listen: false });
      await later.webhooks.stop();
      const api = supertest(later.koa.callback());
      const deliveries = async () => (await api.get(`/api/v1/webhooks/${webhook.id}/deliveries`).set('Authorization', `Bearer ${t.apiKey}`).expect(200)).body.data;
      expect(await deliveries()).toEqual([delivery]);

      // Still down: the retries go on, the delivery stays pending.
      t.clock.advance(5 * MINUTE);
      expect(await later.webhooks.flush()).toEqual({ succeeded: 0, failed: 1 });
      expect(await deliveries()).toMatchObject([{ status: 'pending', attempts: 3, next_attempt_at: '2026-12-01T09:35:05.000Z' }]);

      // Up again: the next retry delivers it, signed with the secret opened by the new process.
      rx = await startWebhookReceiver(port);
      t.clock.advance(30 * MINUTE);
      expect(await later.webhooks.flush()).toEqual({ succeeded: 1, failed: 0 });
      expect(await deliveries()).toMatchObject([{ status: 'succeeded', attempts: 4, last_status_code: 200, last_error: null, delivered_at: '2026-12-01T09:35:05.000Z' }]);
      expect(rx.received).toHaveLength(1);
      const hit = rx.received[0]!;
      expect(hit.headers['webhook-id']).toBe(delivery.event_id);
      const secret = later.ctx.box.open((await later.db.selectFrom('webhook_endpoints').select('secret_sealed').executeTakeFirstOrThrow()).secret_sealed, `webhook:${webhook.id}`);
      expect(secret).toBe(webhook.secret);
      expect(new Webhook(webhook.secret).verify(hit.body, hit.headers)).toMatchObject({ type: 'organization.created', data: { organization_id: org } });
    } finally {
      await later?.stop();
      await rx?.close();
      fs.rmSync(t.dir, { recursive: true, force: true });
    }
  });
});

describe('webhook dispatcher, started', () => {
  it('sends on commit without waiting for a flush', async () => {
    const rx = await startWebhookReceiver();
    const t = await createTestApp({ GATEHOUSE_MODE: 'development' });
    try {
      const webhook = await createWebhook(t, `${rx.url}/hooks`, ['organization.created']);
      await createOrg(t, 'Acme');
      await vi.waitFor(() => expect(rx.received.map(typeOf)).toEqual(['organization.created']), { timeout: 5_000 });
      await vi.waitFor(async () => expect(await deliveriesOf(t, webhook.id)).toMatchObject([{ status: 'succeeded', attempts: 1 }]), { timeout: 5_000 });
    } finally {
      await t.close();
      await rx.close();
    }
  });

  it('does not run after stop() when a commit woke it just before', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-test-'));
    const logged: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logged.push(String(chunk));
        done();
      },
    });
    try {
      const config = loadConfig({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_SECRET: TEST_SECRET, PORT: '8080', GATEHOUSE_BASE_URL: 'http://gatehouse.test' });
      const app = createApp(config, { clock: fixedClock(), logger: pino({ level: 'error' }, sink) });
      await app.start({ listen: false });
      await app.uow(async () => undefined); // the commit wakes the dispatcher on the next turn…
      await app.stop(); // …by which time the database is closed
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(logged.map((line) => JSON.parse(line) as { component?: string; msg: string }).filter((l) => l.component === 'webhooks')).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
