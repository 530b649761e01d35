import type { DIRECTORY_PROVIDERS } from '../../scim/directories.service.ts';

export type DirectoryProvider = (typeof DIRECTORY_PROVIDERS)[number];

/**
 * Where each IdP takes the SCIM base URL and the bearer token, in the IdP's own words: a few lines per
 * provider, written from the SCIM sections of IDP-GUIDES.md. Menu paths use " › " between items.
 */
export interface ScimGuide {
  name: string;
  /** The IdP's labels for the two values Gatehouse gives. */
  urlLabel: string;
  tokenLabel: string;
  steps: string[];
  /** Something that surprises admins of this IdP. */
  note?: string;
}

export const SCIM_GUIDES: Record<DirectoryProvider, ScimGuide> = {
  okta: {
    name: 'Okta',
    urlLabel: 'SCIM connector base URL',
    tokenLabel: 'Authorization (HTTP Header, Bearer)',
    steps: [
      'Open the app integration you use for single sign-on (made with the App Integration Wizard; OIDC apps cannot provision). On General › App Settings › Edit, set Provisioning to SCIM and save.',
      'Provisioning › Settings › Integration › Edit: paste the base URL into SCIM connector base URL, enter userName as the unique identifier field, tick Push New Users, Push Profile Updates and Push Groups, choose HTTP Header as the authentication mode and paste the token as the Bearer value. Test Connector Configuration, then save.',
      'Provisioning › To App › Edit: enable Create Users, Update User Attributes and Deactivate Users.',
      'Assign the people or groups to the app, and push the groups you want to map on the Push Groups tab.',
    ],
    note: 'Okta never deletes people over SCIM: removing someone from the app deactivates them in Gatehouse.',
  },
  entra: {
    name: 'Microsoft Entra ID',
    urlLabel: 'Tenant URL',
    tokenLabel: 'Secret Token',
    steps: [
      'In the enterprise application you use for single sign-on, open Manage › Provisioning › New configuration (older portal: Get started, Provisioning Mode Automatic).',
      'Paste the base URL followed by ?aadOptscim062020 into Tenant URL, and the token into Secret Token. Test Connection, then create the configuration.',
      'Under Users and groups, assign who should be provisioned; then Start provisioning.',
    ],
    note: 'Entra syncs about every 40 minutes after a slow first cycle. Never leave Secret Token empty: Gatehouse refuses the token Entra would send instead.',
  },
  onelogin: {
    name: 'OneLogin',
    urlLabel: 'SCIM Base URL',
    tokenLabel: 'SCIM Bearer Token',
    steps: [
      'Add the app "SCIM Provisioner with SAML (SCIM v2 Enterprise)", or open the one you already use for single sign-on.',
      'Configuration › API Connection: paste the base URL into SCIM Base URL and the token into SCIM Bearer Token, press Enable, then save.',
      'Provisioning: tick Enable provisioning, and untick "Require admin approval" for the actions that should run on their own.',
      'Parameters: set scimusername to Email and tick Include in User Provisioning for Groups; map roles to groups on the Rules tab.',
    ],
  },
  jumpcloud: {
    name: 'JumpCloud',
    urlLabel: 'Base URL',
    tokenLabel: 'Token Key',
    steps: [
      'Open the SSO application you set up for single sign-on and go to its Identity Management tab.',
      'Choose SCIM 2.0, paste the base URL into Base URL and the token into Token Key, enter an address on your domain as Test User Email, then Test Connection, Activate and save.',
      'Bind the user groups whose members should be provisioned to the application; those groups are pushed too.',
    ],
    note: 'Test Connection creates a test user and a test group in Gatehouse and deletes them again: both appear in the activity below.',
  },
  pingone: {
    name: 'PingOne',
    urlLabel: 'SCIM base URL',
    tokenLabel: 'OAuth Access Token',
    steps: [
      'Integrations › Provisioning › + › New connection › Identity Store › SCIM Outbound.',
      'Paste the base URL into SCIM base URL (Users resource /Users, Groups resource /Groups, SCIM version 2.0), choose OAuth 2 Bearer Token and paste the token into OAuth Access Token. Test Connection, save and enable the connection.',
      'Add a provisioning rule (Integrations › Provisioning › Rules) that selects the people to provision and this connection, with group provisioning on.',
    ],
  },
  rippling: {
    name: 'Rippling',
    urlLabel: 'SCIM Base URL',
    tokenLabel: 'Bearer Token',
    steps: [
      'Create the custom app with User Management via SCIM ticked, SCIM version 2.0 and Bearer Token as the authorization method; paste the base URL into SCIM Base URL.',
      'Tick Supports Groups, Supports Pagination, Create & Delete Groups and Use PATCH to edit Groups.',
      'Paste the token when Rippling asks for the Bearer Token, then set the access rules that decide who is provisioned.',
    ],
    note: 'Rippling provisions by access rules, not by assignment: a rule that matches nobody yet provisions nobody.',
  },
  google: {
    name: 'Google Workspace',
    urlLabel: '(none)',
    tokenLabel: '(none)',
    steps: [
      'Google Workspace has no SCIM client for custom apps, so it cannot push people to Gatehouse.',
      'Use single sign-on alone: people get an account the first time they sign in, and the groups attribute of the SAML app can set their role at each sign-in.',
    ],
    note: 'If your organization also uses another identity provider that speaks SCIM (Okta, Entra ID, OneLogin…), choose that one instead.',
  },
  generic: {
    name: 'Another SCIM 2.0 client',
    urlLabel: 'SCIM base URL (endpoint, tenant URL)',
    tokenLabel: 'Bearer token (secret token, API token)',
    steps: [
      'In your identity provider\'s provisioning settings for this application, choose SCIM 2.0 with bearer-token authentication.',
      'Paste the base URL as the SCIM endpoint and the token as the bearer token; keep the users and groups resources at /Users and /Groups.',
      'Map userName to the work email, and turn on create, update and deactivate for users and push for groups.',
    ],
  },
};
