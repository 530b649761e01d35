import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Bearer tokens (API keys, SCIM tokens, portal links, invitations) are `<kind>_<lookup>_<secret>`.
 * Only the lookup part (not secret) and a SHA-256 of the whole token are stored. SHA-256 without
 * salt is right here: the token carries 256 random bits, so there is nothing to brute-force.
 */
export interface IssuedToken {
  token: string;
  lookup: string;
  hash: string;
}

export function issueToken(kind: string): IssuedToken {
  const lookup = randomBytes(9).toString('base64url');
  const secret = randomBytes(32).toString('base64url');
  const token = `${kind}_${lookup}_${secret}`;
  return { token, lookup, hash: hashToken(token) };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The lookup part of a token of this kind, or undefined when the token is not of that shape. */
export function tokenLookup(kind: string, token: string): string | undefined {
  const match = new RegExp(`^${kind}_([A-Za-z0-9_-]{12})_[A-Za-z0-9_-]{43}$`).exec(token);
  return match?.[1];
}

/** Constant-time check of a presented token against a stored hash. */
export function tokenMatches(token: string, storedHash: string): boolean {
  const presented = Buffer.from(hashToken(token), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

export function randomString(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}
