import path from 'node:path';

/** Environment -> typed, frozen configuration. Each variable is documented next to its parser. */
export type Mode = 'production' | 'development';

export interface Config {
  /** PORT: listen port (default 8080). */
  readonly port: number;
  /** GATEHOUSE_BASE_URL: public URL; issuer, SP entity ids, links (default http://localhost:$PORT). */
  readonly baseUrl: string;
  /** GATEHOUSE_DATA_DIR: SQLite file and generated secret (default ./data). */
  readonly dataDir: string;
  /** DATABASE_URL: sqlite:<file> (default sqlite:$DATA_DIR/gatehouse.db). */
  readonly databaseUrl: string;
  /** GATEHOUSE_SECRET: master key for secrets at rest (default generated into $DATA_DIR/secret.key). */
  readonly secret: string | undefined;
  /** SMTP_URL: smtp(s)://user:pass@host:port; without it mail stays in the outbox table. */
  readonly smtpUrl: string | undefined;
  /** MAIL_FROM: the From address of every mail. */
  readonly mailFrom: string;
  /** DNS_SERVERS: comma-separated resolvers (host or host:port) for domain verification (default: system). */
  readonly dnsServers: readonly string[];
  /** GATEHOUSE_MODE: production | development (default production). */
  readonly mode: Mode;
  /** PORTAL_LINK_TTL: how long a portal link can be opened (default 5m). */
  readonly portalLinkTtlMs: number;
  /** SAML_CLOCK_SKEW: allowed clock skew for SAML time checks (default 60s). */
  readonly samlClockSkewMs: number;
  /** SITE_ROLES: comma-separated site roles the product uses (default member,admin). */
  readonly siteRoles: readonly string[];
  /** LOG_LEVEL: pino level (default info). */
  readonly logLevel: string;
}

export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.variable = variable;
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

export function parseDuration(name: string, value: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(value);
  if (!match) throw new ConfigError(name, `expected a duration such as 90s, 5m or 1h (got "${value}")`);
  const ms = Number(match[1]) * DURATION_UNITS[match[2]!]!;
  if (ms <= 0) throw new ConfigError(name, `must be longer than zero (got "${value}")`);
  return ms;
}

function parsePort(value: string | undefined): number {
  if (value === undefined) return 8080;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) {
    throw new ConfigError('PORT', `expected a whole number from 1 to 65535 (got "${value}")`);
  }
  return port;
}

function parseUrl(name: string, value: string, protocols: string[]): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, `is not a valid URL (got "${value}")`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(name, `must start with ${protocols.map((p) => `${p}//`).join(' or ')} (got "${url.protocol}//")`);
  }
  return url;
}

function parseBaseUrl(value: string | undefined, port: number): string {
  if (value === undefined) return `http://localhost:${port}`;
  const url = parseUrl('GATEHOUSE_BASE_URL', value, ['http:', 'https:']);
  if (url.search || url.hash) throw new ConfigError('GATEHOUSE_BASE_URL', 'must not have a query or fragment');
  // The issuer must match exactly what clients are given: keep the path, drop a trailing slash.
  return url.href.replace(/\/$/, '');
}

function parseDatabaseUrl(value: string | undefined, dataDir: string): string {
  if (value === undefined) return `sqlite:${path.join(dataDir, 'gatehouse.db')}`;
  if (value.startsWith('sqlite:')) {
    if (value.length === 'sqlite:'.length) throw new ConfigError('DATABASE_URL', 'sqlite: needs a file path, e.g. sqlite:/data/gatehouse.db');
    return value;
  }
  if (/^postgres(ql)?:\/\//.test(value)) {
    throw new ConfigError('DATABASE_URL', 'PostgreSQL is not supported by this version yet; use sqlite:<file> (the default)');
  }
  throw new ConfigError('DATABASE_URL', `expected sqlite:<file> (got "${value.split(':')[0]}:…")`);
}

function parseDnsServers(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.split(',').map((entry) => {
    const server = entry.trim();
    // host, host:port, [v6], [v6]:port — what node's Resolver#setServers accepts.
    const ok = /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\])(:\d{1,5})?$/.test(server) || /^[0-9a-fA-F:]+$/.test(server);
    if (!ok) throw new ConfigError('DNS_SERVERS', `expected IP addresses such as 127.0.0.1:5300, comma-separated (got "${server}")`);
    return server;
  });
}

function parseSiteRoles(value: string | undefined): string[] {
  if (value === undefined) return ['member', 'admin'];
  const roles = value.split(',').map((r) => r.trim());
  for (const role of roles) {
    if (!/^[a-z][a-z0-9_-]{0,31}$/.test(role)) {
      throw new ConfigError('SITE_ROLES', `each role must be lowercase letters, digits, _ or - (got "${role}")`);
    }
  }
  if (new Set(roles).size !== roles.length) throw new ConfigError('SITE_ROLES', 'lists a role twice');
  return roles;
}

function parseMailFrom(value: string | undefined, baseUrl: string): string {
  if (value === undefined) return `Gatehouse <no-reply@${new URL(baseUrl).hostname}>`;
  if (!/^[^<>@\s]+@[^<>@\s]+$|^[^<>]*<[^<>@\s]+@[^<>@\s]+>$/.test(value)) {
    throw new ConfigError('MAIL_FROM', `expected an address such as "Gatehouse <sso@example.com>" (got "${value}")`);
  }
  return value;
}

export function loadConfig(env: Env = process.env): Config {
  const port = parsePort(read(env, 'PORT'));
  const baseUrl = parseBaseUrl(read(env, 'GATEHOUSE_BASE_URL'), port);
  const dataDir = path.resolve(read(env, 'GATEHOUSE_DATA_DIR') ?? './data');
  const mode = read(env, 'GATEHOUSE_MODE') ?? 'production';
  if (mode !== 'production' && mode !== 'development') {
    throw new ConfigError('GATEHOUSE_MODE', `expected production or development (got "${mode}")`);
  }
  const secret = read(env, 'GATEHOUSE_SECRET');
  if (secret !== undefined && secret.length < 32) {
    throw new ConfigError('GATEHOUSE_SECRET', 'must be at least 32 characters (e.g. `openssl rand -base64 32`)');
  }
  const smtpUrl = read(env, 'SMTP_URL');
  if (smtpUrl !== undefined) parseUrl('SMTP_URL', smtpUrl, ['smtp:', 'smtps:']);
  const logLevel = read(env, 'LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);
  }
  const config: Config = {
    port,
    baseUrl,
    dataDir,
    databaseUrl: parseDatabaseUrl(read(env, 'DATABASE_URL'), dataDir),
    secret,
    smtpUrl,
    mailFrom: parseMailFrom(read(env, 'MAIL_FROM'), baseUrl),
    dnsServers: parseDnsServers(read(env, 'DNS_SERVERS')),
    mode,
    portalLinkTtlMs: parseDuration('PORTAL_LINK_TTL', read(env, 'PORTAL_LINK_TTL') ?? '5m'),
    samlClockSkewMs: parseDuration('SAML_CLOCK_SKEW', read(env, 'SAML_CLOCK_SKEW') ?? '60s'),
    siteRoles: parseSiteRoles(read(env, 'SITE_ROLES')),
    logLevel,
  };
  return Object.freeze(config);
}

/** The configuration as it may be logged: secrets and credentials removed. */
export function redactedConfig(config: Config): Record<string, unknown> {
  const smtp = config.smtpUrl ? new URL(config.smtpUrl) : undefined;
  if (smtp) {
    if (smtp.username) smtp.username = 'redacted';
    if (smtp.password) smtp.password = 'redacted';
  }
  return {
    ...config,
    secret: config.secret ? '(set)' : '(generated file)',
    smtpUrl: smtp?.href ?? '(none: mail stays in the outbox)',
  };
}
