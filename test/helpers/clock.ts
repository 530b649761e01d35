import type { Clock } from '../../src/clock.ts';

/** A clock that stands still until a test moves it. */
export interface TestClock extends Clock {
  set(iso: string): void;
  advance(ms: number): void;
}

export function fixedClock(startIso = '2026-12-01T09:00:00.000Z'): TestClock {
  let now = Date.parse(startIso);
  return {
    now: () => new Date(now),
    set(iso) {
      now = Date.parse(iso);
    },
    advance(ms) {
      now += ms;
    },
  };
}
