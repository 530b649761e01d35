import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';

// The models revokeByGrantId removes, as in the memory adapter. An Interaction also carries a grantId
// but is not a credential issued under the grant, so it survives a revocation.
const GRANT_MEMBERS = [
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
];

/**
 * The `adapter` option of node-oidc-provider 9: a plain (non-async) function it calls once with each model
 * name ('Session', 'Grant', 'AccessToken', 'Client', ...). Every model lives in oidc_payloads, so a
 * restart loses nothing and replicas on one database see the same sessions and tokens.
 *
 * clockToleranceSeconds: pass the provider's `clockTolerance` to keep a row findable as long as the
 * provider would still accept its `exp` (the memory adapter does the same). Default 0: gone at expiry.
 */
export function createAdapterFactory(db: Db, clock: Clock, options: { clockToleranceSeconds?: number } = {}): AdapterFactory {
  const tolerance = options.clockToleranceSeconds ?? 0;
  return (model) => new KyselyAdapter(db, clock, model, tolerance);
}

/** One per model name; node-oidc-provider's lib/adapters/memory_adapter.js is the reference contract. */
class KyselyAdapter implements Adapter {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #model: string;
  readonly #tolerance: number;

  constructor(db: Db, clock: Clock, model: string, tolerance: number) {
    this.#db = db;
    this.#clock = clock;
    this.#model = model;
    this.#tolerance = tolerance;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    // expiresIn is absent for what is saved without a lifetime (a dynamically registered Client): no expiry.
    const expiresAt = typeof expiresIn === 'number' && Number.isFinite(expiresIn)
      ? new Date(this.#clock.now().getTime() + (expiresIn + this.#tolerance) * 1000).toISOString()
      : null;
    const row = {
      model: this.#model,
      id,
      payload: JSON.stringify(payload),
      grant_id: typeof payload.grantId === 'string' ? payload.grantId : null,
      uid: typeof payload.uid === 'string' ? payload.uid : null,
      user_code: typeof payload.userCode === 'string' ? payload.userCode : null,
      expires_at: expiresAt,
      // A re-saved payload says itself whether it was consumed; the upsert replaces the row whole,
      // as the memory adapter replaces its entry.
      consumed_at: typeof payload.consumed === 'number' ? new Date(payload.consumed * 1000).toISOString() : null,
    };
    // ON CONFLICT ... DO UPDATE is spelled the same in SQLite and PostgreSQL.
    await this.#db
      .insertInto('oidc_payloads')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['model', 'id']).doUpdateSet((eb) => ({
          payload: eb.ref('excluded.payload'),
          grant_id: eb.ref('excluded.grant_id'),
          uid: eb.ref('excluded.uid'),
          user_code: eb.ref('excluded.user_code'),
          expires_at: eb.ref('excluded.expires_at'),
          consumed_at: eb.ref('excluded.consumed_at'),
        })),
      )
      .execute();
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    return this.#findWhere('id', id);
  }

  /** Sessions only: an Interaction and a session-bound token carry the session's uid, not its id (the cookie). */
  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.#findWhere('uid', uid);
  }

  /** Device flow (RFC 8628 §3.3): the user types the user code, the provider looks the DeviceCode up by it. */
  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.#findWhere('user_code', userCode);
  }

  async consume(id: string): Promise<void> {
    // A second consume keeps the first time: that is when the code or refresh token was really used.
    await this.#db
      .updateTable('oidc_payloads')
      .set({ consumed_at: this.#clock.now().toISOString() })
      .where('model', '=', this.#model)
      .where('id', '=', id)
      .where('consumed_at', 'is', null)
      .execute();
  }

  async destroy(id: string): Promise<void> {
    await this.#db.deleteFrom('oidc_payloads').where('model', '=', this.#model).where('id', '=', id).execute();
  }

  /**
   * Called on any one grantable model (AccessToken.revokeByGrantId, RefreshToken...), it removes the
   * whole grant's members across models, as the memory adapter's per-grant index does: a reused
   * authorization code must take the refresh and access tokens issued from it down too (RFC 6749 §4.1.2).
   */
  async revokeByGrantId(grantId: string): Promise<void> {
    await this.#db.deleteFrom('oidc_payloads').where('grant_id', '=', grantId).where('model', 'in', GRANT_MEMBERS).execute();
  }

  async #findWhere(column: 'id' | 'uid' | 'user_code', value: string): Promise<AdapterPayload | undefined> {
    // Expired rows are invisible at once; payload-purge.ts deletes them later.
    const row = await this.#db
      .selectFrom('oidc_payloads')
      .select(['payload', 'consumed_at'])
      .where('model', '=', this.#model)
      .where(column, '=', value)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', this.#clock.now().toISOString())]))
      .executeTakeFirst();
    if (!row) return undefined;
    const payload = JSON.parse(row.payload) as AdapterPayload;
    // The provider reads `consumed` (epoch seconds) to refuse a second use of a code or rotated token.
    if (row.consumed_at) payload.consumed = Math.floor(Date.parse(row.consumed_at) / 1000);
    return payload;
  }
}
