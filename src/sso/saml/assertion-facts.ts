import type { Element } from '@xmldom/xmldom';

const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

/** A bearer SubjectConfirmation's data, as the IdP wrote it. */
export interface BearerConfirmation {
  recipient: string | null;
  notOnOrAfter: string | null;
  notBefore: string | null;
  inResponseTo: string | null;
}

/**
 * Plain values from one verified assertion (and, marked `response…`, from the Response around it, which
 * is covered by the signature only when the IdP signed the whole response). Structured-clone safe: this
 * crosses from the validation worker to the main thread.
 */
export interface AssertionFacts {
  responseIssuer: string | null;
  responseDestination: string | null;
  responseInResponseTo: string | null;
  assertionId: string;
  issuer: string | null;
  issueInstant: string | null;
  notBefore: string | null;
  notOnOrAfter: string | null;
  audiences: string[];
  bearer: BearerConfirmation[];
  nameId: string;
  nameIdFormat: string | null;
  sessionIndex: string | null;
  /** Attribute values by Name, read as full text content (a comment inside a value does not cut it). */
  attributes: Record<string, string[]>;
}

/**
 * Reads the facts. Text is read with textContent, which joins every text node of an element and skips
 * comments: `victim@acme.test<!---->.evil.test` reads as `victim@acme.test.evil.test`, which is what
 * the signature covered (exclusive c14n drops comments), never the first text node alone.
 */
export function readAssertionFacts(assertion: Element, response: Element): AssertionFacts {
  const subject = child(assertion, 'Subject');
  const nameId = subject ? child(subject, 'NameID') : undefined;
  const conditions = child(assertion, 'Conditions');
  const audiences = conditions
    ? children(conditions, 'AudienceRestriction').flatMap((r) => children(r, 'Audience').map((a) => text(a)))
    : [];
  const bearer = subject
    ? children(subject, 'SubjectConfirmation')
        .filter((c) => c.getAttribute('Method') === BEARER)
        .map((c) => {
          const data = child(c, 'SubjectConfirmationData');
          return {
            recipient: data?.getAttribute('Recipient') || null,
            notOnOrAfter: data?.getAttribute('NotOnOrAfter') || null,
            notBefore: data?.getAttribute('NotBefore') || null,
            inResponseTo: data?.getAttribute('InResponseTo') || null,
          };
        })
    : [];
  const attributes: Record<string, string[]> = {};
  for (const statement of children(assertion, 'AttributeStatement')) {
    for (const attribute of children(statement, 'Attribute')) {
      const name = attribute.getAttribute('Name');
      if (!name) continue;
      (attributes[name] ??= []).push(...children(attribute, 'AttributeValue').map((v) => text(v)));
    }
  }
  const responseIssuer = child(response, 'Issuer');
  const issuer = child(assertion, 'Issuer');
  return {
    responseIssuer: responseIssuer ? text(responseIssuer) : null,
    responseDestination: response.getAttribute('Destination') || null,
    responseInResponseTo: response.getAttribute('InResponseTo') || null,
    assertionId: assertion.getAttribute('ID') ?? '',
    issuer: issuer ? text(issuer) : null,
    issueInstant: assertion.getAttribute('IssueInstant') || null,
    notBefore: conditions?.getAttribute('NotBefore') || null,
    notOnOrAfter: conditions?.getAttribute('NotOnOrAfter') || null,
    audiences,
    bearer,
    nameId: nameId ? text(nameId) : '',
    nameIdFormat: nameId?.getAttribute('Format') || null,
    sessionIndex: child(assertion, 'AuthnStatement')?.getAttribute('SessionIndex') || null,
    attributes,
  };
}

function children(parent: Element, localName: string): Element[] {
  const found: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    const element = node as Element;
    if (node.nodeType === 1 && element.localName === localName && element.namespaceURI === SAML) found.push(element);
  }
  return found;
}

function child(parent: Element, localName: string): Element | undefined {
  return children(parent, localName)[0];
}

function text(element: Element): string {
  return (element.textContent ?? '').trim();
}
