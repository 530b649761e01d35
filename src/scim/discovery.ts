/** RFC 7643 §5–7: what this SCIM server supports, as discovery documents. */
export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const MAX_RESULTS = 200;
export const MAX_BODY = '2mb';

type Attribute = Record<string, unknown>;
const attr = (name: string, type: string, extra: Attribute = {}): Attribute => ({
  name, type, multiValued: false, required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none', ...extra,
});
const sub = (names: Array<[string, string]>) => names.map(([n, t]) => attr(n, t));

const userAttributes: Attribute[] = [
  attr('userName', 'string', { required: true, uniqueness: 'server' }),
  attr('name', 'complex', { subAttributes: sub([['formatted', 'string'], ['familyName', 'string'], ['givenName', 'string'], ['middleName', 'string'], ['honorificPrefix', 'string'], ['honorificSuffix', 'string']]) }),
  attr('displayName', 'string'),
  attr('nickName', 'string'),
  attr('title', 'string'),
  attr('userType', 'string'),
  attr('preferredLanguage', 'string'),
  attr('locale', 'string'),
  attr('timezone', 'string'),
  attr('active', 'boolean'),
  attr('password', 'string', { mutability: 'writeOnly', returned: 'never' }),
  attr('emails', 'complex', { multiValued: true, subAttributes: [attr('value', 'string'), attr('type', 'string', { canonicalValues: ['work', 'home', 'other'] }), attr('primary', 'boolean'), attr('display', 'string')] }),
  attr('phoneNumbers', 'complex', { multiValued: true, subAttributes: sub([['value', 'string'], ['type', 'string'], ['primary', 'boolean']]) }),
  attr('addresses', 'complex', { multiValued: true, subAttributes: sub([['formatted', 'string'], ['streetAddress', 'string'], ['locality', 'string'], ['region', 'string'], ['postalCode', 'string'], ['country', 'string'], ['type', 'string'], ['primary', 'boolean']]) }),
  attr('groups', 'complex', { multiValued: true, mutability: 'readOnly', subAttributes: sub([['value', 'string'], ['$ref', 'reference'], ['display', 'string'], ['type', 'string']]) }),
];

const groupAttributes: Attribute[] = [
  attr('displayName', 'string', { required: true }),
  attr('members', 'complex', { multiValued: true, subAttributes: [attr('value', 'string', { mutability: 'immutable' }), attr('$ref', 'reference', { mutability: 'immutable' }), attr('display', 'string'), attr('type', 'string', { canonicalValues: ['User'] })] }),
];

const enterpriseAttributes: Attribute[] = [
  attr('employeeNumber', 'string'),
  attr('costCenter', 'string'),
  attr('organization', 'string'),
  attr('division', 'string'),
  attr('department', 'string'),
  attr('manager', 'complex', { subAttributes: [attr('value', 'string'), attr('$ref', 'reference'), attr('displayName', 'string', { mutability: 'readOnly' })] }),
];

export function discoveryDocuments(scimBase: string) {
  const meta = (resourceType: string, path: string) => ({ resourceType, location: `${scimBase}${path}` });
  const schemas = [
    { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'], id: USER_SCHEMA, name: 'User', description: 'User Account', attributes: userAttributes, meta: meta('Schema', `/Schemas/${USER_SCHEMA}`) },
    { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'], id: GROUP_SCHEMA, name: 'Group', description: 'Group', attributes: groupAttributes, meta: meta('Schema', `/Schemas/${GROUP_SCHEMA}`) },
    { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'], id: ENTERPRISE_SCHEMA, name: 'EnterpriseUser', description: 'Enterprise User', attributes: enterpriseAttributes, meta: meta('Schema', `/Schemas/${ENTERPRISE_SCHEMA}`) },
  ];
  const resourceTypes = [
    { schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'], id: 'User', name: 'User', endpoint: '/Users', description: 'User Account', schema: USER_SCHEMA, schemaExtensions: [{ schema: ENTERPRISE_SCHEMA, required: false }], meta: meta('ResourceType', '/ResourceTypes/User') },
    { schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'], id: 'Group', name: 'Group', endpoint: '/Groups', description: 'Group', schema: GROUP_SCHEMA, meta: meta('ResourceType', '/ResourceTypes/Group') },
  ];
  const serviceProviderConfig = {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    documentationUri: 'https://github.com/gatehouse/gatehouse#directory-sync',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: true },
    authenticationSchemes: [{ type: 'oauthbearertoken', name: 'Bearer token', description: "The directory's bearer token, shown once when the directory is created or its token rotated.", primary: true }],
    meta: { resourceType: 'ServiceProviderConfig', location: `${scimBase}/ServiceProviderConfig` },
  };
  return { schemas, resourceTypes, serviceProviderConfig };
}
