/**
 * The node-oidc-provider adapter over oidc_payloads (src/provider/kysely-adapter.ts) and the purge of
 * expired rows (src/provider/payload-purge.ts), on a real SQLite file. The contract is node-oidc-provider
 * 9's own memory adapter; the last tests run the real Provider on top to prove it reads what was stored.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Provider, { type AdapterPayload } from 'oidc-provider';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { openDatabase, type Db } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrator.ts';
import { createAdapterFactory } from '../../src/provider/kysely-adapter.ts';
import { PURGE_GRACE_MS, purgeExpiredPayloads, schedulePayloadPurge } from '../../src/provider/payload-purge.ts';
import { fixedClock, type TestClock } from '../helpers/clock.ts';

const START = '2026-12-01T09:00:00.000Z';
const START_EPOCH = Date.parse(START) / 1000;
const MINUTE = 60_000;

describe('kysely adapter for node-oidc-provider', () => {
  let dir: string;
  let url: string;
  let db: Db;
  let clock: TestClock;
  /** Every database handle a test opened, closed after it. */
  let handles: Db[];

  /** A new handle on the same file: what a restarted process or a second replica has. */
  const reopen = (): Db => {
    const opened = openDatabase(url).db;
    handles.push(opened);
    return opened;
  };
  const rows = () => db.selectFrom('oidc_payloads').selectAll().orderBy('model').orderBy('id').execute();

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-adapter-'));
    url = `sqlite:${path.join(dir, 'gatehouse.db')}`;
    handles = [];
    db = reopen();
    await migrateToLatest(db);
    clock = fixedClock(START);
  });
  afterEach(async () => {
    for (const handle of handles) await handle.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips the payload of each model, keyed by model and id, with its lookup columns', async () => {
    const adapter = createAdapterFactory(db, clock);
    const session = { jti: 'same-id', uid: 'uid-1', accountId: 'ada', loginTs: START_EPOCH, exp: START_EPOCH + 3600 };
    const grant = { jti: 'same-id', accountId: 'ada', clientId: 'c', openid: { scope: 'openid email' } };
    const token = { jti: 'at-1', kind: 'AccessToken', grantId: 'grant-1', clientId: 'c', scope: 'openid', extra: { 'x-y': [1, null] } };
    const client = { client_id: 'dyn', redirect_uris: ['https://rp.example/cb'] };
    await adapter('Session').upsert('same-id', session, 3600);
    await adapter('Grant').upsert('same-id', grant, 86_400);
    await adapter('AccessToken').upsert('at-1', token, 600);
    await adapter('Client').upsert('dyn', client);

    expect(await adapter('Session').find('same-id')).toEqual(session);
    expect(await adapter('Grant').find('same-id')).toEqual(grant);
    expect(await adapter('AccessToken').find('at-1')).toEqual(token);
    expect(await adapter('Client').find('dyn')).toEqual(client);
    expect(await adapter('RefreshToken').find('at-1')).toBeUndefined();
    expect(await adapter('AccessToken').find('missing')).toBeUndefined();

    expect((await rows()).map(({ payload: _payload, ...columns }) => columns)).toEqual([
      { model: 'AccessToken', id: 'at-1', grant_id: 'grant-1', uid: null, user_code: null, expires_at: '2026-12-01T09:10:00.000Z', consumed_at: null },
      { model: 'Client', id: 'dyn', grant_id: null, uid: null, user_code: null, expires_at: null, consumed_at: null },
      { model: 'Grant', id: 'same-id', grant_id: null, uid: null, user_code: null, expires_at: '2026-12-02T09:00:00.000Z', consumed_at: null },
      { model: 'Session', id: 'same-id', grant_id: null, uid: 'uid-1', user_code: null, expires_at: '2026-12-01T10:00:00.000Z', consumed_at: null },
    ]);
  });

  it('replaces the whole row on a second upsert of the same id (ON CONFLICT DO UPDATE)', async () => {
    const sessions = createAdapterFactory(db, clock)('Session');
    await sessions.upsert('s1', { uid: 'old-uid', accountId: 'ada' }, 60);
    clock.advance(MINUTE / 2);
    await sessions.upsert('s1', { uid: 'new-uid', accountId: 'bob' }, 3600);

    expect(await sessions.find('s1')).toEqual({ uid: 'new-uid', accountId: 'bob' });
    expect(await sessions.findByUid('old-uid')).toBeUndefined();
    expect(await sessions.findByUid('new-uid')).toEqual({ uid: 'new-uid', accountId: 'bob' });
    expect(await rows()).toMatchObject([{ id: 's1', uid: 'new-uid', expires_at: '2026-12-01T10:00:30.000Z' }]);
  });

  it('finds a payload until its expiry by the injected clock, then no longer; no expiresIn means never', async () => {
    const adapter = createAdapterFactory(db, clock);
    await adapter('AuthorizationCode').upsert('code-1', { grantId: 'g' }, 60);
    await adapter('Client').upsert('dyn', { client_id: 'dyn' }, undefined);

    clock.advance(59_999);
    expect(await adapter('AuthorizationCode').find('code-1')).toEqual({ grantId: 'g' });
    clock.advance(1);
    expect(await adapter('AuthorizationCode').find('code-1')).toBeUndefined();
    clock.advance(365 * 24 * 60 * MINUTE);
    expect(await adapter('Client').find('dyn')).toEqual({ client_id: 'dyn' });
  });

  it('keeps a row findable for clockToleranceSeconds past expiry, as the provider accepts its exp', async () => {
    const codes = createAdapterFactory(db, clock, { clockToleranceSeconds: 15 })('AuthorizationCode');
    await codes.upsert('code-1', { grantId: 'g' }, 60);
    clock.advance(74_999);
    expect(await codes.find('code-1')).toEqual({ grantId: 'g' });
    clock.advance(1);
    expect(await codes.find('code-1')).toBeUndefined();
  });

  it('finds a Session by uid, only within its model and only until it expires', async () => {
    const adapter = createAdapterFactory(db, clock);
    await adapter('Session').upsert('s1', { uid: 'uid-1', accountId: 'ada' }, 600);
    await adapter('Interaction').upsert('i1', { uid: 'uid-2' }, 600);

    expect(await adapter('Session').findByUid('uid-1')).toEqual({ uid: 'uid-1', accountId: 'ada' });
    expect(await adapter('Session').findByUid('uid-2')).toBeUndefined();
    expect(await adapter('Session').findByUid('nobody')).toBeUndefined();
    clock.advance(10 * MINUTE);
    expect(await adapter('Session').findByUid('uid-1')).toBeUndefined();
  });

  it('finds a DeviceCode by its user code (RFC 8628), consumed state included', async () => {
    const deviceCodes = createAdapterFactory(db, clock)('DeviceCode');
    await deviceCodes.upsert('dc-1', { userCode: 'WDJB-MJHT', grantId: 'g', clientId: 'c' }, 600);
    await deviceCodes.consume('dc-1');

    expect(await deviceCodes.findByUserCode('WDJB-MJHT')).toEqual({ userCode: 'WDJB-MJHT', grantId: 'g', clientId: 'c', consumed: START_EPOCH });
    expect(await deviceCodes.findByUserCode('WDJB-XXXX')).toBeUndefined();
  });

  it('marks a consumed payload with `consumed` in epoch seconds, and a restart on a new handle still sees it', async () => {
    const codes = createAdapterFactory(db, clock)('AuthorizationCode');
    await codes.upsert('code-1', { grantId: 'g', clientId: 'c' }, 60);
    expect(await codes.find('code-1')).not.toHaveProperty('consumed');

    clock.advance(5_500);
    await codes.consume('code-1');
    clock.advance(10_000);
    await codes.consume('code-1'); // a replayed code: the first use is the one on record
    expect(await codes.find('code-1')).toEqual({ grantId: 'g', clientId: 'c', consumed: START_EPOCH + 5 });

    const restarted = createAdapterFactory(reopen(), clock)('AuthorizationCode');
    expect(await restarted.find('code-1')).toEqual({ grantId: 'g', clientId: 'c', consumed: START_EPOCH + 5 });
    await restarted.consume('missing'); // nothing to mark; must not throw
  });

  it('clears `consumed` when the provider re-saves a payload without it, and keeps it when it carries one', async () => {
    const tokens = createAdapterFactory(db, clock)('RefreshToken');
    await tokens.upsert('rt-1', { grantId: 'g' }, 600);
    await tokens.consume('rt-1');
    await tokens.upsert('rt-1', { grantId: 'g', consumed: START_EPOCH - 30 }, 600);
    expect(await tokens.find('rt-1')).toEqual({ grantId: 'g', consumed: START_EPOCH - 30 });
    await tokens.upsert('rt-1', { grantId: 'g' }, 600);
    expect(await tokens.find('rt-1')).toEqual({ grantId: 'g' });
  });

  it('destroys one payload of one model', async () => {
    const adapter = createAdapterFactory(db, clock);
    await adapter('Session').upsert('s1', { uid: 'u1' }, 600);
    await adapter('Grant').upsert('s1', { accountId: 'ada' }, 600);
    await adapter('Session').destroy('s1');
    await adapter('Session').destroy('missing');

    expect(await adapter('Session').find('s1')).toBeUndefined();
    expect(await adapter('Session').findByUid('u1')).toBeUndefined();
    expect(await adapter('Grant').find('s1')).toEqual({ accountId: 'ada' });
  });

  it('revokeByGrantId removes the tokens and codes of that grant only, whichever model adapter is asked', async () => {
    const adapter = createAdapterFactory(db, clock);
    for (const model of ['AccessToken', 'RefreshToken', 'AuthorizationCode']) {
      await adapter(model).upsert(`${model}-g1`, { grantId: 'g1' }, 600);
      await adapter(model).upsert(`${model}-g2`, { grantId: 'g2' }, 600);
    }
    await adapter('Grant').upsert('g1', { accountId: 'ada', clientId: 'c' }, 600);
    await adapter('Interaction').upsert('i1', { grantId: 'g1' }, 600);

    await adapter('AccessToken').revokeByGrantId('g1');

    expect((await rows()).map((r) => `${r.model}/${r.id}`)).toEqual([
      'AccessToken/AccessToken-g2',
      'AuthorizationCode/AuthorizationCode-g2',
      // The Grant itself goes through Grant.adapter.destroy (helpers/revoke.js), not revokeByGrantId.
      'Grant/g1',
      'Interaction/i1',
      'RefreshToken/RefreshToken-g2',
    ]);
  });

  it('purges only rows expired for longer than the grace', async () => {
    const adapter = createAdapterFactory(db, clock);
    await adapter('AccessToken').upsert('long-expired', {}, 60);
    clock.advance(MINUTE);
    await adapter('AccessToken').upsert('just-expired', {}, 60);
    await adapter('AccessToken').upsert('live', {}, 3600);
    await adapter('Client').upsert('never', {});
    // long-expired expired PURGE_GRACE_MS + 1 minute ago, just-expired 1 minute less than that.
    clock.advance(MINUTE + PURGE_GRACE_MS);

    expect(await purgeExpiredPayloads(db, clock)).toBe(1);
    expect((await rows()).map((r) => r.id)).toEqual(['just-expired', 'live', 'never']);
    expect(await purgeExpiredPayloads(db, clock)).toBe(0);
  });

  it('schedules the purge on an interval, logs what it removed and logs, never throws, a failure', async () => {
    const lines: Array<{ level: number; msg: string; purged?: number; err?: { message: string } }> = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    await createAdapterFactory(db, clock)('AccessToken').upsert('old', {}, 1);
    clock.advance(PURGE_GRACE_MS + MINUTE);

    const purge = schedulePayloadPurge({ db, clock, log, intervalMs: 20 });
    await vi.waitFor(() => expect(lines).toContainEqual(expect.objectContaining({ level: 30, purged: 1, msg: 'expired provider payloads purged' })));
    await db.schema.dropTable('oidc_payloads').execute();
    await vi.waitFor(() => expect(lines).toContainEqual(expect.objectContaining({ level: 50, msg: 'provider payload purge failed', err: expect.objectContaining({ message: expect.stringContaining('no such table') }) })));
    purge.stop();
  });

  describe('under the real Provider', () => {
    const config = (adapterDb: Db) => ({
      adapter: createAdapterFactory(adapterDb, systemClock),
      clients: [{ client_id: 'c', client_secret: 's', redirect_uris: ['https://rp.example/cb'] }],
      findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
      // Set only to keep the provider's "you should change this" notices out of the test output.
      ttl: { AccessToken: 3600, AuthorizationCode: 60, Grant: 86_400 },
      features: { devInteractions: { enabled: false } },
    });
    const clientC = async (provider: Provider) => {
      const client = await provider.Client.find('c');
      if (!client) throw new Error('static client c missing');
      return client;
    };

    it('reads back the Session, Grant and AccessToken it stored, also from a restarted Provider on a new handle', async () => {
      const provider = new Provider('http://localhost:3000', config(db));
      const client = await clientC(provider);

      const grant = new provider.Grant({ accountId: 'ada', clientId: 'c' });
      grant.addOIDCScope('openid email');
      const grantId = await grant.save();
      const session = new provider.Session();
      session.uid = 'uid-1';
      session.loginAccount({ accountId: 'ada' });
      const sessionId = await session.save(3600);
      const value = await new provider.AccessToken({ gty: 'authorization_code', accountId: 'ada', client, grantId, scope: 'openid email' }).save();

      const restarted = new Provider('http://localhost:3000', config(reopen()));
      for (const p of [provider, restarted]) {
        expect(await p.Grant.find(grantId)).toMatchObject({ jti: grantId, accountId: 'ada', clientId: 'c', openid: { scope: 'openid email' } });
        expect(await p.Session.findByUid('uid-1')).toMatchObject({ jti: sessionId, uid: 'uid-1', accountId: 'ada' });
        expect(await p.AccessToken.find(value)).toMatchObject({ jti: value, accountId: 'ada', clientId: 'c', grantId, scope: 'openid email' });
      }
      expect((await rows()).map((r) => r.model)).toEqual(['AccessToken', 'Grant', 'Session']);

      await restarted.AccessToken.revokeByGrantId(grantId);
      expect(await provider.AccessToken.find(value)).toBeUndefined();
      expect(await provider.Grant.find(grantId)).toBeDefined();
    });

    it('refuses a consumed AuthorizationCode that the adapter reports as consumed', async () => {
      const provider = new Provider('http://localhost:3000', config(db));
      const client = await clientC(provider);
      const code = new provider.AuthorizationCode({ gty: 'authorization_code', accountId: 'ada', client, grantId: 'g1', scope: 'openid', redirectUri: 'https://rp.example/cb' });
      const value = await code.save();
      const found = await provider.AuthorizationCode.find(value);
      expect(found?.isValid).toBe(true);
      await found?.consume();

      const stored = await createAdapterFactory(db, systemClock)('AuthorizationCode').find(value);
      expect((stored as AdapterPayload | undefined)?.consumed).toBeTypeOf('number');
      expect((await provider.AuthorizationCode.find(value))?.isValid).toBe(false);
    });
  });
});
