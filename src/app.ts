import http from 'node:http';
import Koa from 'koa';
import { pino, type Logger } from 'pino';
import { createApiRouter } from './api/api.router.ts';
import { type Clock, systemClock } from './clock.ts';
import { type Config, redactedConfig } from './config.ts';
import type { ServiceContext } from './context.ts';
import { loadMasterKey } from './crypto/master-key.ts';
import { createSecretBox } from './crypto/secret-box.ts';
import { type Db, openDatabase } from './db/database.ts';
import { migrateToLatest } from './db/migrator.ts';
import { createUnitOfWork, type UnitOfWork } from './db/transaction.ts';
import { errorHandler } from './http/error-handler.ts';
import { requestContext } from './http/request-context.ts';
import { securityHeaders } from './http/security-headers.ts';
import { createMailSender, createTransport, type MailSender } from './mail/sender.ts';
import { createMailTemplates } from './mail/templates.ts';
import { createDnsVerifier, type DnsVerifier } from './orgs/dns-verifier.ts';
import { scheduleDomainExpiry } from './orgs/domain-expiry.schedule.ts';
import { VIEWS_DIR } from './paths.ts';

export interface AppOptions {
  clock?: Clock;
  logger?: Logger;
}

export interface Gatehouse {
  config: Config;
  koa: Koa;
  db: Db;
  /** The SQLite file behind db. */
  databaseFile: string;
  ctx: ServiceContext;
  uow: UnitOfWork;
  mail: MailSender;
  dns: DnsVerifier;
  log: Logger;
  /** Migrate, start background work, and listen when a port is given (0 = any free port). */
  start(options?: { listen?: boolean }): Promise<{ server?: http.Server; url?: string }>;
  /** SQLite's online backup of the live database into a new file. */
  backup(destination: string): Promise<void>;
  /** Stop accepting, finish in-flight requests, stop background work, close the database. */
  stop(): Promise<void>;
}

/** The one composition root: config -> database -> services -> routers. Tests use the same function. */
export function createApp(config: Config, options: AppOptions = {}): Gatehouse {
  const clock = options.clock ?? systemClock;
  const log = options.logger ?? pino({ level: config.logLevel, base: { service: 'gatehouse' } });
  const { key, source } = loadMasterKey(config);
  const box = createSecretBox(key);
  const { db, file: databaseFile, sqlite } = openDatabase(config.databaseUrl);
  const ctx: ServiceContext = { config, clock, box, templates: createMailTemplates(VIEWS_DIR) };
  const mail = createMailSender({ db, clock, box, log: log.child({ component: 'mail' }), from: config.mailFrom, transport: config.smtpUrl ? createTransport(config.smtpUrl) : undefined });
  const uow = createUnitOfWork(db, [() => mail.kick()]);
  const dns = createDnsVerifier(config.dnsServers);

  const koa = new Koa({ proxy: config.baseUrl.startsWith('https:') });
  koa.on('error', () => undefined); // errors are logged by errorHandler with their reference
  koa.use(requestContext(log));
  koa.use(securityHeaders({ https: config.baseUrl.startsWith('https:') }));
  koa.use(errorHandler());
  koa.use(async (k, next) => {
    if (k.path === '/healthz') {
      k.body = { status: 'ok' };
      return;
    }
    if (k.path === '/readyz') {
      try {
        await db.selectFrom('organizations').select('id').limit(1).execute();
        k.body = { status: 'ok', database: 'ok' };
      } catch {
        k.status = 503;
        k.body = { status: 'unavailable', database: 'unreachable' };
      }
      return;
    }
    await next();
  });
  koa.use(createApiRouter({ ctx, db, uow, dns }).middleware);

  let server: http.Server | undefined;
  let domainExpiry: { stop(): void } | undefined;

  return {
    config, koa, db, databaseFile, ctx, uow, mail, dns, log,
    async start({ listen = true } = {}) {
      const { applied } = await migrateToLatest(db);
      if (applied.length) log.info({ applied }, 'migrations applied');
      log.info({ config: redactedConfig(config), masterKey: source }, 'configuration');
      if (source === 'generated') log.warn(`generated a new master key in ${config.dataDir}/secret.key: back it up with the database, or set GATEHOUSE_SECRET`);
      if (!config.smtpUrl) log.warn('SMTP_URL is not set: mail is kept in the outbox table and not delivered');
      if (config.mode === 'development') log.warn('GATEHOUSE_MODE=development: never use this mode in production');
      mail.start();
      domainExpiry = scheduleDomainExpiry({ uow, call: { ctx, actor: { type: 'system' } }, log });
      if (!listen) return {};
      server = http.createServer(koa.callback());
      server.keepAliveTimeout = 5_000;
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(config.port, '0.0.0.0', () => resolve());
      });
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      return { server, url: `http://localhost:${port}` };
    },
    async backup(destination) {
      await sqlite.backup(destination);
    },
    async stop() {
      if (server) {
        const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
        server.closeIdleConnections();
        // In-flight requests get 10 s to finish before their sockets are cut.
        const force = setTimeout(() => server?.closeAllConnections(), 10_000);
        await closed;
        clearTimeout(force);
      }
      domainExpiry?.stop();
      await mail.stop();
      await db.destroy();
    },
  };
}
