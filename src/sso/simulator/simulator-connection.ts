import type { Call } from '../../context.ts';
import { isId } from '../../crypto/ids.ts';
import type { Executor } from '../../db/database.ts';
import type { Connection } from '../../db/schema.ts';
import { AppError } from '../../http/errors.ts';
import { activateConnection, createConnection } from '../connections.service.ts';
import { settingsFromManualInput } from '../saml/idp-settings.ts';
import { samlEndpoints } from '../saml/sp-endpoints.ts';
import { simulatorEndpoints } from './simulator-endpoints.ts';
import { loadSimulatorKey } from './simulator-key.ts';

/**
 * Creates an ACTIVE SAML connection for the org that trusts the IdP simulator: provider generic-saml,
 * IdP-initiated sign-in allowed. The simulator's key is read (made, the first time: CPU only, no network)
 * before anything is written.
 */
export async function createSimulatorConnection(db: Executor, call: Call, organizationId: string): Promise<Connection> {
  const { config, clock } = call.ctx;
  const key = await loadSimulatorKey(config.dataDir, clock.now());
  const idp = simulatorEndpoints(config.baseUrl);
  const saml = settingsFromManualInput({ idp_entity_id: idp.entityId, sso_url: idp.ssoUrl, certificates: [key.certificatePem] }, { now: clock.now(), mode: config.mode });
  const connection = await createConnection(db, call, organizationId, { type: 'saml', provider: 'generic-saml', name: 'IdP simulator', saml, idp_initiated: true });
  return activateConnection(db, call, connection.id, ['saml']);
}

/** A connection the simulator signs into, with what its page shows and its response must name. */
export interface SimulatorTarget {
  connection: Connection;
  organizationName: string;
  /** The org's verified domains: the simulator only offers addresses on them. */
  domains: string[];
  sp: { entityId: string; acsUrl: string };
}

/** The connection id in an SP entity id `{base}/sso/saml/{id}` (sp-endpoints.ts), if it is one. */
export function connectionIdOf(baseUrl: string, spEntityId: string): string | undefined {
  const prefix = `${baseUrl}/sso/saml/`;
  if (!spEntityId.startsWith(prefix)) return undefined;
  const id = spEntityId.slice(prefix.length);
  return isId('conn', id) ? id : undefined;
}

/**
 * The SAML connection `connectionId` when it trusts the simulator (its IdP entity id is the simulator's);
 * any other connection is refused here, rather than with a signature error at the ACS.
 */
export async function findSimulatorTarget(db: Executor, baseUrl: string, connectionId: string | undefined): Promise<SimulatorTarget> {
  const connection = isId('conn', connectionId)
    ? await db.selectFrom('connections').selectAll().where('id', '=', connectionId).where('type', '=', 'saml').executeTakeFirst()
    : undefined;
  if (!connection) {
    throw new AppError(404, 'unknown_sp', 'This sign-in request comes from no SAML connection of this Gatehouse. Start again from the application.');
  }
  if (connection.saml_idp_entity_id !== simulatorEndpoints(baseUrl).entityId) {
    throw new AppError(409, 'not_a_simulator_connection', `The connection "${connection.name}" does not trust the IdP simulator, so the simulator does not sign in to it.`);
  }
  const [org, domains] = await Promise.all([
    db.selectFrom('organizations').select('name').where('id', '=', connection.organization_id).executeTakeFirstOrThrow(),
    // idor check: the org's own domains only.
    db.selectFrom('domains').select('domain').where('organization_id', '=', connection.organization_id).where('state', '=', 'verified').orderBy('domain').execute(),
  ]);
  const sp = samlEndpoints(baseUrl, connection.id);
  return { connection, organizationName: org.name, domains: domains.map((d) => d.domain), sp: { entityId: sp.entityId, acsUrl: sp.acsUrl } };
}
