import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Db } from '../db/database.ts';
import { createBackgroundWorker } from '../background-worker.ts';
import { claimDue } from '../db/claim.ts';
import type { WebhookDelivery } from '../db/schema.ts';
import { toActivityEvent } from './activity.ts';
import { signWebhook } from './webhook-signature.ts';

/**
 * Retry schedule after each failed attempt (Standard Webhooks' recommended one): 5 s, 5 min, 30 min, 2 h,
 * 5 h, 10 h, 10 h — about 28 hours in all; after the 8th failure the delivery is marked failed.
 */
export const RETRY_DELAYS_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;
const TIMEOUT_MS = 10_000;
/** How long a claimed delivery is hidden from other replicas' dispatchers while this one sends it (> TIMEOUT_MS). */
export const CLAIM_MS = 5 * 60_000;
const PARALLEL = 8;
const POLL_MS = 10_000;

/** The first `max` characters of a response body, without reading the rest of it. */
async function readStart(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (text.length < max) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  await reader.cancel().catch(() => undefined);
  return text.slice(0, max);
}

export interface WebhookDispatcher {
  kick(): void;
  /** Delivers everything due now (tests and shutdown use it). */
  flush(): Promise<{ succeeded: number; failed: number }>;
  start(): void;
  stop(): Promise<void>;
}

export function createWebhookDispatcher(deps: { db: Db; clock: Clock; box: SecretBox; log: Logger }): WebhookDispatcher {
  const { db, clock, box, log } = deps;
  /** true: delivered; false: a failed attempt; undefined: another dispatcher (a replica) claimed it first. */
  async function attempt(delivery: WebhookDelivery): Promise<boolean | undefined> {
    const endpoint = await db.selectFrom('webhook_endpoints').selectAll().where('id', '=', delivery.endpoint_id).executeTakeFirst();
    const event = await db.selectFrom('events').selectAll().where('id', '=', delivery.event_id).executeTakeFirst();
    if (!endpoint || !event) return false;
    // Another replica's dispatcher claimed it first: it delivers it.
    if (!(await claimDue(db, 'webhook_deliveries', delivery, new Date(clock.now().getTime() + CLAIM_MS)))) return undefined;
    const body = JSON.stringify({ type: event.type, timestamp: event.created_at, data: toActivityEvent(event) });
    // The signature's timestamp is the real sending time: receivers check it against their clock.
    const timestamp = Math.floor(Date.now() / 1000);
    let status: number | null = null;
    let error: string | null = null;
    let response: string | null = null;
    try {
      // Inside the try: a secret that no longer opens (GATEHOUSE_SECRET changed) is a failed attempt
      // that counts towards giving up, not a row retried forever.
      const secret = box.open(endpoint.secret_sealed, `webhook:${endpoint.id}`);
      const res = await fetch(endpoint.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Gatehouse-Webhooks/1',
          'webhook-id': event.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(secret, event.id, timestamp, body),
        },
        body,
      });
      status = res.status;
      response = await readStart(res, 1000);
      if (status < 200 || status >= 300) error = `The endpoint answered ${status}.`;
    } catch (err) {
      error = (err as Error).name === 'TimeoutError' ? `No answer within ${TIMEOUT_MS / 1000} s.` : `Could not connect: ${((err as { cause?: Error }).cause ?? (err as Error)).message}`.slice(0, 500);
    }
    const attempts = delivery.attempts + 1;
    const now = clock.now();
    const ok = error === null;
    const giveUp = !ok && attempts >= MAX_ATTEMPTS;
    await db
      .updateTable('webhook_deliveries')
      .set({
        status: ok ? 'succeeded' : giveUp ? 'failed' : 'pending',
        attempts,
        last_attempt_at: now.toISOString(),
        last_status_code: status,
        last_error: error,
        last_response: response,
        delivered_at: ok ? now.toISOString() : null,
        next_attempt_at: ok || giveUp ? delivery.next_attempt_at : new Date(now.getTime() + RETRY_DELAYS_MS[attempts - 1]!).toISOString(),
      })
      .where('id', '=', delivery.id)
      .execute();
    if (!ok) log.info({ deliveryId: delivery.id, endpointId: endpoint.id, attempts, giveUp, error }, 'webhook delivery failed');
    return ok;
  }

  async function deliverDue(): Promise<{ succeeded: number; failed: number }> {
    let succeeded = 0;
    let failed = 0;
    let after = '';
    for (;;) {
      const due = await db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', clock.now().toISOString())
        .where('id', '>', after)
        .orderBy('id')
        .limit(PARALLEL)
        .execute();
      if (!due.length) break;
      after = due[due.length - 1]!.id;
      const results = await Promise.all(due.map((d) => attempt(d).catch((err) => (log.error({ err }, 'webhook delivery crashed'), false))));
      for (const ok of results) if (ok === true) succeeded++; else if (ok === false) failed++;
    }
    return { succeeded, failed };
  }

  return createBackgroundWorker({ name: 'webhook dispatcher', pollMs: POLL_MS, log, pass: deliverDue });
}
