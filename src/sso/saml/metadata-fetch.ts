import { STATUS_CODES } from 'node:http';
import { readBodyAtMost } from '../../http/bounded-body.ts';
import { isLoopbackHost } from '../../http/urls.ts';
import { MetadataError } from './metadata.errors.ts';
import { MAX_METADATA_BYTES } from './xml-safety.ts';

/**
 * Downloads IdP metadata from a URL, bounded in time and size (DESIGN.md "Security rules"). Messages are
 * shown to the customer's IT admin and stored, so a URL appears only as scheme://host/path (some IdPs put
 * a secret token in the query) and a response body is never quoted.
 */

export const METADATA_FETCH_TIMEOUT_MS = 10_000;
const MAX_URL_LENGTH = 2048;
const MAX_REDIRECTS = 3;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const UPLOAD_INSTEAD = 'download the metadata XML from your identity provider and upload it instead.';

export interface MetadataFetchOptions {
  mode: 'production' | 'development';
  timeoutMs?: number;
  /** Default MAX_METADATA_BYTES. */
  maxBytes?: number;
}

const shown = (url: URL) => `${url.protocol}//${url.host}${url.pathname}`.slice(0, 200);

const size = (bytes: number) => (bytes >= 1024 * 1024 ? `${+(bytes / 1024 / 1024).toFixed(1)} MB` : `${+(bytes / 1024).toFixed(1)} KB`);

/** https only (http to loopback in development, never after https); a Location (`from` set) alike. */
function checkUrl(raw: string, mode: MetadataFetchOptions['mode'], from?: URL): URL {
  const refuse = (problem: string, fix: string) =>
    new MetadataError(
      from ? 'bad_redirect' : 'bad_url',
      from
        ? `The server at ${shown(from)} redirected to an address that ${problem}. Gatehouse does not follow it: ${UPLOAD_INSTEAD}`
        : `The metadata URL ${problem}. ${fix}`,
    );
  if (raw.length > MAX_URL_LENGTH) throw refuse(`is longer than ${MAX_URL_LENGTH} characters`, 'Check that it was copied whole and that nothing else was pasted with it.');
  let url: URL;
  try {
    url = from ? new URL(raw, from) : new URL(raw);
  } catch {
    // No `cause`: its message repeats the input, query included.
    throw refuse('is not a valid web address', 'Check that it was copied whole, starting with https://.');
  }
  if (url.username || url.password) {
    throw refuse('contains a user name or password', `Gatehouse sends no credentials: use a URL that needs no sign-in, or ${UPLOAD_INSTEAD}`);
  }
  const plainHttpAllowed = mode === 'development' && isLoopbackHost(url.hostname) && from?.protocol !== 'https:';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && plainHttpAllowed)) {
    throw refuse(
      `is not https (${from ? shown(url) : `it starts with ${url.protocol}`})`,
      'Use its https:// address (http is accepted only for localhost in development mode).',
    );
  }
  return url;
}

function statusError(status: number, url: URL): MetadataError {
  const hint =
    status === 404 || status === 410
      ? 'Check the URL was copied whole; your identity provider may also have moved its metadata.'
      : status === 401 || status === 403
        ? `The URL may require sign-in: ${UPLOAD_INSTEAD}`
        : status === 429 || status >= 500
          ? `The identity provider may be busy or down: try again in a few minutes, or ${UPLOAD_INSTEAD}`
          : `Check the URL, or ${UPLOAD_INSTEAD}`;
  const name = STATUS_CODES[status] ? ` (${STATUS_CODES[status]})` : '';
  return new MetadataError('http_status', `The server at ${shown(url)} answered HTTP ${status}${name} instead of the metadata. ${hint}`);
}

const tooLarge = (url: URL, maxBytes: number) =>
  new MetadataError(
    'too_large',
    `The document at ${shown(url)} is larger than ${size(maxBytes)}. An IdP's metadata is a few KB: use your IdP's own metadata, not a federation aggregate, or ${UPLOAD_INSTEAD}`,
  );

async function readBody(response: Response, url: URL, maxBytes: number): Promise<string> {
  if (!response.ok) {
    await response.body?.cancel();
    throw statusError(response.status, url);
  }
  if (response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() === 'text/html') {
    await response.body?.cancel();
    throw new MetadataError(
      'html_page',
      `The server at ${shown(url)} answered with a web page (text/html), not the metadata XML: the URL may be a sign-in page. Copy the metadata URL itself, or ${UPLOAD_INSTEAD}`,
    );
  }
  const body = await readBodyAtMost(response, maxBytes);
  if (!body) throw tooLarge(url, maxBytes);
  try {
    // ignoreBOM keeps a BOM in the text; the parser strips it.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    throw new MetadataError(
      'not_text',
      `The document at ${shown(url)} is not UTF-8 text, so it is not SAML metadata. Check the URL, or ${UPLOAD_INSTEAD}`,
    );
  }
}

/** The network error's code (nested in undici's "fetch failed") and what it means to an admin. */
function failure(error: unknown): { code: string; reason: string } {
  let inner = error;
  while (inner instanceof Error && inner.cause !== undefined) inner = inner.cause;
  const code = String((inner as { code?: unknown } | null)?.code ?? 'unknown');
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { code, reason: 'its host name was not found' };
  if (code === 'ECONNREFUSED') return { code, reason: 'the server refused the connection' };
  if (/CERT|SELF_SIGNED|ALTNAME/.test(code)) return { code, reason: 'its TLS certificate is not trusted or not valid for this host' };
  return { code, reason: 'the connection failed' };
}

/** Downloads the document at `url` and returns its text (UTF-8; a BOM is left for the parser to strip). */
export async function fetchIdpMetadata(url: string, options: MetadataFetchOptions): Promise<string> {
  const timeoutMs = options.timeoutMs ?? METADATA_FETCH_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? MAX_METADATA_BYTES;
  let current = checkUrl(url, options.mode);
  // One deadline for the redirects and the whole body: a slow trickle cannot hold a download open.
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    // Redirects followed by hand: each Location is checked before anything is sent to it.
    for (let redirects = 0; ; redirects++) {
      const response = await fetch(current, {
        redirect: 'manual',
        signal,
        headers: { accept: 'application/samlmetadata+xml, application/xml, text/xml, */*;q=0.8', 'user-agent': 'Gatehouse' },
      });
      if (!REDIRECT_STATUSES.has(response.status)) return await readBody(response, current, maxBytes);
      await response.body?.cancel();
      const location = response.headers.get('location');
      if (!location) {
        throw new MetadataError('bad_redirect', `The server at ${shown(current)} answered HTTP ${response.status} (a redirect) without saying where to. Use the final address of the metadata, or ${UPLOAD_INSTEAD}`);
      }
      if (redirects === MAX_REDIRECTS) {
        throw new MetadataError(
          'too_many_redirects',
          `The metadata URL redirected more than ${MAX_REDIRECTS} times (the last hop was ${shown(current)}). Use the final address of the metadata, or ${UPLOAD_INSTEAD}`,
        );
      }
      current = checkUrl(location, options.mode, current);
    }
  } catch (error) {
    if (error instanceof MetadataError) throw error;
    if (signal.aborted) {
      throw new MetadataError(
        'fetch_timeout',
        `The server at ${shown(current)} did not send the metadata within ${timeoutMs / 1000} seconds. Try again later, or ${UPLOAD_INSTEAD}`,
      );
    }
    const { code, reason } = failure(error);
    throw new MetadataError(
      'fetch_failed',
      `Gatehouse could not download the metadata from ${shown(current)}: ${reason}. Check the URL and that the server is reachable from Gatehouse, or ${UPLOAD_INSTEAD}`,
      { detail: code },
    );
  }
}
