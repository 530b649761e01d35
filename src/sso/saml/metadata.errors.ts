import { AppError } from '../../http/errors.ts';

export type MetadataErrorCode =
  | 'not_xml'
  | 'doctype_refused'
  | 'not_saml_metadata'
  | 'no_idp'
  | 'several_idps'
  | 'entity_not_found'
  | 'no_sso_url'
  | 'no_signing_certificate'
  | 'bad_certificate'
  | 'too_large'
  // Downloading the metadata from a URL (metadata-fetch.ts).
  | 'bad_url'
  | 'bad_redirect'
  | 'too_many_redirects'
  | 'fetch_failed'
  | 'fetch_timeout'
  | 'http_status'
  | 'html_page'
  | 'not_text';

/** A document that cannot be used as IdP metadata. `message` is written for the customer's IT admin. */
export class MetadataError extends AppError {
  declare readonly code: MetadataErrorCode;
  /** For `several_idps`: every IdP entity id in the document, for the wizard to offer as a choice. */
  readonly entityIds: string[];

  constructor(code: MetadataErrorCode, message: string, options: { detail?: string; cause?: unknown; entityIds?: string[] } = {}) {
    super(code === 'too_large' ? 413 : 422, code, message, options);
    this.name = 'MetadataError';
    this.entityIds = options.entityIds ?? [];
  }
}
