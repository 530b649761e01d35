import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/clock.ts';
import { thresholdLabel } from '../../src/monitor/check-report.ts';
import { daysUntil, describeExpiry, lessUrgent, reachedThreshold } from '../../src/monitor/thresholds.ts';

const NOW = new Date('2026-12-01T09:00:00.000Z');
const after = (ms: number) => new Date(NOW.getTime() + ms);
const HOUR = 3_600_000;

describe('certificate expiry thresholds', () => {
  it('picks the most urgent threshold reached: 90, 60, 30, 14, 7, 3 and 1 days before notAfter', () => {
    const cases: Array<[number, string | undefined]> = [
      [90 * DAY_MS + 1, undefined], [90 * DAY_MS, '90d'], [89 * DAY_MS, '90d'], [60 * DAY_MS, '60d'], [29 * DAY_MS, '30d'], [13 * DAY_MS, '14d'],
      [6 * DAY_MS, '7d'], [3 * DAY_MS, '3d'], [2 * DAY_MS, '3d'], [DAY_MS, '1d'], [12 * HOUR, '1d'], [0, '1d'],
    ];
    for (const [remaining, key] of cases) expect(reachedThreshold(after(remaining), NOW)?.key, `${remaining / HOUR} h left`).toBe(key);
  });

  it('is expired just after notAfter (RFC 5280: notAfter itself is valid), then once a week', () => {
    expect(reachedThreshold(after(-1), NOW)).toEqual({ key: 'expired', rank: 7, expired: true });
    expect(reachedThreshold(after(-7 * DAY_MS + 1), NOW)?.key).toBe('expired');
    expect(reachedThreshold(after(-7 * DAY_MS), NOW)?.key).toBe('expired+1w');
    expect(reachedThreshold(after(-30 * DAY_MS), NOW)).toEqual({ key: 'expired+4w', rank: 11, expired: true });
  });

  it('covers every less urgent threshold when one is sent', () => {
    expect(lessUrgent(reachedThreshold(after(5 * DAY_MS), NOW)!)).toEqual(['90d', '60d', '30d', '14d']);
    expect(lessUrgent(reachedThreshold(after(89 * DAY_MS), NOW)!)).toEqual([]);
    expect(lessUrgent(reachedThreshold(after(-15 * DAY_MS), NOW)!)).toEqual(['90d', '60d', '30d', '14d', '7d', '3d', '1d', 'expired', 'expired+1w']);
  });

  it('says when, exactly and in words', () => {
    expect(describeExpiry(after(13 * DAY_MS + HOUR), NOW)).toBe('in 13 days, on 2026-12-14 10:00 UTC');
    expect(describeExpiry(after(DAY_MS), NOW)).toBe('in 1 day, on 2026-12-02 09:00 UTC');
    expect(describeExpiry(after(12 * HOUR), NOW)).toBe('in 12 hours, on 2026-12-01 21:00 UTC');
    expect(describeExpiry(after(90_000), NOW)).toBe('in 1 minute, on 2026-12-01 09:01 UTC');
    expect(describeExpiry(after(-2 * DAY_MS), NOW)).toBe('2 days ago, on 2026-11-29 09:00 UTC');
    expect([daysUntil(after(13 * DAY_MS + HOUR), NOW), daysUntil(after(12 * HOUR), NOW), daysUntil(after(-36 * HOUR), NOW)]).toEqual([13, 0, -2]);
  });

  it('names thresholds for the CLI', () => {
    expect(['90d', '1d', 'expired', 'expired+1w', 'expired+3w'].map(thresholdLabel)).toEqual(['90-day alert', '1-day alert', 'expiry alert', '1-week-expired alert', '3-weeks-expired alert']);
  });
});
