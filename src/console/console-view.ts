import type { Context } from 'koa';
import type { Clock } from '../clock.ts';
import type { Executor } from '../db/database.ts';
import { adminOf } from './console-admin.ts';
import type { Flash } from './console-session.ts';

/**
 * Where each section lives. Here rather than in the sections' own modules: a section's modules import
 * each other, and a path read before its module has run would be undefined.
 */
export const AUTHENTICATION_PATH = '/console/settings/authentication';
export const USERS_PATH = '/console/users';
export const SITES_PATH = '/console/sites';
export const ACTIVITY_PATH = '/console/activity';

/** The console's sections, in the order of its navigation. */
export const CONSOLE_SECTIONS = [
  { key: 'authentication', label: 'Authentication', href: AUTHENTICATION_PATH },
  { key: 'users', label: 'Users', href: USERS_PATH },
  { key: 'sites', label: 'Sites', href: SITES_PATH },
  { key: 'activity', label: 'Activity', href: ACTIVITY_PATH },
] as const;

export type ConsoleSection = (typeof CONSOLE_SECTIONS)[number]['key'] | 'home';

/** How long before a certificate's expiry the console starts showing the banner (DESIGN.md Certificate monitor). */
export const BANNER_WINDOW_DAYS = 30;
const DAY_MS = 86_400_000;

export interface ExpiringCertificate {
  connection_name: string;
  not_after: string;
  days_left: number;
  expired: boolean;
  /** Another certificate of the same connection outlives this one: sign-ins go on after it expires. */
  newer_in_place: boolean;
}

/**
 * Signing certificates of the org's active connections that expire within 30 days (or have expired),
 * soonest first: what the banner on every console page warns about.
 */
export async function expiringCertificates(db: Executor, clock: Clock, organizationId: string): Promise<ExpiringCertificate[]> {
  const now = clock.now().getTime();
  const rows = await db
    .selectFrom('connection_certificates')
    .innerJoin('connections', 'connections.id', 'connection_certificates.connection_id')
    .select(['connections.id as connection_id', 'connections.name', 'connection_certificates.not_after'])
    .where('connections.organization_id', '=', organizationId)
    .where('connections.state', '=', 'active')
    .orderBy('connection_certificates.not_after')
    .execute();
  const latest = new Map<string, number>();
  for (const row of rows) latest.set(row.connection_id, Math.max(latest.get(row.connection_id) ?? 0, Date.parse(row.not_after)));
  return rows
    .filter((row) => Date.parse(row.not_after) - now <= BANNER_WINDOW_DAYS * DAY_MS)
    .map((row) => {
      const expiry = Date.parse(row.not_after);
      return {
        connection_name: row.name,
        not_after: row.not_after,
        days_left: Math.max(0, Math.ceil((expiry - now) / DAY_MS)),
        expired: expiry <= now,
        newer_in_place: latest.get(row.connection_id)! > expiry && latest.get(row.connection_id)! - now > BANNER_WINDOW_DAYS * DAY_MS,
      };
    });
}

/**
 * What views/console/base.njk needs on every page: who is signed in, the navigation with the current
 * section, the certificate banner and the one-time flash message.
 */
export async function consoleView(ctx: Context, db: Executor, clock: Clock, section: ConsoleSection, flash: Flash | undefined) {
  const admin = adminOf(ctx);
  // Other orgs this person administers (an IT partner looking after several customers): one click away.
  const otherOrgs = await db
    .selectFrom('memberships')
    .innerJoin('organizations', 'organizations.id', 'memberships.organization_id')
    .select(['organizations.id', 'organizations.name'])
    .where('memberships.user_id', '=', admin.user.id)
    .where('memberships.role', '=', 'admin')
    .where('memberships.state', '=', 'active')
    .where('organizations.id', '!=', admin.organization.id)
    .orderBy('organizations.name')
    .limit(50)
    .execute();
  return {
    other_organizations: otherOrgs,
    admin: { name: admin.user.name, email: admin.user.email },
    organization: { id: admin.organization.id, name: admin.organization.name, sso_entitled: Boolean(admin.organization.sso_entitled) },
    nav: CONSOLE_SECTIONS.map((s) => ({ ...s, current: s.key === section })),
    section,
    expiring_certificates: await expiringCertificates(db, clock, admin.organization.id),
    flash: flash ? { tone: flash.tone, message: flash.message } : null,
  };
}
