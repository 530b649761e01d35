import type { ActivityEvent } from '../../events/activity.ts';
import type { ActivityNames } from './activity-names.ts';

const DETAIL_LABELS: Record<string, string> = {
  reason: 'Reason code',
  detail: 'What went wrong',
  reference: 'Reference shown to the person',
  client_id: 'Application',
  method: 'Method',
  source: 'Source',
};

const quoted = (name: string) => `“${name}”`;

/** Who did it, as the meta line says ("by …"). */
export function actorLabel(event: ActivityEvent, names: ActivityNames): string {
  const id = event.actor.id ?? '';
  switch (event.actor.type) {
    case 'user': return names.users.get(id)?.name ?? 'A person no longer in Gatehouse';
    case 'api_key': return names.apiKeys.has(id) ? `API key ${quoted(names.apiKeys.get(id)!)}` : 'The management API';
    case 'directory': {
      const found = names.directories.get(id);
      return found ? `Directory sync (${found.provider})` : 'Directory sync';
    }
    case 'portal': return 'Your IT admin, in the setup wizard';
    case 'operator': return 'The operator (command line)';
    default: return 'Gatehouse';
  }
}

/** " by Ada Lovelace", " through the API"...: the actor inside a sentence, empty when Gatehouse did it. */
export function byPhrase(event: ActivityEvent, names: ActivityNames): string {
  switch (event.actor.type) {
    case 'user': return ` by ${actorLabel(event, names)}`;
    case 'api_key': return ' through the management API';
    case 'directory': return ' by directory sync';
    case 'portal': return ' in the setup wizard';
    case 'operator': return ' by the operator';
    default: return '';
  }
}

/** Everything the event recorded, labelled: ids stay as ids (they are what support and the API use). */
export function eventDetails(event: ActivityEvent, names: ActivityNames): Array<{ label: string; value: string }> {
  const out = [{ label: 'Event', value: event.type }, { label: 'Event id', value: event.id }];
  // An actor's id says its kind by its prefix (user_, key_, dir_); without one, the kind is all there is.
  out.push({ label: 'Actor', value: event.actor.id ?? event.actor.type });
  for (const [key, value] of Object.entries(event.data)) {
    if (value === undefined || value === null || value === '') continue;
    const label = DETAIL_LABELS[key] ?? key.charAt(0).toUpperCase() + key.slice(1).replace(/_/g, ' ').replace(/\bid\b/, 'id');
    let text = typeof value === 'string' ? value : JSON.stringify(value);
    if (key === 'client_id' && names.clients.has(String(value))) text = `${names.clients.get(String(value))} (${String(value)})`;
    out.push({ label, value: text });
  }
  return out;
}
