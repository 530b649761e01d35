import type { Call } from '../../context.ts';
import type { Executor } from '../../db/database.ts';
import type { Connection, UpstreamPurpose } from '../../db/schema.ts';
import { mapSamlProfile, type AttributeMapping } from '../attribute-mapping.ts';
import { issueLoginTicket, type IssuedTicket } from '../login-tickets.ts';
import { recordSsoRefusal, type SsoRefusal } from '../refusals.ts';
import { checkAssertion } from './assertion-checks.ts';
import type { SignerCertificate, ValidationResult } from './response-validator.ts';
import { samlEndpoints } from './sp-endpoints.ts';

export type AcsOutcome =
  | { kind: 'sign_in'; interactionUid: string; ticket: IssuedTicket }
  | { kind: 'test'; ticket: IssuedTicket }
  | { kind: 'idp_initiated'; ticket: IssuedTicket; initiateLoginUri: string; clientId: string }
  /** `purpose`: the request's, when the response could be tied to one (the wizard's test sign-in ends in the wizard). */
  | { kind: 'refused'; reason: SsoRefusal; purpose: UpstreamPurpose | null };

/**
 * After the worker verified the signature: the checks that need Gatehouse's clock and database, in the
 * caller's transaction. InResponseTo names a stored request of this connection (answered once), the
 * RelayState is the one sent with it, the assertion id was never accepted before (replay store), and
 * the profile maps. A refusal is returned, not thrown, so that its event, the spent request and the
 * replay entry are committed with it.
 */
export async function completeSamlResponse(
  db: Executor,
  call: Call,
  connection: Connection,
  input: { validation: ValidationResult; relayState: string | undefined; reference: string },
): Promise<AcsOutcome> {
  const { ctx } = call;
  // Which sign-in this answers, so the caller can pick the page the browser goes to next. Until the
  // signature and InResponseTo are checked only the (unsigned) RelayState says so: it picks a page and
  // grants nothing, and the pending request is left for the real answer.
  let answered: UpstreamPurpose | null = input.relayState
    ? (await db.selectFrom('saml_requests').select('purpose').where('connection_id', '=', connection.id).where('relay_state', '=', input.relayState).executeTakeFirst())?.purpose ?? null
    : null;
  const refuse = async (reason: SsoRefusal, detail: string, extra: { email?: string; certificate?: SignerCertificate } = {}): Promise<AcsOutcome> => {
    await recordSsoRefusal(db, call, connection.organization_id, { connection_id: connection.id, reason, reference: input.reference, detail, ...extra });
    return { kind: 'refused', reason, purpose: answered };
  };

  const { validation } = input;
  if (!validation.ok) return refuse(validation.reason, validation.detail, validation.certificate ? { certificate: validation.certificate } : {});
  const facts = validation.facts;
  const sp = samlEndpoints(ctx.config.baseUrl, connection.id);
  const checked = checkAssertion(facts, { idpEntityId: connection.saml_idp_entity_id ?? '', spEntityId: sp.entityId, acsUrl: sp.acsUrl, now: ctx.clock.now(), skewMs: ctx.config.samlClockSkewMs });
  if (!checked.ok) return refuse(checked.reason, checked.detail);

  // SP-initiated: the request this answers, spent now whatever happens next.
  let purpose: UpstreamPurpose = 'sign_in';
  let interactionUid: string | null = null;
  let idpInitiatedClient: { client_id: string; initiate_login_uri: string } | undefined;
  const now = ctx.clock.now().toISOString();
  if (checked.inResponseTo) {
    const request = await db.selectFrom('saml_requests').selectAll().where('id', '=', checked.inResponseTo).where('connection_id', '=', connection.id).executeTakeFirst();
    answered = request?.purpose ?? null;
    if (!request || request.expires_at <= now) {
      return refuse('in_response_to_unknown', `The response answers request ${checked.inResponseTo}, which this connection did not send, already received an answer, or expired.`);
    }
    await db.deleteFrom('saml_requests').where('id', '=', request.id).execute();
    if (input.relayState !== request.relay_state) return refuse('relay_state_mismatch', 'The RelayState is not the one sent with the request.');
    purpose = request.purpose;
    interactionUid = request.interaction_uid;
  } else {
    if (connection.state !== 'active' || connection.idp_initiated !== 1) {
      return refuse('idp_initiated_disabled', `The IdP sent an unsolicited (IdP-initiated) response; ${connection.state !== 'active' ? `the connection is ${connection.state}` : 'IdP-initiated sign-in is not allowed for this connection'}.`);
    }
    idpInitiatedClient = await initiateLoginClient(db, connection);
    if (!idpInitiatedClient) {
      return refuse('idp_initiated_no_client', 'IdP-initiated sign-in needs an application client with an initiate_login_uri (or the connection naming one).');
    }
  }
  if (purpose === 'sign_in' && connection.state !== 'active') {
    return refuse('connection_inactive', `The connection is ${connection.state}; only a test sign-in may use it.`);
  }

  const replay = await db
    .insertInto('saml_replay')
    .values({ connection_id: connection.id, assertion_id: facts.assertionId, expires_at: checked.replayUntil })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  if (Number(replay.numInsertedOrUpdatedRows ?? 0n) !== 1) return refuse('replayed', `Assertion ${facts.assertionId} was already used to sign in.`);

  const mapping = JSON.parse(connection.attribute_mapping) as AttributeMapping;
  const mapped = mapSamlProfile({ nameId: facts.nameId, nameIdFormat: facts.nameIdFormat ?? undefined, attributes: facts.attributes }, connection.provider, mapping);
  if (!mapped.ok) {
    return refuse(mapped.reason, `The assertion for NameID "${facts.nameId}" has no usable email (attributes sent: ${Object.keys(facts.attributes).join(', ') || 'none'}).`);
  }

  const ticket = await issueLoginTicket(db, call, {
    connectionId: connection.id,
    organizationId: connection.organization_id,
    purpose,
    interactionUid,
    clientId: idpInitiatedClient?.client_id ?? null,
    profile: { ...mapped.profile, attributes: facts.attributes, nameIdFormat: facts.nameIdFormat },
  });
  if (idpInitiatedClient) return { kind: 'idp_initiated', ticket, initiateLoginUri: idpInitiatedClient.initiate_login_uri, clientId: idpInitiatedClient.client_id };
  if (purpose === 'test' || interactionUid === null) return { kind: 'test', ticket };
  return { kind: 'sign_in', interactionUid, ticket };
}

/** The application an IdP-initiated sign-in lands in: the one the connection names, else the only one that can take it. */
async function initiateLoginClient(db: Executor, connection: Connection): Promise<{ client_id: string; initiate_login_uri: string } | undefined> {
  let query = db.selectFrom('oidc_clients').select(['client_id', 'initiate_login_uri']).where('initiate_login_uri', 'is not', null).where('builtin', '=', 0);
  if (connection.idp_initiated_client_id) query = query.where('client_id', '=', connection.idp_initiated_client_id);
  const clients = await query.limit(2).execute();
  if (clients.length !== 1) return undefined;
  return { client_id: clients[0]!.client_id, initiate_login_uri: clients[0]!.initiate_login_uri! };
}
