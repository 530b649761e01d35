/**
 * fetchIdpMetadata against real servers on loopback: an http one (allowed in development mode) and an
 * https one with a throwaway self-signed certificate made by openssl and trusted for this file only.
 * Every URL carries `?appId=0oa1&token=SECRET`, as some IdPs' metadata URLs do, and `refusal()` checks
 * that no message or detail ever repeats it (nor a password, nor a response body).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import tls from 'node:tls';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fetchIdpMetadata, type MetadataFetchOptions } from '../../../src/sso/saml/metadata-fetch.ts';
import { MetadataError, type MetadataErrorCode } from '../../../src/sso/saml/metadata.errors.ts';

const OKTA = readFileSync(new URL('../../../../shared/fixtures/idp-metadata/okta.xml', import.meta.url));
const QUERY = '?appId=0oa1&token=SECRET';
const HTML = '<!DOCTYPE html><html><body>Sign in to your account</body></html>';
const REDIRECT_STATUSES = [301, 302, 307, 308];

/** Paths the http server was asked for in the current test: shows what was refused before sending. */
const seen: string[] = [];
/** Resolved when the last /endless response is closed (by the client going away). */
let endlessClosed: Promise<void> = Promise.resolve();
let httpServer: http.Server;
let httpsServer: https.Server;
let base: string;
let secureBase: string;
let savedCAs: string[];

function answer(req: http.IncomingMessage, res: http.ServerResponse): void {
  const path = new URL(req.url!, 'http://x').pathname;
  seen.push(path);
  const redirect = /^\/redirect\/(\d+)$/.exec(path);
  if (redirect) {
    const left = Number(redirect[1]);
    if (left === 0) return void res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(OKTA);
    // Relative Locations, as IdPs send them, with each redirect status in turn.
    return void res.writeHead(REDIRECT_STATUSES[left % 4]!, { location: `/redirect/${left - 1}` }).end();
  }
  switch (path) {
    case '/okta.xml':
      return void res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(OKTA);
    case '/octet-stream':
      return void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(OKTA);
    case '/bom.xml':
      return void res.writeHead(200, { 'content-type': 'text/xml' }).end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), OKTA]));
    case '/missing':
      return void res.writeHead(404, { 'content-type': 'text/html' }).end(HTML);
    case '/private':
      return void res.writeHead(403, { 'content-type': 'text/html' }).end(HTML);
    case '/down':
      return void res.writeHead(503).end();
    case '/login':
      return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(HTML);
    case '/to-file':
      return void res.writeHead(302, { location: 'file:///etc/passwd' }).end();
    case '/to-nowhere':
      return void res.writeHead(302).end();
    case '/to-http':
      return void res.writeHead(302, { location: `${base}/okta.xml` }).end();
    case '/latin1':
      // ISO-8859-1 "café": 0xE9 is not valid UTF-8.
      return void res
        .writeHead(200, { 'content-type': 'text/xml' })
        .end(Buffer.concat([Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><md:EntityDescriptor entityID="caf'), Buffer.from([0xe9]), Buffer.from('"/>')]));
    case '/slow': {
      // A body that trickles forever: one byte every 50 ms.
      res.writeHead(200, { 'content-type': 'text/xml' }).write('<');
      const timer = setInterval(() => res.write(' '), 50);
      return void res.on('close', () => clearInterval(timer));
    }
    case '/silent':
      return; // never answers
    case '/endless': {
      // Chunked, no Content-Length, as fast as the client reads, never ending.
      endlessClosed = new Promise((resolve) => res.on('close', resolve));
      res.writeHead(200, { 'content-type': 'text/xml' });
      const pump = () => {
        while (!res.destroyed && res.write(Buffer.alloc(1024, 0x20)));
        if (!res.destroyed) res.once('drain', pump);
      };
      return pump();
    }
    case '/announced-large':
      // Announces 50,000 bytes and sends 1,000: a reader that waits for the body runs into the timeout.
      return void res.writeHead(200, { 'content-type': 'text/xml', 'content-length': '50000' }).write(Buffer.alloc(1000, 0x20));
    default:
      return void res.writeHead(404).end();
  }
}

const listen = async (server: http.Server) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
};

beforeAll(async () => {
  const pem = execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-noenc', '-keyout', '-', '-out', '-', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1'], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  const key = /-----BEGIN PRIVATE KEY-----[^-]+-----END PRIVATE KEY-----/.exec(pem)![0];
  const cert = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/.exec(pem)![0];
  savedCAs = tls.getCACertificates('default');
  tls.setDefaultCACertificates([...savedCAs, cert]);
  httpServer = http.createServer(answer);
  httpsServer = https.createServer({ key, cert }, answer);
  base = `http://127.0.0.1:${await listen(httpServer)}`;
  secureBase = `https://127.0.0.1:${await listen(httpsServer)}`;
});

afterAll(async () => {
  tls.setDefaultCACertificates(savedCAs);
  for (const server of [httpServer, httpsServer]) {
    server.closeAllConnections(); // fetch keeps connections alive; /silent and /slow never end
    await new Promise((resolve) => server.close(resolve));
  }
});

beforeEach(() => {
  seen.length = 0;
});

const fetchDev = (url: string, options: Partial<MetadataFetchOptions> = {}) => fetchIdpMetadata(url, { mode: 'development', ...options });

/** The refusal's code, and that its message quotes no query, password or response body. */
async function refusal(url: string, code: MetadataErrorCode, options: Partial<MetadataFetchOptions> = {}): Promise<MetadataError> {
  const error = await fetchDev(url, options).then(
    () => expect.unreachable('expected a refusal'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MetadataError);
  const refused = error as MetadataError;
  expect(refused.code).toBe(code);
  for (const text of [refused.message, refused.detail ?? '']) {
    expect(text).not.toMatch(/SECRET|appId|\?|hunter2|Sign in to your account/);
  }
  return refused;
}

describe('fetchIdpMetadata: downloads', () => {
  it('returns the document byte for byte (http to loopback in development)', async () => {
    expect(await fetchDev(`${base}/okta.xml${QUERY}`)).toBe(OKTA.toString('utf8'));
  });

  it('downloads over https in production mode', async () => {
    expect(await fetchIdpMetadata(`${secureBase}/okta.xml${QUERY}`, { mode: 'production' })).toBe(OKTA.toString('utf8'));
  });

  it('does not enforce the Content-Type (application/octet-stream)', async () => {
    expect(await fetchDev(`${base}/octet-stream${QUERY}`)).toBe(OKTA.toString('utf8'));
  });

  it('leaves a UTF-8 BOM for the parser to strip', async () => {
    expect(await fetchDev(`${base}/bom.xml${QUERY}`)).toBe(`\uFEFF${OKTA.toString('utf8')}`);
  });

  it('follows 3 redirects (301, 308, 307, relative Locations)', async () => {
    expect(await fetchDev(`${base}/redirect/3${QUERY}`)).toBe(OKTA.toString('utf8'));
    expect(seen).toEqual(['/redirect/3', '/redirect/2', '/redirect/1', '/redirect/0']);
  });
});

describe('fetchIdpMetadata: refused URLs, before anything is sent', () => {
  it('refuses http in production mode, even to loopback', async () => {
    const error = await refusal(`${base}/okta.xml${QUERY}`, 'bad_url', { mode: 'production' });
    expect(error.message).toMatch(/^The metadata URL is not https \(it starts with http:\)\. Use its https:\/\/ address/);
    expect(seen).toEqual([]);
  });

  it('refuses http to a host other than loopback in development mode', async () => {
    expect((await refusal(`http://idp.example.com/metadata${QUERY}`, 'bad_url')).message).toMatch(/not https .*localhost in development mode/);
  });

  it('refuses another scheme (ftp:)', async () => {
    expect((await refusal(`ftp://idp.example.com/metadata.xml${QUERY}`, 'bad_url')).message).toMatch(/not https \(it starts with ftp:\)/);
  });

  it('refuses a URL with user:password@, without repeating them', async () => {
    const error = await refusal(`https://admin:hunter2@idp.example.com/metadata${QUERY}`, 'bad_url', { mode: 'production' });
    expect(error.message).toMatch(/^The metadata URL contains a user name or password\. Gatehouse sends no credentials/);
    expect(error.message).not.toContain('admin');
  });

  it('refuses a malformed URL', async () => {
    expect((await refusal(`idp.example.com/metadata${QUERY}`, 'bad_url')).message).toMatch(/not a valid web address\. .*starting with https:\/\//);
  });

  it('refuses a URL longer than 2048 characters', async () => {
    const url = `https://idp.example.com/${'a'.repeat(2048)}${QUERY}`;
    expect((await refusal(url, 'bad_url', { mode: 'production' })).message).toMatch(/longer than 2048 characters\. Check that it was copied whole/);
  });
});

describe('fetchIdpMetadata: refused redirects', () => {
  it('refuses a 4th redirect without following it', async () => {
    const error = await refusal(`${base}/redirect/4${QUERY}`, 'too_many_redirects');
    expect(error.message).toBe(
      `The metadata URL redirected more than 3 times (the last hop was ${base}/redirect/1). Use the final address of the metadata, ` +
        'or download the metadata XML from your identity provider and upload it instead.',
    );
    expect(seen).toEqual(['/redirect/4', '/redirect/3', '/redirect/2', '/redirect/1']);
  });

  it('refuses a redirect from https to http, even to loopback in development mode', async () => {
    const error = await refusal(`${secureBase}/to-http${QUERY}`, 'bad_redirect');
    expect(error.message).toMatch(new RegExp(`^The server at ${secureBase}/to-http redirected to an address that is not https \\(${base}/okta\\.xml\\)\\. Gatehouse does not follow it`));
    expect(seen).toEqual(['/to-http']); // the https server's log; the http one was never asked
  });

  it('refuses a redirect to another scheme (file:)', async () => {
    expect((await refusal(`${base}/to-file${QUERY}`, 'bad_redirect')).message).toMatch(/redirected to an address that is not https \(file:\/\/\/etc\/passwd\)/);
  });

  it('refuses a redirect without a Location', async () => {
    expect((await refusal(`${base}/to-nowhere${QUERY}`, 'bad_redirect')).message).toMatch(/answered HTTP 302 \(a redirect\) without saying where to/);
  });
});

describe('fetchIdpMetadata: refused answers', () => {
  it('refuses 404 with the status and scheme://host/path, and no body', async () => {
    const error = await refusal(`${base}/missing${QUERY}`, 'http_status');
    expect(error.message).toMatch(new RegExp(`^The server at ${base}/missing answered HTTP 404 \\(Not Found\\) instead of the metadata\\. Check the URL was copied whole`));
  });

  it('refuses 403 as a URL that may require sign-in', async () => {
    expect((await refusal(`${base}/private${QUERY}`, 'http_status')).message).toMatch(/HTTP 403 \(Forbidden\) .*may require sign-in: download the metadata XML .* upload it instead/);
  });

  it('refuses 503 as an IdP that may be down', async () => {
    expect((await refusal(`${base}/down${QUERY}`, 'http_status')).message).toMatch(/HTTP 503 \(Service Unavailable\) .*try again in a few minutes/);
  });

  it('refuses a text/html answer as a web page, not the metadata', async () => {
    expect((await refusal(`${base}/login${QUERY}`, 'html_page')).message).toMatch(/answered with a web page \(text\/html\), not the metadata XML: the URL may be a sign-in page/);
  });

  it('refuses a body that is not UTF-8', async () => {
    expect((await refusal(`${base}/latin1${QUERY}`, 'not_text')).message).toMatch(new RegExp(`^The document at ${base}/latin1 is not UTF-8 text`));
  });

  it('refuses a body larger than maxBytes as announced by Content-Length, without reading it', async () => {
    const error = await refusal(`${base}/announced-large${QUERY}`, 'too_large', { maxBytes: 10_000, timeoutMs: 5_000 });
    expect(error.message).toMatch(/is larger than 9\.8 KB\. An IdP's metadata is a few KB/);
  });

  it('stops reading an endless body without Content-Length once past maxBytes, and closes the connection', async () => {
    // A deadline far away, so that only the size limit can close the connection.
    const error = await refusal(`${base}/endless${QUERY}`, 'too_large', { maxBytes: 10_000, timeoutMs: 60_000 });
    expect(error.message).toMatch(new RegExp(`^The document at ${base}/endless is larger than 9\\.8 KB`));
    expect(await Promise.race([endlessClosed.then(() => 'closed'), sleep(1_000, 'still sending')])).toBe('closed');
  });

  it('gives up on a body that never ends, at the timeout', async () => {
    const started = Date.now();
    const error = await refusal(`${base}/slow${QUERY}`, 'fetch_timeout', { timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(error.message).toMatch(new RegExp(`^The server at ${base}/slow did not send the metadata within 0\\.3 seconds\\. Try again later`));
  });

  it('gives up on a server that never answers, at the timeout', async () => {
    expect((await refusal(`${base}/silent${QUERY}`, 'fetch_timeout', { timeoutMs: 300 })).message).toMatch(/within 0\.3 seconds/);
  });

  it('refuses a server that cannot be reached', async () => {
    const closed = http.createServer();
    const port = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    const error = await refusal(`http://127.0.0.1:${port}/metadata${QUERY}`, 'fetch_failed');
    expect(error.message).toMatch(new RegExp(`^Gatehouse could not download the metadata from http://127\\.0\\.0\\.1:${port}/metadata: the server refused the connection\\.`));
    expect(error.detail).toBe('ECONNREFUSED');
  });
});
