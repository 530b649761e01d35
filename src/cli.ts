#!/usr/bin/env node
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createApiKey } from './api/api-keys.service.ts';
import { createApp, type Gatehouse } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import type { Call } from './context.ts';
import { migrateToLatest } from './db/migrator.ts';
import { AppError } from './http/errors.ts';
import { addDomain, applyDnsCheck, getDomain, toDomainView, verifyManually } from './orgs/domains.service.ts';
import { createOrganization, toOrganizationView } from './orgs/organizations.service.ts';
import { createInvitation } from './users/invitations.service.ts';
import { recordEvent } from './events/activity.ts';
import { createClient, toClientView } from './provider/clients.service.ts';
import { rotateSigningKeys } from './provider/signing-keys.ts';
import { rotateSpKeys } from './sso/saml/sp-keys.ts';
import { createPortalLink } from './portal/portal-links.service.ts';
import { formatCheckReport, undeliveredAlertMails } from './monitor/check-report.ts';
import type { PortalIntent } from './db/schema.ts';
import { assertProvider, createDirectory, rotateDirectoryToken, toDirectoryView } from './scim/directories.service.ts';

export interface CliIo {
  env: Record<string, string | undefined>;
  out(line: string): void;
  err(line: string): void;
}

const USAGE = `Usage: gatehouse <command> [options]   (add --json for machine-readable output)

  migrate                                        apply database migrations
  api-key create --name NAME                     create a management API key (printed once)
  org create --name NAME [--sso]                 create an organization (--sso: SSO is in its plan)
  domain add --org ORG_ID DOMAIN                 add a domain and print the TXT record to publish
  domain verify DOMAIN_ID [--manual]             check the TXT record now, or mark verified by hand
  invite --org ORG_ID --email EMAIL [--role admin|member]
                                                 invite someone and print the accept URL
  client create --name NAME --redirect-uri URI [--redirect-uri URI2] [--post-logout-uri URI]
                [--initiate-login-uri URI] [--allowed-origin ORIGIN] [--public]
                                                 register an application (the secret is printed once)
  directory create --org ORG_ID [--provider okta|entra|onelogin|jumpcloud|pingone|rippling|google|generic] [--name N]
                                                 create a SCIM directory; prints its base URL and token (once)
  directory rotate-token DIRECTORY_ID            issue a new SCIM token (the old one stops working)
  portal-link --org ORG_ID --intent sso|dsync|domain_verification|certificate_renewal [--return-url URL]
                                                 a setup wizard link for the customer's IT admin (opens once)
  keys rotate                                    add new token signing keys; the old ones stay published a day
  saml-keys rotate                               new SAML SP signing and encryption keys; the old ones stay in
                                                 SP metadata (and decrypt) for 30 days while IdPs re-read it
  monitor run                                    check certificate expiry now; print what was found and sent
  backup FILE                                    copy the live database to FILE (SQLite online backup)

Configuration comes from the same environment variables as the server (see README).`;

class UsageError extends Error {}

function need(value: string | undefined, what: string): string {
  if (!value) throw new UsageError(`missing ${what}`);
  return value;
}

/** Runs one CLI command; returns the process exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, name: { type: 'string' }, sso: { type: 'boolean' },
        org: { type: 'string' }, email: { type: 'string' }, role: { type: 'string' }, manual: { type: 'boolean' },
        'redirect-uri': { type: 'string', multiple: true }, 'post-logout-uri': { type: 'string', multiple: true },
        'initiate-login-uri': { type: 'string' }, provider: { type: 'string' }, intent: { type: 'string' }, 'return-url': { type: 'string' }, 'allowed-origin': { type: 'string', multiple: true }, public: { type: 'boolean' },
      },
    });
  } catch (err) {
    io.err(`gatehouse: ${(err as Error).message}\n\n${USAGE}`);
    return 64;
  }
  const { values: opts, positionals } = parsed;
  const [command, sub, ...rest] = positionals;
  if (opts.help || !command) {
    io.out(USAGE);
    return command || opts.help ? 0 : 64;
  }
  const print = (human: string, json: unknown) => io.out(opts.json ? JSON.stringify(json, null, 2) : human);

  let app: Gatehouse | undefined;
  try {
    const config = loadConfig(io.env);
    app = createApp(config, { logger: pino({ level: 'warn' }, pino.destination(2)) });
    await migrateToLatest(app.db);
    const call: Call = { ctx: app.ctx, actor: { type: 'operator' } };
    const gh = app;
    const key = `${command}${['create', 'add', 'verify', 'rotate', 'rotate-token', 'run'].includes(sub ?? '') ? ` ${sub}` : ''}`;
    switch (key) {
      case 'migrate':
        print('Database is at the latest migration.', { ok: true });
        break;
      case 'api-key create': {
        const name = need(opts.name, '--name');
        const { apiKey, key: secret } = await gh.uow((trx) => createApiKey(trx, call, name));
        print(`Created API key ${apiKey.id} (${name}). It is shown only now; store it safely:\n\n  ${secret}\n`, { id: apiKey.id, name, key: secret });
        break;
      }
      case 'org create': {
        const name = need(opts.name, '--name');
        const org = await gh.uow((trx) => createOrganization(trx, call, { name, sso_entitled: opts.sso === true }));
        print(`Created organization ${org.id} "${org.name}"${opts.sso ? ' with SSO in its plan' : ''}.`, toOrganizationView(org));
        break;
      }
      case 'domain add': {
        const orgId = need(opts.org, '--org');
        const domainName = need(rest[0], 'DOMAIN');
        const view = toDomainView(await gh.uow((trx) => addDomain(trx, call, orgId, domainName)));
        print(`Added ${view.domain} (${view.id}), pending. Publish this DNS record, then run: gatehouse domain verify ${view.id}\n\n  ${view.verification.name}  TXT  "${view.verification.value}"\n`, view);
        break;
      }
      case 'domain verify': {
        const id = need(rest[0], 'DOMAIN_ID');
        let domain;
        if (opts.manual) {
          domain = await gh.uow((trx) => verifyManually(trx, call, id));
        } else {
          const current = await getDomain(gh.db, id);
          const check = await gh.dns.check(current.domain, current.verification_value);
          domain = await gh.uow((trx) => applyDnsCheck(trx, call, id, check));
        }
        const view = toDomainView(domain);
        const human = view.state === 'verified'
          ? `${view.domain} is verified (${view.verification.method}).`
          : `${view.domain} is ${view.state}: ${view.failure_reason ?? view.verification.last_error}`;
        print(human, view);
        if (view.state !== 'verified') return 2;
        break;
      }
      case 'invite': {
        const orgId = need(opts.org, '--org');
        const email = need(opts.email, '--email');
        const role = opts.role ?? 'member';
        if (role !== 'member' && role !== 'admin') throw new UsageError('--role must be member or admin');
        const { invitation, acceptUrl } = await gh.uow((trx) => createInvitation(trx, call, orgId, { email, role }));
        await gh.mail.flush();
        print(`Invited ${invitation.email} as ${role} (${invitation.id}), valid until ${invitation.expires_at}.\nAccept URL (shown once):\n\n  ${acceptUrl}\n`, { id: invitation.id, email: invitation.email, role, accept_url: acceptUrl, expires_at: invitation.expires_at });
        break;
      }
      case 'client create': {
        const name = need(opts.name, '--name');
        const redirectUris = opts['redirect-uri'] ?? [];
        if (!redirectUris.length) throw new UsageError('missing --redirect-uri');
        const { client, secret } = await gh.uow(async (trx) => {
          const created = await createClient(trx, call, {
            name, redirect_uris: redirectUris, post_logout_redirect_uris: opts['post-logout-uri'] ?? [],
            initiate_login_uri: opts['initiate-login-uri'] ?? null, allowed_origins: opts['allowed-origin'] ?? [], public: opts.public === true,
          });
          await recordEvent(trx, gh.ctx.clock, { type: 'client.created', organizationId: null, actor: call.actor, data: { client_id: created.client.client_id, name } });
          return created;
        });
        const view = toClientView(client);
        print(
          [`Registered ${name} (${view.id}).`, '', `  issuer         ${config.baseUrl}`, `  client_id      ${view.client_id}`,
            secret ? `  client_secret  ${secret}   (shown only now; store it safely)` : '  public client: no secret; PKCE S256 is required',
            `  redirect_uris  ${view.redirect_uris.join(', ')}`, ''].join('\n'),
          { ...view, ...(secret ? { client_secret: secret } : {}), issuer: config.baseUrl },
        );
        break;
      }
      case 'directory create': {
        const orgId = need(opts.org, '--org');
        assertProvider(opts.provider);
        const { directory, token } = await gh.uow((trx) => createDirectory(trx, call, orgId, { provider: opts.provider, name: opts.name }));
        const view = toDirectoryView(directory, config.baseUrl);
        print(`Created directory ${view.id} (${view.provider}) for ${orgId}. Give your identity provider:\n\n  SCIM base URL  ${view.scim_base_url}\n  Bearer token   ${token}   (shown only now)\n`, { ...view, bearer_token: token });
        break;
      }
      case 'directory rotate-token': {
        const id = need(rest[0], 'DIRECTORY_ID');
        const { token } = await gh.uow((trx) => rotateDirectoryToken(trx, call, id));
        print(`New bearer token for ${id} (the old one no longer works; update your identity provider now):\n\n  ${token}\n`, { id, bearer_token: token });
        break;
      }
      case 'portal-link': {
        const orgId = need(opts.org, '--org');
        const intent = need(opts.intent, '--intent') as PortalIntent;
        const { row, link } = await gh.uow((trx) => createPortalLink(trx, call, { organizationId: orgId, intent, returnUrl: opts['return-url'] }));
        print(`Setup link for ${orgId} (${intent}); it opens once, until ${row.expires_at}:\n\n  ${link}\n`, { id: row.id, organization_id: orgId, intent, link, expires_at: row.expires_at });
        break;
      }
      case 'keys rotate': {
        const { added, retired } = await gh.uow((trx) => rotateSigningKeys(trx, gh.ctx.clock, gh.ctx.box));
        print(`Added signing keys ${added.join(', ')}. Retired ${retired.join(', ') || 'none'}: still published for a day so tokens they signed keep verifying. Running servers switch within a minute.`, { added, retired });
        break;
      }
      case 'saml-keys rotate': {
        const { added, retired, unpublishAfter } = await gh.uow(async (trx) => {
          const rotated = await rotateSpKeys(trx, gh.ctx.clock, gh.ctx.box);
          await recordEvent(trx, gh.ctx.clock, { type: 'saml_sp_key.rotated', organizationId: null, actor: call.actor, data: { added: rotated.added, retired: rotated.retired, unpublish_after: rotated.unpublishAfter } });
          return rotated;
        });
        print(`Added SAML SP keys ${added.join(', ')}. Retired ${retired.join(', ') || 'none'}: still in SP metadata, and still decrypting, until ${unpublishAfter}, so IdPs that re-read metadata pick up the new certificates without a failed sign-in. IdPs configured by hand need the new signing and encryption certificates from SP metadata before then. Running servers switch within a minute.`, { added, retired, unpublish_after: unpublishAfter });
        break;
      }
      case 'monitor run': {
        // The same check as the server's hourly one (same lease, same records), then its mail at once.
        const report = await gh.certificateMonitor.run({ actor: call.actor });
        const sent = await gh.mail.flush();
        const undelivered = await undeliveredAlertMails(gh.db);
        print(formatCheckReport(report, { ...sent, undelivered }), { ...report, mail: { ...sent, undelivered } });
        break;
      }
      case 'backup': {
        const file = path.resolve(need(sub, 'FILE'));
        if (fs.existsSync(file)) throw new UsageError(`${file} already exists; choose a new file name`);
        await gh.backup(file);
        print(`Backed up the database to ${file}. Keep ${config.dataDir}/secret.key (or GATEHOUSE_SECRET) with it: secrets in the backup are encrypted with it.`, { file });
        break;
      }
      default:
        throw new UsageError(`unknown command "${positionals.join(' ')}"`);
    }
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`gatehouse: ${err.message}\n\n${USAGE}`);
      return 64;
    }
    if (err instanceof ConfigError) {
      io.err(`gatehouse: configuration error: ${err.message}`);
      return 78;
    }
    if (err instanceof AppError) {
      const fields = err.errors.length > 1 ? `\n${err.errors.map((e) => `  - ${e.message}`).join('\n')}` : '';
      io.err(opts.json ? JSON.stringify({ error: err.code, message: err.message, errors: err.errors }) : `gatehouse: ${err.message}${fields}`);
      return 1;
    }
    io.err(`gatehouse: ${(err as Error).message}`);
    return 1;
  } finally {
    await app?.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === fs.realpathSync(process.argv[1])) {
  runCli(process.argv.slice(2), { env: process.env, out: (l) => console.log(l), err: (l) => console.error(l) }).then((code) => {
    process.exitCode = code;
  });
}
