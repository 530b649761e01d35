/**
 * Attacks on the IdP metadata importer, one test each, each a one-change variant of okta.xml: what
 * attacks the XML reader (DTD entity expansion and external entities, processing instructions, size and
 * markup meant to exhaust it) is refused before parsing; a certificate is taken only from the IdP's own
 * KeyDescriptor.
 */
import { DOMParser } from '@xmldom/xmldom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_METADATA_BYTES, parseIdpMetadata } from '../../../src/sso/saml/idp-metadata.ts';
import { catchError, NOW, read, refusedBeforeParsing } from '../../helpers/idp-metadata.ts';

const OKTA = read('okta.xml');
const OKTA_CERT = /<ds:X509Certificate>([^<]+)</.exec(OKTA)![1]!;
const BILLION_LAUGHS =
  '<?xml version="1.0"?>\n<!DOCTYPE md:EntityDescriptor [\n  <!ENTITY lol "lol">\n' +
  Array.from({ length: 9 }, (_, i) => `  <!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">\n`).join('') +
  ']>\n' + OKTA.replace(/^<\?xml[^>]*>/, '').replace('<md:NameIDFormat>', '<md:NameIDFormat>&lol9;');
const XXE = OKTA.replace(/^(<\?xml[^>]*>)/, '$1<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>').replace(
  'entityID="http://www.okta.com/exkdoocxa1VmjpXmX697"',
  'entityID="&xxe;"',
);

describe('parseIdpMetadata: hostile input', () => {
  afterEach(() => vi.restoreAllMocks());

  it('the control: okta.xml goes through the XML parser', () => {
    const parse = vi.spyOn(DOMParser.prototype, 'parseFromString');
    parseIdpMetadata(OKTA, { now: NOW });
    expect(parse).toHaveBeenCalledTimes(1);
  });

  it('refuses entity expansion (billion laughs) before parsing', () => {
    expect(refusedBeforeParsing(BILLION_LAUGHS, 'doctype_refused').message).toMatch(/<!DOCTYPE>.*entity expansion/);
  });

  it('refuses an external entity (XXE) before parsing', () => {
    refusedBeforeParsing(XXE, 'doctype_refused');
  });

  it('refuses a bare <!ENTITY> without DOCTYPE before parsing', () => {
    refusedBeforeParsing(OKTA.replace('<md:EntityDescriptor', '<!ENTITY x "y"><md:EntityDescriptor'), 'doctype_refused');
  });

  it('refuses a processing instruction after the XML declaration, inside the document, or instead of it', () => {
    const stylesheet = OKTA.replace(/^(<\?xml[^>]*>)/, '$1<?xml-stylesheet href="https://evil.example/x.xsl"?>');
    expect(refusedBeforeParsing(stylesheet, 'doctype_refused').message).toContain('<?xml-stylesheet');
    refusedBeforeParsing(OKTA.replace('<md:NameIDFormat>', '<?php echo 1; ?><md:NameIDFormat>'), 'doctype_refused');
    // The declaration is only allowed at the very start (leading whitespace from a paste is trimmed).
    refusedBeforeParsing(`<!-- exported -->${OKTA}`, 'doctype_refused');
    expect(parseIdpMetadata(`\n\n  ${OKTA}`, { now: NOW }).entityId).toBe('http://www.okta.com/exkdoocxa1VmjpXmX697');
  });

  it('refuses an oversize document before parsing', () => {
    const big = OKTA.replace('<md:NameIDFormat>', `<!--${' '.repeat(MAX_METADATA_BYTES)}--><md:NameIDFormat>`);
    const error = refusedBeforeParsing(big, 'too_large');
    expect(error.status).toBe(413);
    // Multi-byte characters count as bytes, not characters.
    refusedBeforeParsing(OKTA.replace('<md:NameIDFormat>', `<!--${'é'.repeat(MAX_METADATA_BYTES / 2)}--><md:NameIDFormat>`), 'too_large');
  });

  it('refuses a small document with too many elements before parsing (xmldom CPU cost)', () => {
    refusedBeforeParsing(OKTA.replace('<md:NameIDFormat>', `${'<x/>'.repeat(60_000)}<md:NameIDFormat>`), 'too_large');
  });

  it('does not take an xmldsig certificate from outside the KeyDescriptor', () => {
    const outside = OKTA.replace(/<md:KeyDescriptor[\s\S]*<\/md:KeyDescriptor>/, '').replace(
      '</md:IDPSSODescriptor>',
      `<md:Extensions xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Certificate>${OKTA_CERT}</ds:X509Certificate></md:Extensions></md:IDPSSODescriptor>`,
    );
    expect(catchError(() => parseIdpMetadata(outside, { now: NOW })).code).toBe('no_signing_certificate');
  });
});
