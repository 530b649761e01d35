import { Resolver } from 'node:dns/promises';

export const CHALLENGE_LABEL = '_gatehouse-challenge';

export type DnsCheck =
  | { result: 'found' }
  | { result: 'not_found'; message: string }
  | { result: 'mismatch'; message: string }
  | { result: 'dns_error'; message: string };

export interface DnsVerifier {
  check(domain: string, expectedValue: string): Promise<DnsCheck>;
}

/** Looks up `_gatehouse-challenge.<domain>` TXT through node's resolver, honouring DNS_SERVERS. */
export function createDnsVerifier(servers: readonly string[]): DnsVerifier {
  return {
    async check(domain, expectedValue) {
      const resolver = new Resolver({ timeout: 3000, tries: 2 });
      if (servers.length) resolver.setServers([...servers]);
      const name = `${CHALLENGE_LABEL}.${domain}`;
      let records: string[][];
      try {
        records = await resolver.resolveTxt(name);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOTFOUND' || code === 'ENODATA') {
          return { result: 'not_found', message: `No TXT record was found at ${name}. Add it at your DNS provider; changes can take a while to appear.` };
        }
        return { result: 'dns_error', message: `The DNS lookup of ${name} failed (${code ?? 'error'}); try again in a few minutes.` };
      }
      // A TXT record may be split into several strings of at most 255 characters: join them (RFC 7208 §3.3).
      const values = records.map((chunks) => chunks.join(''));
      if (values.some((v) => v.trim() === expectedValue)) return { result: 'found' };
      return {
        result: 'mismatch',
        message: `The TXT record at ${name} does not hold the expected value (found ${values.length} other value${values.length === 1 ? '' : 's'}).`,
      };
    },
  };
}
