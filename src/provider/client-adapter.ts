import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Executor } from '../db/database.ts';
import { findClientByClientId, toProviderMetadata } from './clients.service.ts';

/** node-oidc-provider reads clients through the adapter's Client model: answer from oidc_clients. */
export function createClientAdapter(db: Executor): Adapter {
  const readOnly = async () => {
    throw new Error('clients are managed through the API and CLI, not by the provider');
  };
  return {
    async find(clientId: string) {
      const row = await findClientByClientId(db, clientId);
      return row ? (toProviderMetadata(row) as AdapterPayload) : undefined;
    },
    upsert: readOnly,
    findByUid: async () => undefined,
    findByUserCode: async () => undefined,
    consume: readOnly,
    destroy: readOnly,
    revokeByGrantId: readOnly,
  };
}
