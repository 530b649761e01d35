/**
 * `npm run demo`: Gatehouse in development mode with a ready org, the IdP simulator as its identity
 * provider, and a small app to sign in to, so SSO can be tried end to end on one machine.
 *   Gatehouse  GATEHOUSE_BASE_URL (default http://localhost:8080), data in GATEHOUSE_DATA_DIR (default ./data-demo)
 *   The app    http://127.0.0.1:8081/ (DEMO_APP_PORT): another site than localhost, as a real app would be
 * Node 24 runs this TypeScript directly. Ctrl-C stops both servers.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createApp } from '../src/app.ts';
import { ConfigError, loadConfig } from '../src/config.ts';
import { startDemoApp } from './demo-app.ts';
import { DEMO, setUpDemo } from './demo-setup.ts';

const env = { ...process.env };
env.GATEHOUSE_MODE = 'development';
env.GATEHOUSE_DATA_DIR ??= './data-demo';
// The demo's own lines are what to read; Gatehouse's request log is there with LOG_LEVEL=info.
env.LOG_LEVEL ??= 'warn';
const appPort = Number(process.env.DEMO_APP_PORT ?? 8081);

let config;
try {
  config = loadConfig(env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(`demo: configuration error: ${err.message}`);
  process.exit(78);
}

// The demo's data (master key, simulator key, client secret) never belongs in the repository.
fs.mkdirSync(config.dataDir, { recursive: true });
if (!fs.existsSync(path.join(config.dataDir, '.gitignore'))) fs.writeFileSync(path.join(config.dataDir, '.gitignore'), '*\n');
const gatehouse = createApp(config);
let app: Awaited<ReturnType<typeof startDemoApp>> | undefined;
let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the demo app and Gatehouse…`);
  await app?.close();
  await gatehouse.stop();
  console.log('Stopped.');
}
process.on('SIGINT', () => void stop('SIGINT').then(() => process.exit(0), () => process.exit(1)));
process.on('SIGTERM', () => void stop('SIGTERM').then(() => process.exit(0), () => process.exit(1)));

try {
  await gatehouse.start();
  const appUrl = `http://127.0.0.1:${appPort}`;
  const demo = await setUpDemo(gatehouse, { appUrl });
  app = await startDemoApp({ issuer: config.baseUrl, clientId: demo.client.client_id, clientSecret: demo.client.client_secret, port: appPort, name: DEMO.client });
  const base = config.baseUrl;
  console.log(
    [
      '',
      `  Gatehouse demo (development mode, data in ${path.relative(process.cwd(), config.dataDir) || '.'})`,
      demo.created.length ? `  Created: ${demo.created.join(', ')}` : '  Reusing the demo data from an earlier run.',
      '',
      `  Gatehouse        ${base}`,
      `  Organization     ${DEMO.organization} (${demo.organization.id}), domain ${DEMO.domain} verified, site "${DEMO.site}"`,
      `  IdP simulator    ${base}/sso/simulator/metadata  (connection ${demo.connection.id})`,
      `  Demo app         ${app.url}/  (client ${demo.client.client_id})`,
      '',
      `  Open ${app.url}/ and sign in as anyone@${DEMO.domain}`,
      '  (the simulator page lets you pick the name and groups; new people are created just in time).',
      '  IdP-initiated sign-in needs an https initiate_login_uri on the client: try it on an https deployment.',
      '',
      '  Ctrl-C stops both servers.',
      '',
    ].join('\n'),
  );
} catch (err) {
  console.error('demo: failed to start:', err instanceof Error ? err.message : err);
  await stop('error');
  process.exit(1);
}
