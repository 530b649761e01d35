import type { Context } from 'koa';
import { adminOf } from '../console-admin.ts';
import type { ConsoleRouter } from '../console.router.ts';
import { AUTHENTICATION_PATH } from '../console-view.ts';
import { loadContactsSection, registerContactsForms } from './contacts-section.ts';
import { loadDomainsSection, registerDomainsForms } from './domains-section.ts';
import { registerDsyncRoutes } from './dsync-routes.ts';
import { loadDsyncSection } from './dsync-section.ts';
import { registerSsoRoutes } from './sso-routes.ts';
import { loadSsoSection } from './sso-section.ts';


/**
 * What a section's form sent back when it was refused: the section re-renders with the values typed
 * and an error per field, everything else as stored. `section` names which one (domains, contacts...).
 */
export interface SectionForm {
  section: 'domains' | 'contacts' | 'sso' | 'dsync';
  values: Record<string, string>;
  errors: Record<string, string>;
}

/**
 * Settings -> Organisation -> Authentication (DESIGN.md Console): one page, four sections, each loaded
 * by its own module (domains-section.ts, contacts-section.ts, sso-section.ts, dsync-section.ts) and
 * drawn by its own partial (views/console/authentication/_<section>.njk).
 */
export async function renderAuthentication(consoleRouter: ConsoleRouter, ctx: Context, form?: SectionForm, status = 200): Promise<void> {
  const { db } = consoleRouter.deps;
  const admin = adminOf(ctx);
  const [domains, contacts, sso, dsync] = await Promise.all([
    loadDomainsSection(db, admin, form),
    loadContactsSection(db, admin, ctx, form),
    loadSsoSection(db, admin, form),
    loadDsyncSection(db, admin, form),
  ]);
  await consoleRouter.render(ctx, 'console/authentication/index.njk', 'authentication', { domains, contacts, sso, dsync }, status);
}

/** The page, and the forms of its four sections. */
export function registerAuthenticationPage(consoleRouter: ConsoleRouter): void {
  consoleRouter.router.get(AUTHENTICATION_PATH, consoleRouter.page, (ctx) => renderAuthentication(consoleRouter, ctx));
  registerDomainsForms(consoleRouter);
  registerContactsForms(consoleRouter);
  registerSsoRoutes(consoleRouter);
  registerDsyncRoutes(consoleRouter);
}
