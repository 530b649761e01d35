import type { Call } from '../context.ts';
import { newId } from '../crypto/ids.ts';
import type { Executor } from '../db/database.ts';
import type { ItContact } from '../db/schema.ts';
import { recordEvent } from '../events/activity.ts';
import { AppError, conflict, fieldInvalid, notFound } from '../http/errors.ts';
import { cancelMail, enqueueMail } from '../mail/outbox.ts';
import { getOrganization } from './organizations.service.ts';

export const MAX_IT_CONTACTS = 20;

export interface ItContactView {
  id: string;
  organization_id: string;
  email: string;
  name: string | null;
  user_id: string | null;
  synced: boolean;
  created_at: string;
}

type ContactRow = ItContact & { mail_status: string | null };

export function toItContactView(row: ContactRow): ItContactView {
  return {
    id: row.id,
    organization_id: row.organization_id,
    email: row.email,
    name: row.name,
    user_id: row.user_id,
    // Synced once the mail transport accepted the "you are an IT contact" notice.
    synced: row.mail_status === 'sent',
    created_at: row.created_at,
  };
}

function contactsQuery(db: Executor) {
  return db
    .selectFrom('it_contacts')
    .leftJoin('mail_outbox', 'mail_outbox.id', 'it_contacts.notice_mail_id')
    .selectAll('it_contacts')
    .select('mail_outbox.status as mail_status');
}

export async function listItContacts(db: Executor, organizationId: string): Promise<ContactRow[]> {
  return contactsQuery(db).where('it_contacts.organization_id', '=', organizationId).orderBy('it_contacts.id').execute();
}

export async function getItContact(db: Executor, id: string): Promise<ContactRow> {
  const row = await contactsQuery(db).where('it_contacts.id', '=', id).executeTakeFirst();
  if (!row) throw notFound('IT contact', id);
  return row;
}

export type ItContactInput = { user_id: string } | { email: string; name?: string | null };

export async function addItContact(db: Executor, { ctx, actor }: Call, organizationId: string, input: ItContactInput): Promise<ContactRow> {
  const org = await getOrganization(db, organizationId);
  let email: string;
  let name: string | null;
  let userId: string | null = null;
  if ('user_id' in input) {
    // idor check: the person must be a member of this org, not just any user.
    const member = await db
      .selectFrom('memberships')
      .innerJoin('users', 'users.id', 'memberships.user_id')
      .select(['users.id', 'users.email', 'users.first_name', 'users.last_name'])
      .where('memberships.organization_id', '=', organizationId)
      .where('memberships.user_id', '=', input.user_id)
      .executeTakeFirst();
    if (!member) throw fieldInvalid('user_id', 'not_a_member', `User ${input.user_id} is not a member of this organization.`);
    email = member.email;
    name = [member.first_name, member.last_name].filter(Boolean).join(' ') || null;
    userId = member.id;
  } else {
    email = input.email.toLowerCase();
    name = input.name?.trim() || null;
  }
  const count = await db.selectFrom('it_contacts').select((eb) => eb.fn.countAll<number>().as('n')).where('organization_id', '=', organizationId).executeTakeFirstOrThrow();
  if (Number(count.n) >= MAX_IT_CONTACTS) {
    throw new AppError(422, 'it_contact_limit', `An organization can have at most ${MAX_IT_CONTACTS} IT contacts; remove one before adding another.`);
  }
  const duplicate = await db.selectFrom('it_contacts').select('id').where('organization_id', '=', organizationId).where('email', '=', email).executeTakeFirst();
  if (duplicate) throw conflict('it_contact_exists', `${email} is already an IT contact of this organization (${duplicate.id}).`);

  const id = newId('itc');
  const mail = ctx.templates.render('it-contact-notice', { name, organization: org.name });
  const mailId = await enqueueMail(db, ctx.clock, ctx.box, {
    kind: 'it_contact_notice',
    organizationId,
    to: email,
    subject: `You are an IT contact for ${org.name}`,
    ...mail,
  });
  const row: ItContact = { id, organization_id: organizationId, email, name, user_id: userId, notice_mail_id: mailId, created_at: ctx.clock.now().toISOString() };
  await db.insertInto('it_contacts').values(row).execute();
  await recordEvent(db, ctx.clock, { type: 'it_contact.created', organizationId, actor, data: { it_contact_id: id, email } });
  return { ...row, mail_status: 'pending' };
}

/** Removal is immediate and complete: the row goes, and a notice not yet sent is cancelled. */
export async function removeItContact(db: Executor, { ctx, actor }: Call, id: string): Promise<void> {
  const contact = await getItContact(db, id);
  if (contact.notice_mail_id) await cancelMail(db, contact.notice_mail_id);
  await db.deleteFrom('it_contacts').where('id', '=', id).execute();
  await recordEvent(db, ctx.clock, { type: 'it_contact.deleted', organizationId: contact.organization_id, actor, data: { it_contact_id: id, email: contact.email } });
}
