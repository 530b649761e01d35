import { domainToASCII } from 'node:url';
import { createRequire } from 'node:module';
import { parse } from 'tldts';

const require = createRequire(import.meta.url);
// email-providers: a maintained list of free and consumer mail domains (Gmail, Outlook, Yahoo, iCloud, …).
const consumerDomains = new Set<string>(require('email-providers/all.json') as string[]);

export type DomainNameProblem =
  | { code: 'malformed_domain'; message: string }
  | { code: 'public_suffix'; message: string }
  | { code: 'consumer_domain'; message: string };

/**
 * Normalises a domain the customer claims (lower case, IDN to punycode, no trailing dot) and refuses
 * what nobody can own: malformed names, public suffixes (ICANN and private sections of the Public
 * Suffix List, through tldts) and consumer mail domains.
 */
export function checkDomainName(input: string): { domain: string } | { problem: DomainNameProblem } {
  const raw = input.trim().toLowerCase().replace(/\.$/, '');
  const malformed = (why: string) => ({ problem: { code: 'malformed_domain' as const, message: `"${input}" is not a valid domain name: ${why}.` } });
  if (raw === '') return malformed('it is empty');
  if (/[/:@\s]/.test(raw)) return malformed('give the bare domain, such as example.com, without a scheme, path, port or address');
  const domain = domainToASCII(raw);
  if (domain === '') return malformed('it has characters a domain cannot have');
  if (domain.length > 253) return malformed('it is longer than 253 characters');
  const labels = domain.split('.');
  if (labels.length < 2) return malformed('it needs at least two labels, such as example.com');
  for (const label of labels) {
    if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(label)) {
      return malformed(`the label "${label}" must be 1 to 63 letters, digits or hyphens, not starting or ending with a hyphen`);
    }
  }
  if (/^\d+$/.test(labels[labels.length - 1]!)) return malformed('an IP address is not a domain');
  const parsed = parse(domain, { allowPrivateDomains: true });
  if (!parsed.publicSuffix || parsed.domain === null || domain === parsed.publicSuffix) {
    return { problem: { code: 'public_suffix', message: `"${domain}" is a public suffix, under which anyone can register names; claim your own domain under it instead.` } };
  }
  if (consumerDomains.has(domain)) {
    return { problem: { code: 'consumer_domain', message: `"${domain}" is a consumer mail domain shared by many people; only a domain your organisation owns can be verified.` } };
  }
  return { domain };
}

/** The domain part of an email address, lower-cased. */
export function emailDomain(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}
