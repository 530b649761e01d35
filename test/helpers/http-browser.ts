/**
 * A browser without a screen: follows what a person's browser does over plain HTTP (cookies per
 * host, redirects one at a time, form posts with the page's CSRF field), so sign-in pages can be
 * driven in tests exactly as served.
 */
export interface Page {
  status: number;
  url: string;
  location: string | undefined;
  html: string;
}

export class HttpBrowser {
  private readonly cookies = new Map<string, Map<string, string>>();

  private cookieHeader(url: URL): string {
    const jar = this.cookies.get(url.host);
    return jar ? [...jar].map(([k, v]) => `${k}=${v}`).join('; ') : '';
  }

  private store(url: URL, res: Response): void {
    const jar = this.cookies.get(url.host) ?? new Map<string, string>();
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || /max-age=0/i.test(line) || value === '') jar.delete(name);
      else jar.set(name, value);
    }
    this.cookies.set(url.host, jar);
  }

  clearCookies(host?: string): void {
    if (host) this.cookies.delete(host);
    else this.cookies.clear();
  }

  async request(method: string, target: string, form?: Record<string, string>): Promise<Page> {
    const url = new URL(target);
    const send = () => fetch(url, {
      method,
      redirect: 'manual',
      headers: {
        cookie: this.cookieHeader(url),
        accept: 'text/html',
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    // After a server restart the pooled keep-alive socket is dead; like a browser, try once more.
    const res = await send().catch((err: Error & { cause?: { code?: string } }) => {
      if (err.cause?.code === 'UND_ERR_SOCKET' || err.cause?.code === 'ECONNRESET') return send();
      throw err;
    });
    this.store(url, res);
    const html = await res.text();
    // A page that sends the browser on with <meta http-equiv="refresh" content="0;url=…"> counts as a redirect.
    const refresh = /<meta http-equiv="refresh" content="0;url=([^"]+)">/i.exec(html)?.[1]?.replace(/&amp;/g, '&');
    const location = res.headers.get('location') ?? refresh;
    return { status: res.status, url: url.href, location: location ? new URL(location, url).href : undefined, html };
  }

  get(url: string): Promise<Page> {
    return this.request('GET', url);
  }

  /** Follows redirects from `url` until a page answers, or until a URL starting with `stopAt` (the app's callback). */
  async follow(url: string, stopAt?: string): Promise<Page> {
    let page = await this.get(url);
    for (let hops = 0; page.location && hops < 20; hops++) {
      if (stopAt && page.location.startsWith(stopAt)) return page;
      page = await this.get(page.location);
    }
    return page;
  }

  /** Submits the page's form whose action contains `actionPart`, with its CSRF field and these fields. */
  async submit(page: Page, actionPart: string, fields: Record<string, string>): Promise<Page> {
    const forms = [...page.html.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)];
    const form = forms.find((f) => f[1]!.includes(actionPart));
    if (!form) throw new Error(`no form with action containing ${actionPart} on ${page.url}:\n${page.html.slice(0, 2000)}`);
    // Every hidden input of the form (the CSRF field, node-oidc-provider's xsrf), then the fields typed in.
    const hidden: Record<string, string> = {};
    for (const input of form[2]!.matchAll(/<input\b[^>]*>/g)) {
      const tag = input[0];
      if (!/type="hidden"/.test(tag)) continue;
      const name = /name="([^"]*)"/.exec(tag)?.[1];
      if (name) hidden[name] = (/value="([^"]*)"/.exec(tag)?.[1] ?? '').replace(/&amp;/g, '&');
    }
    const action = new URL(form[1]!.replace(/&amp;/g, '&'), page.url).href;
    return this.request('POST', action, { ...hidden, ...fields });
  }
}

export const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/\s+/g, ' ').trim();

/** The CSRF field of a page's forms (the first form's); throws when the page has none. */
export function csrfOf(page: Page): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(page.html)?.[1];
  if (!token) throw new Error(`no CSRF field on ${page.url}`);
  return token;
}

/**
 * Posts `fields` to `url` (a path is taken relative to the page) with the page's CSRF field, as a form on
 * that page would; the form need not be on it.
 */
export function postWithCsrf(browser: HttpBrowser, page: Page, url: string, fields: Record<string, string> = {}): Promise<Page> {
  return browser.request('POST', new URL(url, page.url).href, { _csrf: csrfOf(page), ...fields });
}
