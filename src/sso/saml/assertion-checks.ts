import type { AssertionFacts, BearerConfirmation } from './assertion-facts.ts';

/**
 * The checks node-saml 5 does not make, on values read from the verified assertion (DESIGN.md Security
 * rules): issuer, Response Destination, a bearer SubjectConfirmation with Recipient = ACS URL and an
 * unexpired NotOnOrAfter, the time window with clock skew, and audience (again, for a typed reason).
 */
export type AssertionRefusal =
  | 'issuer_mismatch' | 'destination_mismatch' | 'audience_mismatch' | 'bearer_missing' | 'recipient_mismatch'
  | 'expired' | 'not_yet_valid' | 'in_response_to_mismatch' | 'assertion_id_missing';

export interface Expected {
  idpEntityId: string;
  spEntityId: string;
  acsUrl: string;
  now: Date;
  skewMs: number;
}

export type CheckResult =
  | { ok: true; inResponseTo: string | null; replayUntil: string }
  | { ok: false; reason: AssertionRefusal; detail: string };

export function checkAssertion(facts: AssertionFacts, expected: Expected): CheckResult {
  const now = expected.now.getTime();
  const refuse = (reason: AssertionRefusal, detail: string): CheckResult => ({ ok: false, reason, detail });

  if (!facts.assertionId) return refuse('assertion_id_missing', 'The assertion has no ID.');
  if (facts.issuer !== expected.idpEntityId) {
    return refuse('issuer_mismatch', `The assertion's Issuer is "${facts.issuer ?? '(none)'}"; the connection expects "${expected.idpEntityId}".`);
  }
  if (facts.responseIssuer !== null && facts.responseIssuer !== expected.idpEntityId) {
    return refuse('issuer_mismatch', `The response's Issuer is "${facts.responseIssuer}"; the connection expects "${expected.idpEntityId}".`);
  }
  if (facts.responseDestination !== expected.acsUrl) {
    return refuse('destination_mismatch', `The response's Destination is "${facts.responseDestination ?? '(none)'}"; it must be the ACS URL ${expected.acsUrl}.`);
  }
  if (!facts.audiences.includes(expected.spEntityId)) {
    return refuse('audience_mismatch', `The assertion's audience is ${facts.audiences.map((a) => `"${a}"`).join(', ') || '(none)'}; it must be the SP entity id ${expected.spEntityId}.`);
  }

  const time = (value: string | null) => (value === null ? undefined : Date.parse(value));
  const notBefore = time(facts.notBefore);
  const notOnOrAfter = time(facts.notOnOrAfter);
  if (Number.isNaN(notBefore) || Number.isNaN(notOnOrAfter)) return refuse('expired', 'The assertion has an unreadable NotBefore or NotOnOrAfter.');
  if (notBefore !== undefined && now + expected.skewMs < notBefore) {
    return refuse('not_yet_valid', `The assertion is valid from ${facts.notBefore}; it is ${expected.now.toISOString()} here. Check the IdP's clock.`);
  }
  if (notOnOrAfter !== undefined && now - expected.skewMs >= notOnOrAfter) {
    return refuse('expired', `The assertion expired at ${facts.notOnOrAfter}; it is ${expected.now.toISOString()} here.`);
  }

  if (facts.bearer.length === 0) return refuse('bearer_missing', 'The assertion has no bearer SubjectConfirmation.');
  const confirmation = facts.bearer.find((b) => b.recipient === expected.acsUrl);
  if (!confirmation) {
    return refuse('recipient_mismatch', `The bearer confirmation's Recipient is ${facts.bearer.map((b) => `"${b.recipient ?? '(none)'}"`).join(', ')}; it must be the ACS URL ${expected.acsUrl}.`);
  }
  const confirmationProblem = checkConfirmationTime(confirmation, now, expected);
  if (confirmationProblem) return confirmationProblem;

  // The signed assertion's InResponseTo is the one that counts; an unsigned Response around it must agree.
  if (confirmation.inResponseTo && facts.responseInResponseTo && confirmation.inResponseTo !== facts.responseInResponseTo) {
    return refuse('in_response_to_mismatch', 'The response and its assertion answer different requests (InResponseTo differs).');
  }
  const until = Math.max(notOnOrAfter ?? 0, Date.parse(confirmation.notOnOrAfter!)) + expected.skewMs;
  return { ok: true, inResponseTo: confirmation.inResponseTo ?? facts.responseInResponseTo, replayUntil: new Date(until).toISOString() };
}

function checkConfirmationTime(confirmation: BearerConfirmation, now: number, expected: Expected): CheckResult | undefined {
  if (!confirmation.notOnOrAfter) {
    return { ok: false, reason: 'bearer_missing', detail: 'The bearer SubjectConfirmationData has no NotOnOrAfter.' };
  }
  const notOnOrAfter = Date.parse(confirmation.notOnOrAfter);
  if (Number.isNaN(notOnOrAfter) || now - expected.skewMs >= notOnOrAfter) {
    return { ok: false, reason: 'expired', detail: `The bearer confirmation expired at ${confirmation.notOnOrAfter}; it is ${expected.now.toISOString()} here.` };
  }
  const notBefore = confirmation.notBefore ? Date.parse(confirmation.notBefore) : undefined;
  if (notBefore !== undefined && (Number.isNaN(notBefore) || now + expected.skewMs < notBefore)) {
    return { ok: false, reason: 'not_yet_valid', detail: `The bearer confirmation is valid from ${confirmation.notBefore}.` };
  }
  return undefined;
}
