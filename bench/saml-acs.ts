/**
 * bench/saml-acs: validated SAML sign-ins per second through the real ACS on the embedded database,
 * beside node-saml's own validation rate on the same responses, in one run (DESIGN.md Performance).
 *   ACS: C concurrent clients POST N distinct signed IdP-initiated responses; each 303 is one sign-in
 *     validated in the worker pool, checked, recorded in the replay store and turned into a login ticket
 *   node-saml alone: validatePostResponseAsync on the same responses, one after another on the main
 *     thread, with the options the validator worker uses (what an SP without a pool does)
 *   GET /healthz latency, idle and while the ACS load runs again: other requests must not wait behind sign-ins
 * The responses are signed before any timing: signing is the IdP's cost, not ours.
 * Run: npm run bench:saml   (env BENCH_RESPONSES, default 2,000; BENCH_CLIENTS, default 16). Listens on 127.0.0.1 only.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { pino } from 'pino';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import type { Call } from '../src/context.ts';
import { addDomain, verifyManually } from '../src/orgs/domains.service.ts';
import { createOrganization } from '../src/orgs/organizations.service.ts';
import { createClient } from '../src/provider/clients.service.ts';
import { activateConnection, createConnection } from '../src/sso/connections.service.ts';
import { settingsFromManualInput } from '../src/sso/saml/idp-settings.ts';
import { samlEndpoints } from '../src/sso/saml/sp-endpoints.ts';
import { loadSpKeys } from '../src/sso/saml/sp-keys.ts';
import { buildSamlResponse, encodeSamlResponse } from '../src/sso/simulator/saml-response.ts';

const RESPONSES = Number(process.env.BENCH_RESPONSES ?? 2_000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
// Workers start on first use and their JIT needs a few hundred validations each to settle (the first
// 200 run at a third of the steady rate): measure the steady state, as a long-running server sees it.
const WARM_UP = Math.min(1_000, RESPONSES);
const IDLE_PROBES = 1_000;
const DOMAIN = 'bench.test';
const INITIATE = 'https://app.bench.test/start-login';
const IDP = {
  entityId: 'https://idp.bench.test/saml/metadata',
  ssoUrl: 'https://idp.bench.test/saml/sso',
  key: fs.readFileSync(new URL('../fixtures/saml/idp-signing.key', import.meta.url), 'utf8'),
  certificate: fs.readFileSync(new URL('../fixtures/saml/idp-signing.crt', import.meta.url), 'utf8'),
};

const port = await new Promise<number>((resolve, reject) => {
  const probe = net.createServer().once('error', reject);
  probe.listen(0, '127.0.0.1', () => {
    const { port } = probe.address() as net.AddressInfo;
    probe.close(() => resolve(port));
  });
});
const url = `http://127.0.0.1:${port}`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-'));
// Also when a phase throws: the process exits and takes the pool's workers with it.
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
const config = loadConfig({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_SECRET: 'bench-secret-bench-secret-bench-secret-0', PORT: String(port), GATEHOUSE_BASE_URL: url, LOG_LEVEL: 'silent' });
const app = createApp(config, { logger: pino({ level: 'silent' }) });
await app.start({ listen: true, host: '127.0.0.1' });
const call: Call = { ctx: app.ctx, actor: { type: 'operator' } };

// Set up through the services, as the API does: org, verified domain, an active SAML connection that
// accepts IdP-initiated sign-in, and the one client such sign-ins land in. No HTTP yet: a keep-alive
// socket left idle while the event loop is busy signing responses would be reset under the first POST.
const org = await app.uow((trx) => createOrganization(trx, call, { name: 'Bench', sso_entitled: true }));
const domain = await app.uow((trx) => addDomain(trx, call, org.id, DOMAIN));
await app.uow((trx) => verifyManually(trx, call, domain.id));
const saml = settingsFromManualInput({ idp_entity_id: IDP.entityId, sso_url: IDP.ssoUrl, certificates: [IDP.certificate] }, { now: new Date(), mode: config.mode });
const connection = await app.uow((trx) => createConnection(trx, call, org.id, { type: 'saml', provider: 'okta', idp_initiated: true, saml }));
await app.uow((trx) => activateConnection(trx, call, connection.id, ['saml']));
await app.uow((trx) => createClient(trx, call, { name: 'Bench app', redirect_uris: ['https://app.bench.test/callback'], initiate_login_uri: INITIATE }));
const sp = samlEndpoints(config.baseUrl, connection.id);

/**
 * The typical IdP shape: assertion signed, RSA-SHA256, email, names and three groups; IdP-initiated (no
 * InResponseTo), a fresh assertion id each. Valid for an hour rather than 5 minutes so that a large
 * BENCH_RESPONSES does not outlive its responses (the window costs nothing to check).
 */
async function signedResponses(count: number): Promise<string[]> {
  const now = new Date();
  const until = new Date(now.getTime() + 60 * 60_000);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const email = `person${i}@${DOMAIN}`;
    const xml = await buildSamlResponse({
      issuer: IDP.entityId, destination: sp.acsUrl, audience: sp.entityId, recipient: sp.acsUrl, nameId: email,
      attributes: { email, firstName: `Given${i}`, lastName: `Family${i}`, groups: ['Everyone', 'Engineering', `Team ${i % 20}`] },
      now, notOnOrAfter: until, subjectConfirmationNotOnOrAfter: until,
      signing: { privateKeyPem: IDP.key, certificatePem: IDP.certificate, sign: 'assertion', signatureAlgorithm: 'sha256', digestAlgorithm: 'sha256' },
    });
    out.push(encodeSamlResponse(xml));
  }
  return out;
}

// Fresh assertion ids for every POST (the replay store accepts one once): a warm-up set, then one set
// per ACS load. node-saml has no replay store, so it validates the first set again.
const building = performance.now();
const warmUpSet = await signedResponses(WARM_UP);
const firstSet = await signedResponses(RESPONSES);
const secondSet = await signedResponses(RESPONSES);
const buildSeconds = (performance.now() - building) / 1000;

interface Load {
  seconds: number;
  latencies: number[];
  accepted: number;
  errors: number;
  firstError?: string;
  /** CPU ms per response: this thread (HTTP, SQLite, the stores, and this bench's own fetch client), and all threads. */
  mainCpuMs: number;
  processCpuMs: number;
}

const cpuMs = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;

/** CLIENTS concurrent browsers, each posting its next response to the ACS as soon as the last one is answered. */
async function postToAcs(responses: string[]): Promise<Load> {
  const forms = responses.map((r) => new URLSearchParams({ SAMLResponse: r }).toString());
  const load: Load = { seconds: 0, latencies: [], accepted: 0, errors: 0, mainCpuMs: 0, processCpuMs: 0 };
  let next = 0;
  const [mainCpu, processCpu] = [process.threadCpuUsage(), process.cpuUsage()];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let i = next++; i < forms.length; i = next++) {
        const sent = performance.now();
        const res = await fetch(sp.acsUrl, { method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: forms[i] });
        const body = await res.text();
        load.latencies.push(performance.now() - sent);
        if (res.status === 303 && res.headers.get('location')?.startsWith(INITIATE)) load.accepted++;
        else {
          load.errors++;
          load.firstError ??= `response ${i} answered ${res.status}${res.headers.get('location') ? ` (Location ${res.headers.get('location')})` : ''}: ${visibleText(body)}`;
        }
      }
    }),
  );
  load.seconds = (performance.now() - started) / 1000;
  load.mainCpuMs = cpuMs(process.threadCpuUsage(mainCpu)) / forms.length;
  load.processCpuMs = cpuMs(process.cpuUsage(processCpu)) / forms.length;
  return load;
}

/** The words of an error page (or a JSON body), without its head and markup. */
function visibleText(body: string): string {
  return body.replace(/<head[\s\S]*?<\/head>/i, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 300);
}

/** GET /healthz one after another until `done` says so: a cheap request, timed as a browser waits for it. */
async function probeHealth(done: (count: number) => boolean): Promise<number[]> {
  const latencies: number[] = [];
  while (!done(latencies.length)) {
    const sent = performance.now();
    const res = await fetch(`${url}/healthz`);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`GET /healthz answered ${res.status}`);
    latencies.push(performance.now() - sent);
  }
  return latencies;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

const loadAverage = os.loadavg()[0]!;
// The HTTP phases run back to back so that no keep-alive socket idles out between them (see bench/scim).
const warmUp = await postToAcs(warmUpSet);
const signIns = await postToAcs(firstSet);
const idle = await probeHealth((count) => count >= IDLE_PROBES);
let loadDone = false;
const [underLoad, loaded] = await Promise.all([probeHealth(() => loadDone), postToAcs(secondSet).finally(() => (loadDone = true))]);

// A refusal page names only a reference; its reason and detail are in the activity log.
const failed = ([['warm-up', warmUp], ['timed run', signIns], ['run beside /healthz', loaded]] as const).filter(([, load]) => load.errors > 0);
const firstRefusal = failed.length === 0 ? undefined : await app.db.selectFrom('events').select('data').where('type', '=', 'sso.signin_failed').orderBy('created_at').limit(1).executeTakeFirst();

// node-saml alone, with the options the validator worker passes (src/sso/saml/response-validator.ts),
// one response after another on this thread, after the same warm-up (on the warm-up responses again).
const keys = await loadSpKeys(app.db, app.ctx.clock, app.ctx.box);
const samlOptions = {
  idpCert: [IDP.certificate],
  issuer: sp.entityId,
  callbackUrl: sp.acsUrl,
  audience: sp.entityId,
  wantAssertionsSigned: false,
  wantAuthnResponseSigned: false,
  acceptedClockSkewMs: -1,
  validateInResponseTo: ValidateInResponseTo.never,
  decryptionPvk: keys.encryption[0]!.privateKeyPem,
};
async function validateAlone(responses: string[]): Promise<void> {
  for (const samlResponse of responses) {
    const { profile } = await new SAML(samlOptions).validatePostResponseAsync({ SAMLResponse: samlResponse });
    if (!profile?.nameID) throw new Error('node-saml returned no profile');
  }
}
await validateAlone(warmUpSet);
const validatingCpu = process.threadCpuUsage();
const validating = performance.now();
await validateAlone(firstSet);
const nodeSamlSeconds = (performance.now() - validating) / 1000;
const nodeSamlCpuMs = cpuMs(process.threadCpuUsage(validatingCpu)) / firstSet.length;

await app.stop();
fs.rmSync(dir, { recursive: true, force: true });

const acsRate = signIns.accepted / signIns.seconds;
const nodeSamlRate = firstSet.length / nodeSamlSeconds;
const ms = (value: number) => `${value.toFixed(1)} ms`.padStart(9);
const p = (values: number[], q: number) => ms(percentile(values, q));
const row = (label: string, rate: string, p50: string, p95: string, note: string) => console.log(`  ${label.padEnd(34)}${rate.padStart(11)}${p50.padStart(10)}${p95.padStart(10)}   ${note}`.trimEnd());
console.log(`SAML ACS bench on the embedded database: ${os.availableParallelism()} cores (1-min load average ${loadAverage.toFixed(1)} before timing), ${CLIENTS} concurrent clients,`);
console.log(`${RESPONSES} responses (assertion signed, RSA-SHA256, email, names and 3 groups; signed in ${buildSeconds.toFixed(1)} s before timing), after a warm-up of ${WARM_UP} through each`);
row('', 'per second', 'p50', 'p95', 'CPU per response');
row(`ACS sign-ins (pool of ${os.availableParallelism()} workers)`, acsRate.toFixed(0), p(signIns.latencies, 50), p(signIns.latencies, 95),
  `${signIns.processCpuMs.toFixed(1)} ms: main thread ${signIns.mainCpuMs.toFixed(1)} ms (incl. this bench's fetch), other threads ${(signIns.processCpuMs - signIns.mainCpuMs).toFixed(1)} ms`);
row('node-saml alone (main thread)', nodeSamlRate.toFixed(0), '', '', `${nodeSamlCpuMs.toFixed(1)} ms`);
row('ratio ACS / node-saml alone', `×${(acsRate / nodeSamlRate).toFixed(2)}`, '', '', '');
row('GET /healthz idle', '', p(idle, 50), p(idle, 95), `${idle.length} requests`);
row('GET /healthz under sign-in load', '', p(underLoad, 50), p(underLoad, 95), `${underLoad.length} requests; the load ran at ${(loaded.accepted / loaded.seconds).toFixed(0)} sign-ins/s`);
for (const [run, load] of failed) console.log(`  ERROR (${run}): ${load.errors} of ${load.latencies.length} responses not accepted; the first: ${load.firstError}`);
if (firstRefusal) console.log(`  the first refusal in the activity log: ${firstRefusal.data}`);
if (failed.length > 0) process.exitCode = 1;
