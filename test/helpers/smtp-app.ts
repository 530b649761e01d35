import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { startSmtpServer, type TestSmtpServer } from './smtp-server.ts';
import { createTestApp, type TestApp } from './test-app.ts';

/**
 * Registers the hooks of a describe block that sends mail: one SMTP server for the block, emptied and set
 * to accept before each test, and a fresh app with SMTP_URL pointing at it for each test. `use` receives
 * both before each test.
 */
export function useSmtpApp(use: (smtp: TestSmtpServer, t: TestApp) => void): void {
  let smtp: TestSmtpServer;
  let t: TestApp;
  beforeAll(async () => {
    smtp = await startSmtpServer();
  });
  afterAll(async () => smtp.close());
  beforeEach(async () => {
    smtp.received.length = 0;
    smtp.failNext(0);
    t = await createTestApp({ SMTP_URL: smtp.url });
    use(smtp, t);
  });
  afterEach(async () => t.close());
}
