import { ConfigError, loadConfig } from './config.ts';

/** Process entry: config, database, migrations, listen, graceful shutdown. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`gatehouse: configuration error: ${err.message}`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  // Loaded after the configuration is known good: a bad variable is reported at once, not after every module loads.
  const { createApp } = await import('./app.ts');
  const app = createApp(config);
  await app.start();
  app.log.info({ url: config.baseUrl }, `Gatehouse is listening on port ${config.port}`);
  console.log(
    [
      '',
      `  Gatehouse is running at ${config.baseUrl}  (health: ${config.baseUrl}/healthz)`,
      '',
      '  Next steps, in another terminal:',
      '    npx gatehouse api-key create --name my-app     # a key for the management API',
      '    npx gatehouse org create --name "Acme" --sso    # your first customer organisation',
      '    npx gatehouse client create --name my-app --redirect-uri https://app.example.com/callback',
      '                                                    # connect your app (README: "Connect your app")',
      `    API reference: ${config.baseUrl}/api/v1/openapi.json`,
      '',
    ].join('\n'),
  );
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    app.stop().then(
      () => {
        app.log.info('stopped');
        process.exit(0);
      },
      (err) => {
        app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  console.error('gatehouse: failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
