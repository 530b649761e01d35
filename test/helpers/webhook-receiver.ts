import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  path: string;
  headers: Record<string, string>;
  /** The raw body, byte for byte as sent (signatures are over it). */
  body: string;
  /** The status the receiver answered. */
  status: number;
}

export interface WebhookReceiver {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  received: ReceivedWebhook[];
  /** Answers the next `n` requests with `status` (then 200 again). */
  failNext(n: number, status?: number): void;
  close(): Promise<void>;
}

/**
 * A real HTTP endpoint on 127.0.0.1 that records every POST and answers 200 (or the failures it was told
 * to answer). Pass `port` to come up on an address a webhook already points at.
 */
export async function startWebhookReceiver(port = 0): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let failures: number[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const status = failures.shift() ?? 200;
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers[name] = value;
      received.push({ path: req.url ?? '/', headers, body: Buffer.concat(chunks).toString('utf8'), status });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : `receiver failure ${status}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    received,
    failNext(n, status = 500) {
      failures = Array.from({ length: n }, () => status);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
