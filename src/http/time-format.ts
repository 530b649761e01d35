/** Times on pages: "1 Dec 2026, 09:00 UTC" (the admin may be anywhere; UTC is what events and mail say). */
const TIME = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
const DATE = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'UTC' });

export const formatTime = (iso: string): string => `${TIME.format(new Date(iso))} UTC`;
export const formatDate = (iso: string): string => DATE.format(new Date(iso));
