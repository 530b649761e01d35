import type { Executor } from '../../db/database.ts';
import { formatTime } from '../portal-format.ts';

export const RECENT_SYNC_EVENTS = 20;

export interface SyncActivity {
  id: string;
  time: string;
  tone: 'success' | 'info' | 'warning' | 'danger';
  text: string;
}

/**
 * The org's last 20 `dsync.*` events, newest first, in words. The activity log's own reader (listEvents)
 * pages oldest first after a cursor; the wizard wants the tail, so it reads it here.
 */
export async function recentSyncActivity(db: Executor, organizationId: string): Promise<SyncActivity[]> {
  const rows = await db
    .selectFrom('events')
    .select(['id', 'type', 'data', 'created_at'])
    .where('organization_id', '=', organizationId)
    .where('type', 'like', 'dsync.%')
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(RECENT_SYNC_EVENTS)
    .execute();
  return rows.map((row) => ({ id: row.id, time: formatTime(row.created_at), ...describe(row.type, JSON.parse(row.data) as Record<string, unknown>) }));
}

function describe(type: string, data: Record<string, unknown>): Pick<SyncActivity, 'tone' | 'text'> {
  const user = String(data.user_name ?? 'A person');
  const group = String(data.display_name ?? 'A group');
  switch (type) {
    case 'dsync.user.created': return { tone: 'success', text: `${user} was provisioned` };
    case 'dsync.user.updated': return { tone: 'info', text: `${user} was updated` };
    case 'dsync.user.disabled': return { tone: 'warning', text: `${user} was deactivated` };
    case 'dsync.user.enabled': return { tone: 'success', text: `${user} was reactivated` };
    case 'dsync.user.deleted': return { tone: 'warning', text: `${user} was removed by the directory` };
    case 'dsync.user.refused': return { tone: 'danger', text: `${user} was refused: ${String(data.reason ?? 'no reason given')}` };
    case 'dsync.group.created': return { tone: 'success', text: `Group ${group} was created` };
    case 'dsync.group.updated': {
      const added = Number(data.members_added ?? 0);
      const removed = Number(data.members_removed ?? 0);
      const changes = [added ? `${added} added` : '', removed ? `${removed} removed` : ''].filter(Boolean).join(', ');
      return { tone: 'info', text: `Group ${group} was updated${changes ? ` (${changes})` : ''}` };
    }
    case 'dsync.group.deleted': return { tone: 'warning', text: `Group ${group} was deleted` };
    default: return { tone: 'info', text: type };
  }
}
