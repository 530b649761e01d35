import http from 'node:http';
import path from 'node:path';
import Koa from 'koa';
import { pino, type Logger } from 'pino';
import { createApiRouter } from './api/api.router.ts';
import { type Clock, systemClock } from './clock.ts';
import { type Config, redactedConfig } from './config.ts';
import type { ServiceContext } from './context.ts';
import { deriveKey, loadMasterKey } from './crypto/master-key.ts';
import { createSecretBox } from './crypto/secret-box.ts';
import { type Db, openDatabase } from './db/database.ts';
import { migrateToLatest } from './db/migrator.ts';
import { createUnitOfWork, type UnitOfWork } from './db/transaction.ts';
import { errorHandler } from './http/error-handler.ts';
import { requestContext } from './http/request-context.ts';
import { securityHeaders } from './http/security-headers.ts';
import { createMailSender, createTransport, type MailSender } from './mail/sender.ts';
import { createWebhookDispatcher, type WebhookDispatcher } from './events/webhook-dispatcher.ts';
import { createMailTemplates } from './mail/templates.ts';
import { createDnsVerifier, type DnsVerifier } from './orgs/dns-verifier.ts';
import { scheduleDomainExpiry } from './orgs/domain-expiry.schedule.ts';
import { ROOT_DIR, VIEWS_DIR } from './paths.ts';
import { createPages, type Pages } from './http/pages.ts';
import { consoleClientSecret, ensureConsoleClient } from './provider/clients.service.ts';
import { every, type Schedule } from './schedule.ts';
import { createConsoleRouter } from './console/console.router.ts';
import { registerSignInPages } from './console/sign-in.routes.ts';
import { registerAuthenticationPage } from './console/authentication/authentication.page.ts';
import { registerSitesPages } from './console/sites/sites.page.ts';
import { registerActivityPages } from './console/activity/activity.page.ts';
import { registerUsersPages } from './console/users/users.routes.ts';
import { createScimMiddleware } from './scim/scim.router.ts';
import { createInvitationRouter } from './provider/invitation.routes.ts';
import { createLoginRouter } from './provider/login.routes.ts';
import { schedulePayloadPurge } from './provider/payload-purge.ts';
import { createOidcProvider, isProviderPath } from './provider/provider.ts';
import { providerPages, REQUEST_ID } from './provider/provider-pages.ts';
import { healthChecks } from './http/health.ts';
import { ensureSigningKeys, loadSigningJwks } from './provider/signing-keys.ts';
import type { SsoConnectionType } from './sso/home-realm.ts';
import { createSamlSso, type SamlSso } from './sso/saml/saml-sso.ts';
import { createOidcSso } from './sso/oidc/oidc-sso.ts';
import { scheduleMetadataRefresh } from './sso/saml/metadata-refresh.ts';
import { scheduleSsoPurge } from './sso/sso-purge.ts';
import { createSimulatorRouter } from './sso/simulator/simulator.routes.ts';
import { createPortalRouter } from './portal/portal.router.ts';
import { registerDomainPages } from './portal/domains/domains.routes.ts';
import { registerDsyncPages } from './portal/dsync/dsync.routes.ts';
import { registerCertificatePages } from './portal/certificates/certificates.routes.ts';
import { registerHandoverPages } from './portal/handover/handover.routes.ts';
import { registerSsoPages } from './portal/sso/sso-wizard.routes.ts';
import { createPortalLink } from './portal/portal-links.service.ts';
import { type CertificateMonitor, createCertificateMonitor } from './monitor/certificate-monitor.ts';
import type Provider from 'oidc-provider';

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
  webhooks: WebhookDispatcher;
  dns: DnsVerifier;
  log: Logger;
  pages: Pages;
  saml: SamlSso;
  /** Checks IdP and SP certificate expiry at start and hourly; `run()` checks now (the CLI, tests). */
  certificateMonitor: CertificateMonitor;
  /** Gatehouse's own OIDC provider; exists once start() has run. */
  provider(): Provider;
  /** The console's client secret (derived from the master key). */
  consoleClientSecret: string;
  /** Migrate, start background work, and listen when a port is given (0 = any free port). */
  start(options?: { listen?: boolean; host?: string }): Promise<{ server?: http.Server; url?: string }>;
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
  const webhooks = createWebhookDispatcher({ db, clock, box, log: log.child({ component: 'webhooks' }) });
  const uow = createUnitOfWork(db, [() => mail.kick(), () => webhooks.kick()]);
  const dns = createDnsVerifier(config.dnsServers);
  const pages = createPages({ viewsDir: VIEWS_DIR, assetsDir: path.join(ROOT_DIR, 'assets'), mode: config.mode, csrfKey: deriveKey(key, 'csrf') });
  const consoleSecret = consoleClientSecret(key);
  const saml = createSamlSso({ db, uow, ctx, pages });
  /** SSO connection types register here as they land (SAML, OIDC). */
  const oidcRp = createOidcSso({ db, uow, ctx, pages });
  // The monitor (layer 6) mails renewal links made by the portal (layer 7): handed down from here.
  const certificateMonitor = createCertificateMonitor({ db, uow, ctx, log: log.child({ component: 'certificate-monitor' }), createPortalLink });
  const ssoTypes: SsoConnectionType[] = [saml.type, oidcRp.type];

  // The provider is built at start (its signing keys live in the database) and rebuilt when they rotate.
  let oidc: { provider: Provider; callback: ReturnType<Provider['callback']>; login: Koa.Middleware; version: string } | undefined;
  async function buildProvider(): Promise<void> {
    const jwks = await loadSigningJwks(db, clock, box);
    if (oidc?.version === jwks.version) return;
    const provider = createOidcProvider({ ctx, db, log: log.child({ component: 'oidc' }), masterKey: key, jwks, ...providerPages(pages, log) });
    const login = createLoginRouter({ provider, pages, db, uow, ctx, ssoTypes });
    oidc = { provider, callback: provider.callback(), login: login.routes() as unknown as Koa.Middleware, version: jwks.version };
  }
  const invitations = createInvitationRouter({ pages, db, uow, ctx });

  const koa = new Koa({ proxy: config.baseUrl.startsWith('https:') });
  koa.on('error', () => undefined); // errors are logged by errorHandler with their reference
  koa.use(requestContext(log));
  koa.use(securityHeaders({ https: config.baseUrl.startsWith('https:') }));
  koa.use(errorHandler(pages.errorPage));
  koa.use(pages.assets);
  koa.use(healthChecks(db));
  koa.use(createApiRouter({ ctx, db, uow, dns }).middleware);
  koa.use(createScimMiddleware({ db, uow, ctx }));
  koa.use(async (k, next) => {
    if (!oidc) return next();
    if (isProviderPath(k.path)) {
      // node-oidc-provider is a Koa app of its own: hand it the raw request and response.
      k.respond = false;
      // The provider runs in its own Koa context: carry the request id over for its error pages.
      (k.req as unknown as Record<symbol, string>)[REQUEST_ID] = k.state.requestId;
      await oidc.callback(k.req, k.res);
      return;
    }
    return oidc.login(k, next);
  });
  koa.use(invitations.routes() as unknown as Koa.Middleware);
  koa.use(saml.router.routes() as unknown as Koa.Middleware);
  koa.use(oidcRp.router.routes() as unknown as Koa.Middleware);
  // The IdP simulator signs in anyone typed into a form: its routes exist only in development mode.
  if (config.mode === 'development') koa.use(createSimulatorRouter({ db, ctx, pages }).routes() as unknown as Koa.Middleware);
  const portal = createPortalRouter({ db, uow, ctx, pages, saml, dns });
  // The setup wizard's intents register their pages here.
  registerSsoPages(portal, oidcRp);
  registerDomainPages(portal);
  registerDsyncPages(portal);
  registerCertificatePages(portal);
  registerHandoverPages(portal);
  koa.use(portal.router.routes() as unknown as Koa.Middleware);
  let internalUrl: string | undefined;
  const consoleRouter = createConsoleRouter({ pages, db, uow, ctx, dns, clientSecret: consoleSecret, internalUrl: () => internalUrl });
  // The console's sections register their pages here.
  registerSignInPages(consoleRouter);
  registerAuthenticationPage(consoleRouter);
  registerSitesPages(consoleRouter);
  registerActivityPages(consoleRouter);
  registerUsersPages(consoleRouter);
  koa.use(consoleRouter.router.routes() as unknown as Koa.Middleware);

  let server: http.Server | undefined;
  let domainExpiry: { stop(): void } | undefined;
  let metadataRefresh: { stop(): void } | undefined;
  let payloadPurge: { stop(): void } | undefined;
  let ssoPurge: { stop(): void } | undefined;
  let keyWatch: Schedule | undefined;

  return {
    config, koa, db, databaseFile, ctx, uow, mail, webhooks, dns, log, pages, saml, certificateMonitor,
    consoleClientSecret: consoleSecret,
    provider() {
      if (!oidc) throw new Error('the OIDC provider exists once start() has run');
      return oidc.provider;
    },
    async start({ listen = true, host = '0.0.0.0' } = {}) {
      const { applied } = await migrateToLatest(db);
      if (applied.length) log.info({ applied }, 'migrations applied');
      log.info({ config: redactedConfig(config), masterKey: source }, 'configuration');
      if (source === 'generated') log.warn(`generated a new master key in ${config.dataDir}/secret.key: back it up with the database, or set GATEHOUSE_SECRET`);
      if (!config.smtpUrl) log.warn('SMTP_URL is not set: mail is kept in the outbox table and not delivered');
      if (config.mode === 'development') log.warn('GATEHOUSE_MODE=development: never use this mode in production');
      const createdKeys = await db.transaction().execute((trx) => ensureSigningKeys(trx, clock, box));
      if (createdKeys.length) log.info({ kids: createdKeys }, 'generated token signing keys');
      await ensureConsoleClient(db, config.baseUrl, consoleSecret, clock.now().toISOString());
      await buildProvider();
      // Pick up `gatehouse keys rotate` (run by the CLI, possibly on another replica) within a minute.
      keyWatch = every({ name: 'reloading signing keys', intervalMs: 60_000, log, run: buildProvider });
      payloadPurge = schedulePayloadPurge({ db, clock, log });
      ssoPurge = scheduleSsoPurge({ db, clock, log });
      mail.start();
      certificateMonitor.start();
      webhooks.start();
      domainExpiry = scheduleDomainExpiry({ uow, call: { ctx, actor: { type: 'system' } }, log });
      metadataRefresh = scheduleMetadataRefresh({ db, uow, call: { ctx, actor: { type: 'system' } }, log: log.child({ component: 'metadata-refresh' }) });
      if (!listen) return {};
      server = http.createServer(koa.callback());
      server.keepAliveTimeout = 5_000;
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(config.port, host, () => resolve());
      });
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      internalUrl = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
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
      metadataRefresh?.stop();
      payloadPurge?.stop();
      ssoPurge?.stop();
      await saml.stop();
      keyWatch?.stop();
      await certificateMonitor.stop();
      await mail.stop();
      await webhooks.stop();
      await db.destroy();
    },
  };
}
