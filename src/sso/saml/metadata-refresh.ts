import type { NotNull } from 'kysely';
import type { Logger } from 'pino';
import type { Call } from '../../context.ts';
import type { Db } from '../../db/database.ts';
import type { UnitOfWork } from '../../db/transaction.ts';
import { recordEvent } from '../../events/activity.ts';
import { replaceCertificates } from '../connections.service.ts';
import { type IdpSettings, settingsFromMetadata } from './idp-settings.ts';
import { fetchIdpMetadata } from './metadata-fetch.ts';
import { MetadataError } from './metadata.errors.ts';
import { every } from '../../schedule.ts';

/**
 * DESIGN.md: IdP settings from a metadata URL are refreshed daily; a failed refresh keeps the last good
 * copy and records an event. IdPs rotate their signing key by publishing the new certificate in their
 * metadata first, so the daily download is what lets a rotation pass without the admin doing anything.
 */

export const METADATA_REFRESH_INTERVAL_MS = 24 * 3_600_000;
/** Not at boot: a restart loop must not hammer every IdP, and start-up stays off the network. */
const FIRST_RUN_DELAY_MS = 60_000;

export interface RefreshCounts {
  /** Downloaded, and the SSO URL, binding or certificates changed. */
  refreshed: number;
  /** Download or parse failed: the last good settings stay, the error is stored. */
  failed: number;
  /** Downloaded, and the settings are the same as before. */
  unchanged: number;
}

interface Candidate {
  id: string;
  saml_metadata_url: string;
  saml_idp_entity_id: string | null;
}

/**
 * Downloads every connection's metadata_url again; returns counts. Network work happens outside
 * transactions; each connection's update is its own transaction. A connection changed or deleted while
 * its download ran is left alone and counted nowhere (the admin's newer settings win).
 */
export async function refreshAllMetadata(deps: {
  db: Db;
  uow: UnitOfWork;
  call: Call;
  fetch?: typeof fetchIdpMetadata;
  /** Aborted on shutdown: no further download or write starts. */
  signal?: AbortSignal;
}): Promise<RefreshCounts> {
  const counts: RefreshCounts = { refreshed: 0, failed: 0, unchanged: 0 };
  // Every state: a draft being set up in the wizard deserves fresh certificates as much as an active one.
  const candidates: Candidate[] = await deps.db
    .selectFrom('connections')
    .select(['id', 'saml_metadata_url', 'saml_idp_entity_id'])
    .where('type', '=', 'saml')
    .where('saml_metadata_url', 'is not', null)
    .$narrowType<{ saml_metadata_url: NotNull }>()
    .orderBy('id')
    .execute();
  const unexpected: unknown[] = [];
  for (const candidate of candidates) {
    if (deps.signal?.aborted) break;
    try {
      const outcome = await refreshOne(deps, candidate);
      if (outcome !== 'skipped') counts[outcome]++;
    } catch (error) {
      // One connection's bug (not a MetadataError) must not stop the others' refresh for a day.
      unexpected.push(error);
    }
  }
  if (unexpected.length > 0) throw new AggregateError(unexpected, `IdP metadata refresh failed unexpectedly for ${unexpected.length} connection(s)`);
  return counts;
}

async function refreshOne(
  deps: { uow: UnitOfWork; call: Call; fetch?: typeof fetchIdpMetadata; signal?: AbortSignal },
  candidate: Candidate,
): Promise<keyof RefreshCounts | 'skipped'> {
  const { call } = deps;
  const mode = call.ctx.config.mode;
  let result: IdpSettings | MetadataError;
  try {
    const xml = await (deps.fetch ?? fetchIdpMetadata)(candidate.saml_metadata_url, { mode });
    // The entity id chosen at setup stays chosen: in an aggregate, another IdP is never picked silently.
    result = settingsFromMetadata(xml, {
      entityId: candidate.saml_idp_entity_id ?? undefined,
      metadataUrl: candidate.saml_metadata_url,
      now: call.ctx.clock.now(),
      mode,
    });
  } catch (error) {
    if (!(error instanceof MetadataError)) throw error;
    result = error;
  }
  if (deps.signal?.aborted) return 'skipped';

  return deps.uow(async (trx) => {
    const row = await trx.selectFrom('connections').selectAll().where('id', '=', candidate.id).executeTakeFirst();
    if (!row || row.saml_metadata_url !== candidate.saml_metadata_url || row.saml_idp_entity_id !== candidate.saml_idp_entity_id) return 'skipped';

    if (result instanceof MetadataError) {
      // MetadataError messages name a URL as scheme://host/path only: no query-string secret is stored.
      await trx.updateTable('connections').set({ saml_metadata_error: result.message }).where('id', '=', row.id).execute();
      await recordEvent(trx, call.ctx.clock, {
        type: 'connection.metadata_refresh_failed',
        organizationId: row.organization_id,
        actor: call.actor,
        data: { connection_id: row.id, reason: result.code, message: result.message },
      });
      return 'failed';
    }

    const now = call.ctx.clock.now().toISOString();
    const { added, removed } = await replaceCertificates(trx, call, row.id, result.certificates, 'metadata');
    const changed = added > 0 || removed > 0 || row.saml_sso_url !== result.ssoUrl || row.saml_sso_binding !== result.binding;
    await trx
      .updateTable('connections')
      .set({
        saml_sso_url: result.ssoUrl,
        saml_sso_binding: result.binding,
        saml_metadata_fetched_at: now,
        saml_metadata_error: null,
        ...(changed ? { updated_at: now } : {}),
      })
      .where('id', '=', row.id)
      .execute();
    // Only a certificate change is worth an entry in the activity log; a daily "nothing new" would bury it.
    if (added > 0 || removed > 0) {
      await recordEvent(trx, call.ctx.clock, {
        type: 'connection.metadata_refreshed',
        organizationId: row.organization_id,
        actor: call.actor,
        data: { connection_id: row.id, certificates_added: added, certificates_removed: removed },
      });
    }
    return changed ? 'refreshed' : 'unchanged';
  });
}

/** Refreshes every metadata URL a minute after start, then daily; one run at a time. */
export function scheduleMetadataRefresh(deps: {
  db: Db;
  uow: UnitOfWork;
  call: Call;
  log: Logger;
  intervalMs?: number;
  fetch?: typeof fetchIdpMetadata;
}): { run(): Promise<RefreshCounts>; stop(): void } {
  const intervalMs = deps.intervalMs ?? METADATA_REFRESH_INTERVAL_MS;
  const shutdown = new AbortController();
  let running: Promise<RefreshCounts> | undefined;
  const run = () => {
    running ??= refreshAllMetadata({ db: deps.db, uow: deps.uow, call: deps.call, fetch: deps.fetch, signal: shutdown.signal })
      .then((counts) => {
        // Counts only: a metadata URL may carry a secret in its query string.
        if (counts.failed > 0) deps.log.warn(counts, 'IdP metadata refresh: some downloads failed (see connection.metadata_refresh_failed events)');
        else if (counts.refreshed > 0) deps.log.info(counts, 'IdP metadata refreshed');
        return counts;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const schedule = every({ name: 'IdP metadata refresh', intervalMs, firstAfterMs: Math.min(FIRST_RUN_DELAY_MS, intervalMs), log: deps.log, run });
  return {
    run,
    stop: () => {
      shutdown.abort();
      schedule.stop();
    },
  };
}
