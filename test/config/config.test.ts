import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactedConfig } from '../../src/config.ts';

describe('configuration from the environment', () => {
  it('has working defaults with nothing set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      baseUrl: 'http://localhost:8080',
      dataDir: path.resolve('./data'),
      databaseUrl: `sqlite:${path.resolve('./data/gatehouse.db')}`,
      secret: undefined,
      smtpUrl: undefined,
      dnsServers: [],
      mode: 'production',
      portalLinkTtlMs: 300_000,
      samlClockSkewMs: 60_000,
      siteRoles: ['member', 'admin'],
      logLevel: 'info',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '9000', GATEHOUSE_BASE_URL: 'https://sso.example.com/', GATEHOUSE_DATA_DIR: '/var/lib/gh', DATABASE_URL: 'sqlite:/tmp/x.db',
      GATEHOUSE_SECRET: 'a'.repeat(40), SMTP_URL: 'smtp://u:p@mail.example.com:2525', MAIL_FROM: 'SSO <sso@example.com>',
      DNS_SERVERS: '127.0.0.1:5300, 1.1.1.1', GATEHOUSE_MODE: 'development', PORTAL_LINK_TTL: '10m', SAML_CLOCK_SKEW: '90s',
      SITE_ROLES: 'viewer,editor,owner', LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      port: 9000, baseUrl: 'https://sso.example.com', dataDir: '/var/lib/gh', databaseUrl: 'sqlite:/tmp/x.db', mailFrom: 'SSO <sso@example.com>',
      dnsServers: ['127.0.0.1:5300', '1.1.1.1'], mode: 'development', portalLinkTtlMs: 600_000, samlClockSkewMs: 90_000,
      siteRoles: ['viewer', 'editor', 'owner'], logLevel: 'debug',
    });
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT: expected a whole number from 1 to 65535 (got "eighty")'],
    [{ PORT: '70000' }, 'PORT: expected a whole number from 1 to 65535 (got "70000")'],
    [{ GATEHOUSE_BASE_URL: 'sso.example.com' }, 'GATEHOUSE_BASE_URL: is not a valid URL (got "sso.example.com")'],
    [{ GATEHOUSE_BASE_URL: 'ftp://sso.example.com' }, 'GATEHOUSE_BASE_URL: must start with http:// or https:// (got "ftp://")'],
    [{ GATEHOUSE_BASE_URL: 'https://sso.example.com/?x=1' }, 'GATEHOUSE_BASE_URL: must not have a query or fragment'],
    [{ DATABASE_URL: 'mysql://db' }, 'DATABASE_URL: expected sqlite:<file> (got "mysql:…")'],
    [{ DATABASE_URL: 'postgres://u:p@db/gh' }, 'DATABASE_URL: PostgreSQL is not supported by this version yet; use sqlite:<file> (the default)'],
    [{ GATEHOUSE_SECRET: 'short' }, 'GATEHOUSE_SECRET: must be at least 32 characters (e.g. `openssl rand -base64 32`)'],
    [{ SMTP_URL: 'http://mail' }, 'SMTP_URL: must start with smtp:// or smtps:// (got "http://")'],
    [{ MAIL_FROM: 'not an address' }, 'MAIL_FROM: expected an address such as "Gatehouse <sso@example.com>" (got "not an address")'],
    [{ DNS_SERVERS: 'dns.google' }, 'DNS_SERVERS: expected IP addresses such as 127.0.0.1:5300, comma-separated (got "dns.google")'],
    [{ GATEHOUSE_MODE: 'dev' }, 'GATEHOUSE_MODE: expected production or development (got "dev")'],
    [{ PORTAL_LINK_TTL: '5 minutes' }, 'PORTAL_LINK_TTL: expected a duration such as 90s, 5m or 1h (got "5 minutes")'],
    [{ SAML_CLOCK_SKEW: '0s' }, 'SAML_CLOCK_SKEW: must be longer than zero (got "0s")'],
    [{ SITE_ROLES: 'member,Admin' }, 'SITE_ROLES: each role must be lowercase letters, digits, _ or - (got "Admin")'],
    [{ SITE_ROLES: 'member,member' }, 'SITE_ROLES: lists a role twice'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent (got "loud")'],
  ])('refuses %o with one clear line naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('logs no secret', () => {
    const config = loadConfig({ GATEHOUSE_SECRET: 's'.repeat(40), SMTP_URL: 'smtp://mailer:hunter2hunter2@mail.example.com:587' });
    const logged = JSON.stringify(redactedConfig(config));
    expect(logged).not.toContain('s'.repeat(40));
    expect(logged).not.toContain('hunter2');
    expect(logged).toContain('mail.example.com');
  });
});
