import { domainToASCII, domainToUnicode } from 'node:url';
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
  const raw = input.trim().toLowerCase();
  const malformed = (why: string) => ({ problem: { code: 'malformed_domain' as const, message: `"${input}" is not a valid domain name: ${why}.` } });
  if (raw === '') return malformed('it is empty');
  // domainToASCII parses its input as a URL host: it would cut "acme.com?x" or "acme.com#x" to acme.com,
  // read a backslash as a path separator and percent-decode "ac%6De.com". Refuse those before it sees them.
  if (/[/\\:@?#\s]/.test(raw)) return malformed('give the bare domain, such as example.com, without a scheme, path, port or address');
  if (raw.includes('%')) return malformed('it has characters a domain cannot have');
  const ascii = domainToASCII(raw);
  if (ascii === '') return malformed('it has characters a domain cannot have');
  // The root's trailing dot goes only after UTS 46 mapping, which turns a full-width or ideographic stop into one.
  const domain = ascii.replace(/\.$/, '');
  if (domain === '') return malformed('it is empty');
  if (domain.length > 253) return malformed('it is longer than 253 characters');
  const labels = domain.split('.');
  for (const label of labels) {
    if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(label)) {
      return malformed(`the label "${label}" must be 1 to 63 letters, digits or hyphens, not starting or ending with a hyphen`);
    }
    // domainToASCII passes a typed A-label through unchecked; RFC 5891 §5.4: it must decode, and encode back to itself.
    if (label.startsWith('xn--') && (domainToUnicode(label) === label || domainToASCII(domainToUnicode(label)) !== label)) {
      return malformed(`the label "${label}" is not a valid internationalised (Punycode) label`);
    }
  }
  if (/^\d+$/.test(labels[labels.length - 1]!)) return malformed('an IP address is not a domain');
  const parsed = parse(domain, { allowPrivateDomains: true });
  // A bare top-level domain on the list (com, uk) is a public suffix; an unlisted single label (localhost) is no domain at all.
  if (labels.length < 2 && !parsed.isIcann && !parsed.isPrivate) return malformed('it needs at least two labels, such as example.com');
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
