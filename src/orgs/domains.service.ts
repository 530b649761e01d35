import type { Call } from '../context.ts';
import { DAY_MS } from '../clock.ts';
import { newId } from '../crypto/ids.ts';
import { randomString } from '../crypto/tokens.ts';
import type { Executor } from '../db/database.ts';
import type { Domain } from '../db/schema.ts';
import type { UnitOfWork } from '../db/transaction.ts';
import { recordEvent } from '../events/activity.ts';
import { AppError, conflict, fieldInvalid, notFound } from '../http/errors.ts';
import { CHALLENGE_LABEL, type DnsCheck, type DnsVerifier } from './dns-verifier.ts';
import { checkDomainName } from './domain-name.ts';
import { getOrganization } from './organizations.service.ts';

/** A domain left pending this long becomes failed. */
export const PENDING_DOMAIN_LIFETIME_MS = 30 * DAY_MS;

export interface DomainView {
  id: string;
  organization_id: string;
  domain: string;
  state: Domain['state'];
  verification: {
    type: 'dns_txt';
    name: string;
    value: string;
    method: Domain['verification_method'];
    last_checked_at: string | null;
    last_error: string | null;
  };
  failure_reason: string | null;
  verified_at: string | null;
  created_at: string;
  updated_at: string;
}

export function toDomainView(row: Domain): DomainView {
  return {
    id: row.id,
    organization_id: row.organization_id,
    domain: row.domain,
    state: row.state,
    verification: {
      type: 'dns_txt',
      name: `${CHALLENGE_LABEL}.${row.domain}`,
      value: row.verification_value,
      method: row.verification_method,
      last_checked_at: row.last_checked_at,
      last_error: row.last_check_error,
    },
    failure_reason: row.failure_reason,
    verified_at: row.verified_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export async function getDomain(db: Executor, id: string): Promise<Domain> {
  const row = await db.selectFrom('domains').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('domain', id);
  return row;
}

export async function listDomains(db: Executor, organizationId: string): Promise<Domain[]> {
  return db.selectFrom('domains').selectAll().where('organization_id', '=', organizationId).orderBy('id').execute();
}

/** The org (if any) that has verified this exact domain. */
export async function verifiedOwner(db: Executor, domain: string): Promise<string | undefined> {
  const row = await db.selectFrom('domains').select('organization_id').where('domain', '=', domain).where('state', '=', 'verified').executeTakeFirst();
  return row?.organization_id;
}

export async function addDomain(db: Executor, { ctx, actor }: Call, organizationId: string, input: string): Promise<Domain> {
  await getOrganization(db, organizationId);
  const checked = checkDomainName(input);
  if ('problem' in checked) throw fieldInvalid('domain', checked.problem.code, checked.problem.message);
  const { domain } = checked;
  const existing = await db.selectFrom('domains').select('id').where('organization_id', '=', organizationId).where('domain', '=', domain).executeTakeFirst();
  if (existing) throw conflict('domain_exists', `${domain} is already added to this organization (${existing.id}).`);
  const owner = await verifiedOwner(db, domain);
  if (owner) throw conflict('domain_verified_elsewhere', `${domain} is already verified by another organization.`);
  const now = ctx.clock.now().toISOString();
  const row: Domain = {
    id: newId('dom'),
    organization_id: organizationId,
    domain,
    state: 'pending',
    verification_value: `gatehouse-domain-verification=${randomString(18)}`,
    verification_method: null,
    failure_reason: null,
    last_checked_at: null,
    last_check_error: null,
    verified_at: null,
    created_at: now,
    updated_at: now,
  };
  await db.insertInto('domains').values(row).execute();
  await recordEvent(db, ctx.clock, { type: 'domain.created', organizationId, actor, data: { domain_id: row.id, domain } });
  return row;
}

function assertVerifiable(domain: Domain): void {
  if (domain.state === 'verified') throw conflict('domain_already_verified', `${domain.domain} is already verified.`);
}

/**
 * Applies a DNS check made outside the transaction. Found: verified (unless another org won the race).
 * Not found: stays pending with the reason, or fails once it has been pending for 30 days.
 */
export async function applyDnsCheck(db: Executor, { ctx, actor }: Call, domainId: string, check: DnsCheck): Promise<Domain> {
  const domain = await getDomain(db, domainId);
  assertVerifiable(domain);
  const now = ctx.clock.now().toISOString();
  if (check.result === 'found') return markVerified(db, { ctx, actor }, domain, 'dns_txt');
  const expired = ctx.clock.now().getTime() - Date.parse(domain.created_at) >= PENDING_DOMAIN_LIFETIME_MS;
  const update = {
    last_checked_at: now,
    last_check_error: check.message,
    updated_at: now,
    ...(expired ? { state: 'failed' as const, failure_reason: expiryReason(check.message) } : {}),
  };
  await db.updateTable('domains').set(update).where('id', '=', domainId).execute();
  await recordEvent(db, ctx.clock, {
    type: 'domain.verification_failed',
    organizationId: domain.organization_id,
    actor,
    data: { domain_id: domain.id, domain: domain.domain, reason: expired ? update.failure_reason! : check.message },
  });
  return { ...domain, ...update };
}

function expiryReason(lastError: string | null): string {
  return `The domain was not verified within 30 days.${lastError ? ` Last check: ${lastError}` : ''} Add the TXT record and verify again.`;
}

/** idor check: a domain id from a URL or a form counts only when it is a domain of the caller's org. */
export async function getOrgDomain(db: Executor, organizationId: string, id: string): Promise<Domain> {
  const domain = await getDomain(db, id);
  if (domain.organization_id !== organizationId) throw notFound('domain', id);
  return domain;
}

/**
 * Verify pressed (console, setup wizard): looks the TXT record up now, then records what it found.
 * The lookup runs before the unit of work, never inside it: SQLite has one connection, and a slow DNS
 * server would hold every other request. A verified domain is not looked up again.
 */
export async function checkDomainNow(
  deps: { db: Executor; uow: UnitOfWork; dns: DnsVerifier },
  call: Call,
  organizationId: string,
  domainId: string,
): Promise<Domain> {
  const domain = await getOrgDomain(deps.db, organizationId, domainId);
  if (domain.state === 'verified') return domain;
  const check = await deps.dns.check(domain.domain, domain.verification_value);
  return deps.uow(async (trx) => {
    // Read again inside the unit of work: the domain may have been verified or removed during the lookup.
    const current = await getOrgDomain(trx, organizationId, domainId);
    return current.state === 'verified' ? current : applyDnsCheck(trx, call, domainId, check);
  });
}

export async function verifyManually(db: Executor, call: Call, domainId: string): Promise<Domain> {
  const domain = await getDomain(db, domainId);
  assertVerifiable(domain);
  return markVerified(db, call, domain, 'manual');
}

async function markVerified(db: Executor, { ctx, actor }: Call, domain: Domain, method: 'dns_txt' | 'manual'): Promise<Domain> {
  const owner = await verifiedOwner(db, domain.domain);
  if (owner && owner !== domain.organization_id) {
    throw new AppError(409, 'domain_verified_elsewhere', `${domain.domain} is already verified by another organization.`);
  }
  const now = ctx.clock.now().toISOString();
  const update = { state: 'verified' as const, verification_method: method, verified_at: now, last_checked_at: now, last_check_error: null, failure_reason: null, updated_at: now };
  await db.updateTable('domains').set(update).where('id', '=', domain.id).execute();
  await recordEvent(db, ctx.clock, { type: 'domain.verified', organizationId: domain.organization_id, actor, data: { domain_id: domain.id, domain: domain.domain, method } });
  return { ...domain, ...update };
}

export async function deleteDomain(db: Executor, { ctx, actor }: Call, domainId: string): Promise<void> {
  const domain = await getDomain(db, domainId);
  await db.deleteFrom('domains').where('id', '=', domainId).execute();
  await recordEvent(db, ctx.clock, { type: 'domain.deleted', organizationId: domain.organization_id, actor, data: { domain_id: domain.id, domain: domain.domain } });
}

/** The scheduled sweep: every domain pending for 30 days or more becomes failed, with the reason. */
export async function failExpiredDomains(db: Executor, { ctx, actor }: Call): Promise<number> {
  const cutoff = new Date(ctx.clock.now().getTime() - PENDING_DOMAIN_LIFETIME_MS).toISOString();
  const stale = await db.selectFrom('domains').selectAll().where('state', '=', 'pending').where('created_at', '<=', cutoff).execute();
  const now = ctx.clock.now().toISOString();
  for (const domain of stale) {
    const reason = expiryReason(domain.last_check_error);
    await db.updateTable('domains').set({ state: 'failed', failure_reason: reason, updated_at: now }).where('id', '=', domain.id).where('state', '=', 'pending').execute();
    await recordEvent(db, ctx.clock, { type: 'domain.verification_failed', organizationId: domain.organization_id, actor, data: { domain_id: domain.id, domain: domain.domain, reason } });
  }
  return stale.length;
}
