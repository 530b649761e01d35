import fs from 'node:fs';
import path from 'node:path';
import type { Gatehouse } from '../src/app.ts';
import type { Call } from '../src/context.ts';
import type { Connection, Organization, Site } from '../src/db/schema.ts';
import { addDomain, listDomains, verifyManually } from '../src/orgs/domains.service.ts';
import { createOrganization, updateOrganization } from '../src/orgs/organizations.service.ts';
import { createSite } from '../src/orgs/sites.service.ts';
import { createClient, findClientByClientId } from '../src/provider/clients.service.ts';
import { createSimulatorConnection } from '../src/sso/simulator/simulator-connection.ts';
import { simulatorEndpoints } from '../src/sso/simulator/simulator-endpoints.ts';
import { loadSimulatorKey } from '../src/sso/simulator/simulator-key.ts';

export const DEMO = { organization: 'Demo Co', domain: 'demo.test', site: 'Head office', client: 'Demo app' } as const;
/** In the data directory: the demo app's client id and secret (a secret is shown once, so it is kept here). */
export const DEMO_CLIENT_FILE = 'demo-app-client.json';

export interface DemoSetup {
  organization: Organization;
  site: Site;
  connection: Connection;
  client: { client_id: string; client_secret: string };
  /** What this run created (empty when everything was there already). */
  created: string[];
}

/**
 * The demo's data, created only when missing so a second run reuses it: the org "Demo Co" (SSO in its
 * plan, just-in-time provisioning), its domain demo.test verified by hand, a site, an active connection
 * to the IdP simulator, and a confidential client for the demo app at `appUrl`. No initiate_login_uri:
 * Gatehouse accepts only https ones (OIDC Core §4), so IdP-initiated sign-in is for https deployments.
 */
export async function setUpDemo(app: Gatehouse, options: { appUrl: string }): Promise<DemoSetup> {
  const call: Call = { ctx: app.ctx, actor: { type: 'operator' } };
  const created: string[] = [];
  // Made before any transaction opens (key generation takes a moment, and nothing should wait on it).
  await loadSimulatorKey(app.config.dataDir, app.ctx.clock.now());

  const { organization, site, connection } = await app.uow(async (trx) => {
    let organization = await trx.selectFrom('organizations').selectAll().where('name', '=', DEMO.organization).orderBy('id').executeTakeFirst();
    if (!organization) {
      organization = await createOrganization(trx, call, { name: DEMO.organization, sso_entitled: true, auto_provision: true });
      created.push(`organization ${organization.id}`);
    } else if (!organization.sso_entitled || !organization.auto_provision) {
      organization = await updateOrganization(trx, call, organization.id, { sso_entitled: true, auto_provision: true });
    }
    const orgId = organization.id;

    let domain = (await listDomains(trx, orgId)).find((d) => d.domain === DEMO.domain);
    if (!domain) {
      domain = await addDomain(trx, call, orgId, DEMO.domain);
      created.push(`domain ${DEMO.domain}`);
    }
    if (domain.state !== 'verified') await verifyManually(trx, call, domain.id);

    let site = await trx.selectFrom('sites').selectAll().where('organization_id', '=', orgId).where('name', '=', DEMO.site).executeTakeFirst();
    if (!site) {
      site = await createSite(trx, call, orgId, DEMO.site);
      created.push(`site "${DEMO.site}"`);
    }

    let connection = await trx
      .selectFrom('connections')
      .selectAll()
      .where('organization_id', '=', orgId)
      .where('type', '=', 'saml')
      .where('state', '=', 'active')
      .where('saml_idp_entity_id', '=', simulatorEndpoints(app.config.baseUrl).entityId)
      .orderBy('id')
      .executeTakeFirst();
    if (!connection) {
      connection = await createSimulatorConnection(trx, call, orgId);
      created.push(`IdP simulator connection ${connection.id}`);
    }
    return { organization, site, connection };
  });

  const callback = `${options.appUrl}/callback`;
  const file = path.join(app.config.dataDir, DEMO_CLIENT_FILE);
  let client = readClientFile(file);
  const known = client ? await findClientByClientId(app.db, client.client_id) : undefined;
  if (!client || !known || !(JSON.parse(known.redirect_uris) as string[]).includes(callback)) {
    const made = await app.uow((trx) => createClient(trx, call, { name: DEMO.client, redirect_uris: [callback], post_logout_redirect_uris: [`${options.appUrl}/`] }));
    client = { client_id: made.client.client_id, client_secret: made.secret! };
    fs.writeFileSync(file, JSON.stringify(client, null, 2) + '\n', { mode: 0o600 });
    created.push(`client ${client.client_id}`);
  }
  return { organization, site, connection, client, created };
}

function readClientFile(file: string): { client_id: string; client_secret: string } | undefined {
  try {
    const value = JSON.parse(fs.readFileSync(file, 'utf8')) as { client_id?: unknown; client_secret?: unknown };
    return typeof value.client_id === 'string' && typeof value.client_secret === 'string' ? { client_id: value.client_id, client_secret: value.client_secret } : undefined;
  } catch {
    return undefined;
  }
}
