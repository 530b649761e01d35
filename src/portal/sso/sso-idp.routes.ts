import type { Context } from 'koa';
import type { Connection } from '../../db/schema.ts';
import { AppError } from '../../http/errors.ts';
import { listCertificates } from '../../sso/connections.service.ts';
import { discoverIssuer } from '../../sso/oidc/upstream-client.ts';
import { type IdpSettings, resolveSamlSettings } from '../../sso/saml/idp-settings.ts';
import { MetadataError } from '../../sso/saml/metadata.errors.ts';
import { emptyValues, type FieldErrors, type IdpFormValues, metadataErrorField, readOidcForm, readSamlForm } from './idp-form.ts';
import { IDP_FORM_LIMIT_BYTES, idpFormBody } from './idp-form-body.ts';
import type { Wizard } from './sso-wizard.context.ts';
import { assertEditable, saveIdpSettings, savedClientSecret } from './sso-wizard.service.ts';
import { certificateViews, providerOf, stepPath } from './sso-wizard.view.ts';

/**
 * Step 3, the IdP's side: SAML metadata by URL, by file or pasted, or typed by hand; OIDC issuer, client
 * id and secret. Each is checked on the spot (the metadata downloaded and read, the issuer's discovery
 * document fetched) before the one transaction that saves it, so a refusal changes nothing.
 */
export function registerIdpStep(w: Wizard): void {
  const { router, session, uow, pages, db } = w;
  const now = () => w.ctx.clock.now();
  const mode = w.ctx.config.mode;

  async function show(k: Context, connection: Connection, form: { values?: IdpFormValues; errors?: FieldErrors; entityIds?: string[]; status?: number } = {}) {
    const certificates = certificateViews(await listCertificates(db, connection.id), now());
    const errors = form.errors ?? {};
    await w.render(k, 'portal/sso/idp.njk', {
      step: 'idp', title: connection.type === 'saml' ? 'Give Gatehouse your IdP\'s details' : 'Give Gatehouse your OIDC app\'s details', connection,
      protocol: connection.type,
      where: providerOf(connection).steps?.whereToFindIdpDetails ?? '',
      guide_name: providerOf(connection).idpName,
      values: form.values ?? savedValues(connection),
      errors,
      error_count: Object.keys(errors).length,
      entity_ids: form.entityIds ?? [],
      saved: {
        saml: connection.type === 'saml' && connection.saml_sso_url ? { entity_id: connection.saml_idp_entity_id, sso_url: connection.saml_sso_url, metadata_url: connection.saml_metadata_url, binding: connection.saml_sso_binding } : null,
        oidc: connection.type === 'oidc' && connection.oidc_issuer ? { issuer: connection.oidc_issuer, client_id: connection.oidc_client_id, has_secret: connection.oidc_client_secret_sealed !== null } : null,
      },
      just_saved: k.query.saved === '1' && Object.keys(errors).length === 0,
      certificates,
      upload_limit_kb: IDP_FORM_LIMIT_BYTES / 1024,
      editable: connection.state !== 'active',
      status: form.status ?? 200,
    });
  }

  router.get('/portal/sso/:id/idp', session, async (k) => {
    await show(k, await w.connection(k, k.params.id));
  });

  // The session is checked before the body is read: no upload is parsed for a stranger.
  router.post('/portal/sso/:id/idp', session, idpFormBody('metadata_file'), pages.verifyCsrf, async (k) => {
    const connection = await w.connection(k, k.params.id);
    assertEditable(connection);
    const body = (k.request.body ?? {}) as Record<string, unknown>;

    if (connection.type === 'saml') {
      const form = readSamlForm(body);
      if (!form.input) return show(k, connection, { values: form.values, errors: form.errors, status: 422 });
      let settings: IdpSettings;
      try {
        // Network (the metadata URL) here, before the transaction opens.
        settings = await resolveSamlSettings(form.input, { now: now(), mode });
      } catch (error) {
        if (!(error instanceof MetadataError)) throw error;
        const field = metadataErrorField(form.values.method, error.code);
        const values = error.code === 'several_idps' && form.values.method === 'xml' ? form.values : { ...form.values, entity_id: '' };
        return show(k, connection, { values, errors: { [field]: error.message }, entityIds: error.entityIds, status: error.status });
      }
      await uow(async (trx) => saveIdpSettings(trx, w.call(k), await w.connection(k, connection.id, trx), { saml: settings }));
      k.status = 303;
      return k.redirect(`${stepPath('idp', connection.id)}?saved=1`);
    }

    const form = readOidcForm(body, connection.oidc_client_secret_sealed !== null);
    if (!form.input) return show(k, connection, { values: form.values, errors: form.errors, status: 422 });
    try {
      // The issuer must answer discovery and name itself, before anything is written.
      await discoverIssuer(form.input.issuer, mode);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      return show(k, connection, { values: form.values, errors: { issuer: error.message }, status: 422 });
    }
    const { issuer, client_id } = form.input;
    await uow(async (trx) => {
      const current = await w.connection(k, connection.id, trx);
      const client_secret = form.input!.client_secret ?? savedClientSecret(w.call(k), current);
      if (!client_secret) throw new AppError(422, 'client_secret_missing', 'Enter the client secret your identity provider gave this app.');
      return saveIdpSettings(trx, w.call(k), current, { oidc: { issuer, client_id, client_secret } });
    });
    k.status = 303;
    k.redirect(`${stepPath('idp', connection.id)}?saved=1`);
  });
}

/** What the form shows for saved settings: the way they were given, never the client secret. */
function savedValues(connection: Connection): IdpFormValues {
  if (connection.type === 'oidc') return { ...emptyValues(), issuer: connection.oidc_issuer ?? '', client_id: connection.oidc_client_id ?? '' };
  if (connection.saml_metadata_url) return { ...emptyValues('url'), metadata_url: connection.saml_metadata_url };
  if (connection.saml_sso_url) return { ...emptyValues('xml') };
  return emptyValues('url');
}
