/** The IdP simulator's URLs (DESIGN.md HTTP surface): its entity id is its own base path. */
export function simulatorEndpoints(baseUrl: string): { entityId: string; ssoUrl: string; metadataUrl: string; startUrl(connectionId: string): string } {
  const entityId = `${baseUrl}/sso/simulator`;
  return {
    entityId,
    ssoUrl: `${entityId}/sso`,
    metadataUrl: `${entityId}/metadata`,
    startUrl: (connectionId) => `${entityId}/start/${encodeURIComponent(connectionId)}`,
  };
}
