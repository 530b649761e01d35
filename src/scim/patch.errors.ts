// The error every step of SCIM PATCH throws: a 400 with the RFC 7644 §3.12 scimType it maps to.

export type ScimPatchErrorType = 'invalidSyntax' | 'invalidPath' | 'noTarget' | 'invalidValue' | 'mutability';

export class ScimPatchError extends Error {
  readonly status = 400;
  readonly scimType: ScimPatchErrorType;
  readonly detail: string;

  constructor(scimType: ScimPatchErrorType, detail: string) {
    super(detail);
    this.name = 'ScimPatchError';
    this.scimType = scimType;
    this.detail = detail;
  }
}
