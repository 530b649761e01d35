import { DAY_MS } from '../clock.ts';

/**
 * When a certificate is worth a warning: 90, 60, 30, 14, 7, 3 and 1 days before its notAfter, then every
 * week once it has expired. Each threshold has a rank; a check sends only the most urgent threshold
 * reached, and marks the less urgent ones it skipped as covered.
 */
export const THRESHOLD_DAYS = [90, 60, 30, 14, 7, 3, 1] as const;
const WEEK_MS = 7 * DAY_MS;
const HOUR_MS = 3_600_000;

export interface Threshold {
  /** `90d` … `1d`, `expired`, `expired+1w`, `expired+2w`, … (stored in certificate_alerts). */
  key: string;
  /** 0 for 90d, 6 for 1d, 7 for expired, 7 + n for expired+nw. */
  rank: number;
  expired: boolean;
}

function keyOf(rank: number): string {
  if (rank < THRESHOLD_DAYS.length) return `${THRESHOLD_DAYS[rank]}d`;
  const weeks = rank - THRESHOLD_DAYS.length;
  return weeks === 0 ? 'expired' : `expired+${weeks}w`;
}

/**
 * The most urgent threshold reached at `now`, or undefined while more than 90 days remain. RFC 5280
 * §4.1.2.5: the notAfter instant itself is still valid, so "expired" starts just after it.
 */
export function reachedThreshold(notAfter: Date, now: Date): Threshold | undefined {
  const remaining = notAfter.getTime() - now.getTime();
  if (remaining < 0) {
    const rank = THRESHOLD_DAYS.length + Math.floor(-remaining / WEEK_MS);
    return { key: keyOf(rank), rank, expired: true };
  }
  // THRESHOLD_DAYS runs from least to most urgent: the last one reached is the most urgent.
  let rank = -1;
  THRESHOLD_DAYS.forEach((days, i) => {
    if (remaining <= days * DAY_MS) rank = i;
  });
  return rank < 0 ? undefined : { key: keyOf(rank), rank, expired: false };
}

/** The thresholds less urgent than `threshold`: recorded as covered when it is sent. */
export function lessUrgent(threshold: Threshold): string[] {
  return Array.from({ length: threshold.rank }, (_, rank) => keyOf(rank));
}

/** Whole days left (negative once expired): 12 hours left is 0, 36 hours ago is -2. */
export function daysUntil(notAfter: Date, now: Date): number {
  return Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
}

/** "2027-01-14 10:00 UTC". */
export function utcMinute(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;

function span(ms: number): string {
  if (ms >= DAY_MS) return plural(Math.floor(ms / DAY_MS), 'day');
  if (ms >= HOUR_MS) return plural(Math.floor(ms / HOUR_MS), 'hour');
  return plural(Math.max(1, Math.floor(ms / 60_000)), 'minute');
}

/** "in 13 days", "in 12 hours", or "3 days ago". */
export function relativeTime(notAfter: Date, now: Date): string {
  const remaining = notAfter.getTime() - now.getTime();
  return remaining >= 0 ? `in ${span(remaining)}` : `${span(-remaining)} ago`;
}

/** "in 13 days, on 2027-01-14 10:00 UTC", "in 12 hours, on …", or "3 days ago, on …". */
export function describeExpiry(notAfter: Date, now: Date): string {
  return `${relativeTime(notAfter, now)}, on ${utcMinute(notAfter)}`;
}
