import { DAY_MS } from '../clock.ts';

export { formatDate, formatTime } from '../http/time-format.ts';

/** Whole days from now until `iso`, rounded down (negative once past). */
export const daysUntil = (iso: string, now: Date): number => Math.floor((Date.parse(iso) - now.getTime()) / DAY_MS);
