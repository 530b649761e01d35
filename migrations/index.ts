import type { Migration } from 'kysely/migration';
import * as m0001 from './0001_foundation.ts';
import * as m0002 from './0002_provider.ts';
import * as m0003 from './0003_directory_sync.ts';
import * as m0004 from './0004_webhooks.ts';
import * as m0005 from './0005_sso_connections.ts';
import * as m0006 from './0006_oidc_rp.ts';
import * as m0007 from './0007_portal.ts';
import * as m0008 from './0008_certificate_monitor.ts';
import * as m0009 from './0009_role_source_default.ts';

/** Every migration, by sortable name. Listed statically so the compiled build and the tests agree. */
export const migrations: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0002_provider': m0002,
  '0003_directory_sync': m0003,
  '0004_webhooks': m0004,
  '0005_sso_connections': m0005,
  '0006_oidc_rp': m0006,
  '0007_portal': m0007,
  '0008_certificate_monitor': m0008,
  '0009_role_source_default': m0009,
};
