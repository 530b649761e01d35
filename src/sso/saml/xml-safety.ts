import { MetadataError } from './metadata.errors.ts';

/**
 * Checks on the raw text of a metadata document, made before any XML parser sees it: its size, how much
 * markup it has, and no DOCTYPE or processing instruction (DESIGN.md "Security rules").
 */

/** The largest document read. Federation aggregates reach ~1.5 MB; one IdP's metadata is a few KB. */
export const MAX_METADATA_BYTES = 5 * 1024 * 1024;
/**
 * The most markup (`<` characters) read. xmldom blocks the event loop ~14 s on 5 MB of empty elements,
 * and more on deep nesting; 50,000 costs under a second and is 5x the 172-entity SWITCHaai aggregate (9,895).
 */
export const MAX_METADATA_MARKUP = 50_000;

/** Refuses (`too_large`) a document past MAX_METADATA_BYTES in UTF-8, or with more than MAX_METADATA_MARKUP tags. */
export function refuseOversize(xml: string): void {
  if (xml.length > MAX_METADATA_BYTES || Buffer.byteLength(xml, 'utf8') > MAX_METADATA_BYTES) {
    throw new MetadataError(
      'too_large',
      `The metadata is larger than ${MAX_METADATA_BYTES / 1024 / 1024} MB. An IdP's metadata is a few KB; ` +
        'for a federation aggregate, download the metadata of your IdP alone.',
    );
  }
  let markup = 0;
  for (let at = xml.indexOf('<'); at !== -1; at = xml.indexOf('<', at + 1)) {
    if (++markup > MAX_METADATA_MARKUP) {
      throw new MetadataError(
        'too_large',
        `The metadata has more than ${MAX_METADATA_MARKUP} XML tags. An IdP's metadata has a few dozen; ` +
          'for a federation aggregate, download the metadata of your IdP alone.',
      );
    }
  }
}

/**
 * DESIGN.md "Security rules": DOCTYPE and processing instructions are refused before the XML is parsed.
 * A DTD is what carries entity expansion ("billion laughs") and external entities (XXE); no metadata
 * needs one. A processing instruction is read differently by different XML tools. Only the XML
 * declaration at the very start is allowed. The scan is on the raw text, so a `<!DOCTYPE` or `<?` inside a
 * comment or CDATA is refused too: no real metadata has one.
 */
export function refuseDoctypeAndProcessingInstructions(text: string): void {
  const found = scanForbiddenMarkup(text);
  if (!found) return;
  if (found.kind === 'dtd') {
    throw new MetadataError(
      'doctype_refused',
      found.html
        ? 'This is a web page (<!DOCTYPE html>), not SAML metadata. Download the metadata XML from your identity provider.'
        : `The document contains a <!${found.keyword}> declaration. SAML metadata never needs one, and ` +
            'it can be used to attack the XML reader (entity expansion, external entities), so it is refused.',
    );
  }
  throw new MetadataError(
    'doctype_refused',
    `The document contains a processing instruction (<?${found.target} …?>). SAML metadata never ` +
      'needs one (only the <?xml …?> declaration at the very start is allowed), so it is refused.',
  );
}

/**
 * The same rule for SAML responses, as a value: what forbidden markup the text holds (a DTD or a
 * processing instruction other than the leading XML declaration), or undefined when it holds none.
 */
export function forbiddenMarkup(text: string): string | undefined {
  const found = scanForbiddenMarkup(text);
  if (!found) return undefined;
  return found.kind === 'dtd' ? `<!${found.keyword}>` : `a processing instruction (<?${found.target}?>)`;
}

type ForbiddenMarkup = { kind: 'dtd'; keyword: string; html: boolean } | { kind: 'pi'; target: string };

/** The one scan behind both: the first DTD declaration, else the first processing instruction after the XML declaration. */
function scanForbiddenMarkup(text: string): ForbiddenMarkup | undefined {
  const dtd = /<!(DOCTYPE|ENTITY)\b/i.exec(text);
  if (dtd) return { kind: 'dtd', keyword: dtd[1]!.toUpperCase(), html: /^<!DOCTYPE\s+html\b/i.test(text.slice(dtd.index)) };
  for (const pi of text.matchAll(/<\?/g)) {
    if (pi.index === 0 && /^<\?xml\s/.test(text)) continue; // the XML declaration
    return { kind: 'pi', target: (/^<\?([^\s?]*)/.exec(text.slice(pi.index))?.[1] ?? '').slice(0, 40) };
  }
  return undefined;
}
