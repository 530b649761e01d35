import type { Executor } from '../../db/database.ts';
import { PAGE_CSP } from '../../http/security-headers.ts';

/**
 * The CSP of the page that posts the simulator's response to the ACS. Browsers apply form-action to every
 * redirect that follows a form submission (security-headers.ts), and the ACS's redirects end at an app:
 * its redirect_uri (SP-initiated) or initiate_login_uri (IdP-initiated). Which app is the provider's
 * business (sso/ never reads provider state), so every registered app's origin is allowed. Only this
 * development-mode page ever posts a response from Gatehouse's own origin; a real IdP's page has its own CSP.
 */
export async function postBindingCsp(db: Executor, acsUrl: string): Promise<string> {
  const clients = await db.selectFrom('oidc_clients').select(['redirect_uris', 'initiate_login_uri']).execute();
  const targets = [acsUrl, ...clients.flatMap((c) => [...(JSON.parse(c.redirect_uris) as string[]), ...(c.initiate_login_uri ? [c.initiate_login_uri] : [])])];
  const origins = new Set<string>();
  for (const target of targets) {
    try {
      const url = new URL(target);
      // An http(s) origin has no space or ';', so it cannot add a directive. Custom schemes (origin "null") are left out.
      if (url.protocol === 'https:' || url.protocol === 'http:') origins.add(url.origin);
    } catch {
      // not a URL: nothing to allow
    }
  }
  return PAGE_CSP.replace("form-action 'self'", ["form-action 'self'", ...origins].join(' '));
}
