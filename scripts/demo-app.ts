import { randomBytes } from 'node:crypto';
import http from 'node:http';
import * as oidc from 'openid-client';

/**
 * The demo's "application": a tiny web app on its own origin that signs people in through Gatehouse as any
 * product would, with openid-client (authorization code flow, PKCE S256, state and nonce, client_secret_basic),
 * and shows the ID token's claims.
 *
 *   GET /          a page with a Sign in button
 *   GET /login     starts the authorization request (prompt=login: every sign-in asks who you are)
 *   GET /callback  exchanges the code and shows the claims (org_id, org_role, sites …)
 */
export interface DemoApp {
  url: string;
  close(): Promise<void>;
}

const SCOPE = 'openid email profile organization';
const FLOW_COOKIE = 'demo_flow';
const FLOW_TTL_MS = 10 * 60_000;

interface Flow {
  state: string;
  nonce: string;
  verifier: string;
  startedAt: number;
}

export async function startDemoApp(options: { issuer: string; clientId: string; clientSecret: string; port: number; host?: string; name?: string }): Promise<DemoApp> {
  const host = options.host ?? '127.0.0.1';
  const name = options.name ?? 'Demo app';
  // Plain http only because the issuer is this machine (development); a real app talks to an https issuer.
  const insecure = new URL(options.issuer).protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : undefined;
  const config = await oidc.discovery(new URL(options.issuer), options.clientId, options.clientSecret, oidc.ClientSecretBasic(options.clientSecret), insecure);
  // In memory: sign-ins in progress, by a random id in an HttpOnly cookie (state and PKCE stay server side).
  const flows = new Map<string, Flow>();
  let url = '';

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const current = new URL(req.url ?? '/', url);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, page(name, '<h1>Method not allowed</h1>'));
    switch (current.pathname) {
      case '/':
        return send(res, 200, page(name, `
          <h1>${escape(name)}</h1>
          <p>This is the application. It signs people in through Gatehouse with OpenID Connect.</p>
          <form method="get" action="/login"><button type="submit">Sign in</button></form>
          <p class="muted">Use any address at demo.test: Gatehouse sends you to the IdP simulator, which signs in whoever you type.</p>`));
      case '/login': {
        const now = Date.now();
        for (const [id, flow] of flows) if (now - flow.startedAt > FLOW_TTL_MS) flows.delete(id);
        const flow: Flow = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier(), startedAt: now };
        const id = randomBytes(18).toString('base64url');
        flows.set(id, flow);
        const target = oidc.buildAuthorizationUrl(config, {
          redirect_uri: `${url}/callback`, scope: SCOPE, state: flow.state, nonce: flow.nonce, prompt: 'login',
          code_challenge: await oidc.calculatePKCECodeChallenge(flow.verifier), code_challenge_method: 'S256',
        });
        res.setHeader('Set-Cookie', `${FLOW_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${FLOW_TTL_MS / 1000}`);
        res.writeHead(302, { Location: target.href }).end();
        return;
      }
      case '/callback': {
        const id = /(?:^|;\s*)demo_flow=([A-Za-z0-9_-]+)/.exec(req.headers.cookie ?? '')?.[1];
        const flow = id ? flows.get(id) : undefined;
        if (id) flows.delete(id);
        res.setHeader('Set-Cookie', `${FLOW_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`);
        if (!flow) return send(res, 400, page(name, '<h1>This sign-in was not started here</h1><p>It expired, or was already used.</p><p><a href="/">Sign in again</a></p>'));
        try {
          const tokens = await oidc.authorizationCodeGrant(config, current, { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce });
          return send(res, 200, claimsPage(name, tokens.claims() ?? {}));
        } catch (err) {
          const e = err as Error & { error?: string; error_description?: string };
          const what = e.error ? `${e.error}${e.error_description ? `: ${e.error_description}` : ''}` : e.message;
          return send(res, 400, page(name, `<h1>Sign-in did not complete</h1><p>${escape(what)}</p><p><a href="/">Try again</a></p>`));
        }
      }
      case '/favicon.ico':
        res.writeHead(204).end();
        return;
      default:
        return send(res, 404, page(name, '<h1>Not found</h1><p><a href="/">Home</a></p>'));
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, page(name, `<h1>Something went wrong</h1><p>${escape(err instanceof Error ? err.message : String(err))}</p>`));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const address = server.address() as { port: number };
  url = `http://${host}:${address.port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function claimsPage(name: string, claims: Record<string, unknown>): string {
  const sites = Array.isArray(claims.sites) ? (claims.sites as Array<{ name?: string; role?: string }>) : [];
  const row = (label: string, value: unknown) => `<tr><th scope="row">${label}</th><td>${value === undefined ? '<span class="muted">—</span>' : escape(String(value))}</td></tr>`;
  return page(name, `
    <h1>Signed in</h1>
    <p>Gatehouse sent the app these claims in the ID token.</p>
    <table>
      ${row('email', claims.email)}
      ${row('name', claims.name)}
      ${row('given_name', claims.given_name)}
      ${row('family_name', claims.family_name)}
      ${row('org_id', claims.org_id)}
      ${row('org_role', claims.org_role)}
      <tr><th scope="row">sites</th><td>${sites.length === 0 ? '<span class="muted">none ([])</span>' : sites.map((s) => `${escape(String(s.name))} (${escape(String(s.role))})`).join(', ')}</td></tr>
    </table>
    <details><summary>All claims</summary><pre>${escape(JSON.stringify(claims, null, 2))}</pre></details>
    <form method="get" action="/login"><button type="submit">Sign in as someone else</button></form>`);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)}</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; color: #1f2937; }
  button { font: inherit; padding: .5rem 1.25rem; border: 0; border-radius: .375rem; background: #4f46e5; color: #fff; cursor: pointer; }
  table { border-collapse: collapse; margin: 1rem 0; } th, td { text-align: left; padding: .25rem 1rem .25rem 0; vertical-align: top; }
  th { font-weight: 500; color: #6b7280; font-family: ui-monospace, monospace; } pre { background: #f3f4f6; padding: 1rem; overflow: auto; }
  .muted { color: #6b7280; } details { margin-bottom: 1.25rem; }
</style></head>
<body><main>${body}</main></body></html>`;
}

function send(res: http.ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(html);
}

function escape(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
