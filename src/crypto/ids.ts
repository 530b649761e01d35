import { randomBytes } from 'node:crypto';

/** Prefixes from DESIGN.md "Identifiers". */
export type IdPrefix =
  | 'org' | 'dom' | 'itc' | 'user' | 'mem' | 'site' | 'sa' | 'inv' | 'conn'
  | 'dir' | 'grp' | 'evt' | 'key' | 'cli' | 'wh' | 'mail'
  // Not in DESIGN.md's list: a directory's SCIM user resource, and a group mapping row.
  | 'dsu' | 'gmap' | 'whd'
  // An IdP signing certificate of a connection, an IdP identity link, an SP key, a login ticket.
  | 'cert' | 'idn' | 'spk' | 'tkt'
  // A portal (setup wizard) link and the session it opened.
  | 'plink' | 'psess';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

let lastTime = 0;
let lastRandom: Uint8Array = new Uint8Array(10);

function encode(bytes: Uint8Array): string {
  // 16 bytes = 128 bits -> 26 base32 characters (the first carries 3 bits), ULID layout.
  let bits = 0n;
  for (const b of bytes) bits = (bits << 8n) | BigInt(b);
  let out = '';
  for (let i = 0; i < 26; i++) {
    out = CROCKFORD[Number(bits & 31n)] + out;
    bits >>= 5n;
  }
  return out;
}

function increment(random: Uint8Array): Uint8Array {
  const next = Uint8Array.from(random);
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i]! < 255) {
      next[i]! += 1;
      return next;
    }
    next[i] = 0;
  }
  return next;
}

/**
 * A prefixed, monotonic ULID: 48 bits of milliseconds then 80 random bits. Ids sort by creation, so
 * cursor pagination is `id > cursor ORDER BY id` with no separate timestamp column.
 */
export function newId(prefix: IdPrefix): string {
  const now = Date.now();
  if (now <= lastTime) {
    lastRandom = increment(lastRandom);
  } else {
    lastTime = now;
    lastRandom = new Uint8Array(randomBytes(10));
  }
  const bytes = new Uint8Array(16);
  const time = BigInt(lastTime);
  for (let i = 0; i < 6; i++) bytes[i] = Number((time >> BigInt(8 * (5 - i))) & 0xffn);
  bytes.set(lastRandom, 6);
  return `${prefix}_${encode(bytes)}`;
}

export function isId(prefix: IdPrefix, value: unknown): value is string {
  return typeof value === 'string' && new RegExp(`^${prefix}_[0-9A-HJKMNP-TV-Z]{26}$`).test(value);
}
