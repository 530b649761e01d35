import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { Call } from '../../context.ts';
import type { Executor } from '../../db/database.ts';
import type { Connection } from '../../db/schema.ts';
import type { OidcSso } from '../../sso/oidc/oidc-sso.ts';
import { portalCall, portalOf, portalView, type PortalDeps, type PortalRouter } from '../portal.router.ts';
import { type Progress, type WizardStep, wizardConnection, wizardProgress } from './sso-wizard.service.ts';
import { connectionSummary, STEP_LABELS, stepsView } from './sso-wizard.view.ts';

/** What every wizard route file is built with. */
export interface Wizard extends PortalDeps {
  router: Router;
  oidc: OidcSso;
  /** The session check for the `sso` intent: first on every wizard route. */
  session: Middleware;
  call(k: Context): Call;
  /** The session org's connection named in the URL (or a form), else 404 with nothing read or changed. */
  connection(k: Context, id: unknown, executor?: Executor): Promise<Connection>;
  /** Renders a wizard page: the portal frame, the step indicator and the connection's header. */
  render(k: Context, template: string, page: { step: WizardStep | null; title: string; connection?: Connection; progress?: Progress; status?: number; indicator?: WizardStep } & Record<string, unknown>): Promise<void>;
}

export function createWizard(portal: PortalRouter, oidc: OidcSso): Wizard {
  const { deps, router } = portal;
  return {
    ...deps,
    router,
    oidc,
    session: portal.requirePortal('sso') as Middleware,
    call: (k) => portalCall(k, deps.ctx),
    connection: (k, id, executor = deps.db) => wizardConnection(executor, portalOf(k).organization_id, id),
    async render(k, template, page) {
      // `indicator`: a page that is no step (the overview) can still show where the setup stands.
      const { step, title, connection, status, indicator, ...extra } = page;
      const marked = step ?? indicator;
      const progress = page.progress ?? (connection ? await wizardProgress(deps.db, connection) : undefined);
      deps.pages.render(k, template, {
        ...portalView(k),
        ...extra,
        title,
        step: step ? { key: step, label: STEP_LABELS[step], number: Object.keys(STEP_LABELS).indexOf(step) + 1, total: Object.keys(STEP_LABELS).length } : null,
        steps: marked ? stepsView(marked, connection, progress) : [],
        connection: connection ? connectionSummary(connection) : null,
        progress: progress ?? null,
      }, status ?? 200);
    },
  };
}
