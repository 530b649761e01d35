import { describe, expect, it } from 'vitest';
import { checkDomainName } from '../../src/orgs/domain-name.ts';

/** The refusal code for an input, or its normalised domain when accepted. */
function outcome(input: string): string {
  const checked = checkDomainName(input);
  return 'problem' in checked ? checked.problem.code : checked.domain;
}

describe('checkDomainName', () => {
  it('normalises case, surrounding space, a trailing dot and IDN labels to the stored form', () => {
    expect(checkDomainName('ACME.Com')).toEqual({ domain: 'acme.com' });
    expect(checkDomainName('acme.com.')).toEqual({ domain: 'acme.com' });
    expect(checkDomainName('  acme.com\n')).toEqual({ domain: 'acme.com' });
    expect(checkDomainName('bücher.example')).toEqual({ domain: 'xn--bcher-kva.example' });
    expect(checkDomainName('BÜCHER.Example.')).toEqual({ domain: 'xn--bcher-kva.example' });
    // An A-label typed as such is already normal; upper-case A-labels are lowered.
    expect(checkDomainName('XN--BCHER-KVA.example')).toEqual({ domain: 'xn--bcher-kva.example' });
    // UTS 46 maps the ideographic full stop to a dot.
    expect(checkDomainName('acme\u3002com')).toEqual({ domain: 'acme.com' });
    expect(checkDomainName('acme.com\u3002')).toEqual({ domain: 'acme.com' });
    expect(checkDomainName('acme.com\uff0e')).toEqual({ domain: 'acme.com' });
  });

  it('accepts domains an organisation can own', () => {
    expect(checkDomainName('acme.com')).toEqual({ domain: 'acme.com' });
    expect(checkDomainName('eu.acme.co.uk')).toEqual({ domain: 'eu.acme.co.uk' });
    expect(checkDomainName('acme.test')).toEqual({ domain: 'acme.test' });
    // A name registered under a private-section suffix is owned by whoever registered it.
    expect(checkDomainName('acme.github.io')).toEqual({ domain: 'acme.github.io' });
    // The longest label DNS allows (63 octets).
    expect(checkDomainName(`${'a'.repeat(63)}.com`)).toEqual({ domain: `${'a'.repeat(63)}.com` });
  });

  it('refuses malformed names with the reason in the message', () => {
    const cases: Array<[string, string, string]> = [
      ['empty', '', '"" is not a valid domain name: it is empty.'],
      ['blank', '   ', '"   " is not a valid domain name: it is empty.'],
      ['only a dot', '.', '"." is not a valid domain name: it is empty.'],
      ['only an ideographic stop', '\u3002', '"\u3002" is not a valid domain name: it is empty.'],
      ['a scheme', 'https://acme.com', '"https://acme.com" is not a valid domain name: give the bare domain, such as example.com, without a scheme, path, port or address.'],
      ['a path', 'acme.com/login', '"acme.com/login" is not a valid domain name: give the bare domain, such as example.com, without a scheme, path, port or address.'],
      ['a port', 'acme.com:443', '"acme.com:443" is not a valid domain name: give the bare domain, such as example.com, without a scheme, path, port or address.'],
      ['an email address', 'ann@acme.com', '"ann@acme.com" is not a valid domain name: give the bare domain, such as example.com, without a scheme, path, port or address.'],
      // A URL parser would silently cut these to acme.com, or read "\\" as a path separator.
      ['a query', 'acme.com?x', '"acme.com?x" is not a valid domain name: give the bare domain, such as example.com, without a scheme, path, port or address.'],
      ['a fragment', 'acme.com#x', '"acme.com#x" is not a valid domain name: give the bare domain, such as example.com, without a scheme, path, port or address.'],
      ['a backslash', 'acme\\com', '"acme\\com" is not a valid domain name: give the bare domain, such as example.com, without a scheme, path, port or address.'],
      // ... or percent-decode this one to acme.com.
      ['percent-encoding', 'acme%2ecom', '"acme%2ecom" is not a valid domain name: it has characters a domain cannot have.'],
      ['a full-width question mark', 'acme.com\uff1fx', '"acme.com\uff1fx" is not a valid domain name: it has characters a domain cannot have.'],
      ['inner space', 'acme .com', '"acme .com" is not a valid domain name: give the bare domain, such as example.com, without a scheme, path, port or address.'],
      ['a single label', 'localhost', '"localhost" is not a valid domain name: it needs at least two labels, such as example.com.'],
      ['an unlisted single label', 'acme', '"acme" is not a valid domain name: it needs at least two labels, such as example.com.'],
      ['leading hyphen', '-acme.com', '"-acme.com" is not a valid domain name: the label "-acme" must be 1 to 63 letters, digits or hyphens, not starting or ending with a hyphen.'],
      ['trailing hyphen', 'acme-.com', '"acme-.com" is not a valid domain name: the label "acme-" must be 1 to 63 letters, digits or hyphens, not starting or ending with a hyphen.'],
      ['underscore', 'ac_me.com', '"ac_me.com" is not a valid domain name: the label "ac_me" must be 1 to 63 letters, digits or hyphens, not starting or ending with a hyphen.'],
      ['wildcard', '*.acme.com', '"*.acme.com" is not a valid domain name: the label "*" must be 1 to 63 letters, digits or hyphens, not starting or ending with a hyphen.'],
      ['empty label', 'acme..com', '"acme..com" is not a valid domain name: the label "" must be 1 to 63 letters, digits or hyphens, not starting or ending with a hyphen.'],
      ['leading dot', '.acme.com', '".acme.com" is not a valid domain name: the label "" must be 1 to 63 letters, digits or hyphens, not starting or ending with a hyphen.'],
      ['two trailing dots', 'acme.com..', '"acme.com.." is not a valid domain name: the label "" must be 1 to 63 letters, digits or hyphens, not starting or ending with a hyphen.'],
      ['label over 63 octets', `${'a'.repeat(64)}.com`, `"${'a'.repeat(64)}.com" is not a valid domain name: the label "${'a'.repeat(64)}" must be 1 to 63 letters, digits or hyphens, not starting or ending with a hyphen.`],
      ['name over 253 octets', `${'a.'.repeat(127)}com`, `"${'a.'.repeat(127)}com" is not a valid domain name: it is longer than 253 characters.`],
      ['IPv4 address', '192.168.1.1', '"192.168.1.1" is not a valid domain name: an IP address is not a domain.'],
      ['IPv4 shorthand', '127.1', '"127.1" is not a valid domain name: an IP address is not a domain.'],
      ['IPv6 address', '[::1]', '"[::1]" is not a valid domain name: give the bare domain, such as example.com, without a scheme, path, port or address.'],
      ['numeric top-level label', 'acme.123', '"acme.123" is not a valid domain name: it has characters a domain cannot have.'],
      ['A-label that is not Punycode', 'xn--zz.com', '"xn--zz.com" is not a valid domain name: the label "xn--zz" is not a valid internationalised (Punycode) label.'],
      ['A-label of an upper-case U-label ("Ärger")', 'xn--rger-zja.com', '"xn--rger-zja.com" is not a valid domain name: the label "xn--rger-zja" is not a valid internationalised (Punycode) label.'],
    ];
    for (const [label, input, message] of cases) {
      expect(checkDomainName(input), label).toEqual({ problem: { code: 'malformed_domain', message } });
    }
  });

  it('refuses public suffixes from the real list, ICANN and private sections', () => {
    expect(checkDomainName('com')).toEqual({ problem: { code: 'public_suffix', message: '"com" is a public suffix, under which anyone can register names; claim your own domain under it instead.' } });
    expect(checkDomainName('co.uk')).toEqual({ problem: { code: 'public_suffix', message: '"co.uk" is a public suffix, under which anyone can register names; claim your own domain under it instead.' } });
    expect(checkDomainName('CO.UK.')).toEqual({ problem: { code: 'public_suffix', message: '"co.uk" is a public suffix, under which anyone can register names; claim your own domain under it instead.' } });
    // Private section: anyone can get a name under these from the company that runs them.
    expect(outcome('github.io')).toBe('public_suffix');
    expect(outcome('blogspot.com')).toBe('public_suffix');
    // An IDN top-level domain (.рф), typed in Unicode.
    expect(outcome('рф')).toBe('public_suffix');
    // A wildcard rule (*.kawasaki.jp) makes every child a suffix; its exception (city.kawasaki.jp) is a domain.
    expect(outcome('acme.kawasaki.jp')).toBe('public_suffix');
    expect(outcome('city.kawasaki.jp')).toBe('city.kawasaki.jp');
  });

  it('refuses consumer mail domains, whatever their case', () => {
    for (const domain of ['gmail.com', 'outlook.com', 'yahoo.com', 'icloud.com', 'hotmail.com']) {
      expect(checkDomainName(domain), domain).toEqual({
        problem: { code: 'consumer_domain', message: `"${domain}" is a consumer mail domain shared by many people; only a domain your organisation owns can be verified.` },
      });
    }
    expect(outcome('GMail.com.')).toBe('consumer_domain');
  });
});
