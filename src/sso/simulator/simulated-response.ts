import type { AttributeMapping } from '../attribute-mapping.ts';
import { buildSamlResponse, encodeSamlResponse } from './saml-response.ts';
import type { SimulatorTarget } from './simulator-connection.ts';
import { simulatorEndpoints } from './simulator-endpoints.ts';
import type { PendingRequest, Person } from './simulator-form.ts';
import type { SimulatorKey } from './simulator-key.ts';

/**
 * The SAMLResponse the simulator posts to the ACS: what a well-behaved IdP sends (saml-profiles §4.1.4.2),
 * the assertion signed with RSA-SHA256 by the simulator's key, NameID = the email. Attributes go under the
 * connection's own names when its mapping sets them, else the generic names Gatehouse reads by default.
 */
export async function simulatedResponse(input: { key: SimulatorKey; baseUrl: string; target: SimulatorTarget; pending: PendingRequest; person: Person; now: Date }): Promise<string> {
  const { target, person } = input;
  const names = { email: 'email', firstName: 'firstName', lastName: 'lastName', groups: 'groups', ...(JSON.parse(target.connection.attribute_mapping) as AttributeMapping) };
  const attributes: Record<string, string | string[]> = { [names.email]: person.email };
  if (person.firstName) attributes[names.firstName] = person.firstName;
  if (person.lastName) attributes[names.lastName] = person.lastName;
  if (person.groups.length > 0) attributes[names.groups] = person.groups;
  const xml = await buildSamlResponse({
    issuer: simulatorEndpoints(input.baseUrl).entityId,
    destination: target.sp.acsUrl,
    recipient: target.sp.acsUrl,
    audience: target.sp.entityId,
    inResponseTo: input.pending.requestId,
    nameId: person.email,
    attributes,
    now: input.now,
    signing: { privateKeyPem: input.key.privateKeyPem, certificatePem: input.key.certificatePem, sign: 'assertion', signatureAlgorithm: 'sha256', digestAlgorithm: 'sha256' },
  });
  return encodeSamlResponse(xml);
}
