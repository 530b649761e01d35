/** Gatehouse's SP URLs for one connection (DESIGN.md HTTP surface): the entity id is the connection's URL. */
export function samlEndpoints(baseUrl: string, connectionId: string): { entityId: string; acsUrl: string; metadataUrl: string } {
  const entityId = `${baseUrl}/sso/saml/${connectionId}`;
  return { entityId, acsUrl: `${entityId}/acs`, metadataUrl: `${entityId}/metadata` };
}
