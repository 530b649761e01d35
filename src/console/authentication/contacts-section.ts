import type { Context } from 'koa';
import type { Executor } from '../../db/database.ts';
import { AppError, notFound } from '../../http/errors.ts';
import { addItContact, getItContact, type ItContactInput, listItContacts, MAX_IT_CONTACTS, removeItContact, toItContactView } from '../../orgs/it-contacts.service.ts';
import { findMembership, fullName, getUser, searchMembers } from '../../users/users.repository.ts';
import { adminCall, adminOf, type ConsoleAdmin, formField, ownedBy, queryField } from '../console-admin.ts';
import type { ConsoleRouter } from '../console.router.ts';
import { goneTo } from '../gone.ts';
import { AUTHENTICATION_PATH } from '../console-view.ts';
import { renderAuthentication, type SectionForm } from './authentication.page.ts';
import { contactLabel, type ContactFields, readContactForm } from './contacts-form.ts';

export const IT_CONTACTS_PATH = `${AUTHENTICATION_PATH}/it-contacts`;
/** The member search is a GET field of the Authentication page itself, so it works without JavaScript. */
export const CONTACT_SEARCH_PARAM = 'contact_search';
const SEARCH_RESULTS = 8;
const SECTION = `${AUTHENTICATION_PATH}#it-contacts`;

/** The IT contacts section of the Authentication page (views/console/authentication/_contacts.njk). */
export async function loadContactsSection(db: Executor, admin: ConsoleAdmin, request: Context, form?: SectionForm) {
  const own = form?.section === 'contacts' ? form : undefined;
  const organizationId = admin.organization.id;
  const rows = await listItContacts(db, organizationId);
  const full = rows.length >= MAX_IT_CONTACTS;
  const q = (own ? own.values[CONTACT_SEARCH_PARAM] ?? '' : queryField(request, CONTACT_SEARCH_PARAM)).slice(0, 100);
  let search: { q: string; matches: Array<{ id: string; name: string | null; email: string; already: boolean }>; more: boolean } | null = null;
  if (q && !full) {
    // idor check: searchMembers reads memberships of this org only. It also matches full names ("Grace Hopper").
    const found = await searchMembers(db, organizationId, { q, limit: SEARCH_RESULTS });
    search = {
      q,
      matches: found.rows.map(({ user }) => ({
        id: user.id,
        name: fullName(user),
        email: user.email,
        already: rows.some((row) => row.user_id === user.id || row.email === user.email),
      })),
      more: found.next !== null,
    };
  }
  return {
    // "Synced" means what it means in the management API (toItContactView): the contact has been told, by
    // a delivered notice mail, that they are an IT contact. "Member" marks one added from a member's account.
    items: rows.map((row) => ({ id: row.id, name: row.name, email: row.email, synced: toItContactView(row).synced, member: row.user_id !== null })),
    count: rows.length,
    max: MAX_IT_CONTACTS,
    full,
    search_param: CONTACT_SEARCH_PARAM,
    search,
    values: own?.values ?? {},
    errors: own?.errors ?? {},
  };
}

/**
 * Add a member (POST it-contacts/members/:userId, from the search results), add an email with an
 * optional name (POST it-contacts), remove one (GET the question, POST the answer).
 */
export function registerContactsForms(consoleRouter: ConsoleRouter): void {
  const { router, page, form, deps } = consoleRouter;
  const { db, uow } = deps;

  /** Adds the contact, or re-renders the section with the service's refusal next to what was typed. */
  async function add(ctx: Context, input: ItContactInput, fields: ContactFields, errorField: 'member' | 'email') {
    try {
      const contact = await uow((trx) => addItContact(trx, adminCall(ctx, deps.ctx), adminOf(ctx).organization.id, input));
      consoleRouter.done(ctx, SECTION, `${contactLabel(contact)} is now an IT contact.`);
    } catch (err) {
      // Already a contact, or the 20th was added meanwhile: said where the admin was typing.
      if (!(err instanceof AppError) || (err.status !== 409 && err.status !== 422)) throw err;
      const message = err.code === 'it_contact_exists' ? `${fields.label} is already an IT contact.` : err.message;
      await renderAuthentication(consoleRouter, ctx, { section: 'contacts', values: fields.values, errors: { [errorField]: message } }, err.status);
    }
  }

  // A member who left the org meanwhile (or is not of this org) comes back to the section, saying so.
  router.post(`${IT_CONTACTS_PATH}/members/:userId`, ...form, goneTo(consoleRouter, SECTION, 'member'), async (ctx) => {
    const userId = ctx.params.userId!;
    const organizationId = adminOf(ctx).organization.id;
    // idor check: only a member of the admin's own org can be picked; anyone else reads as unknown.
    const membership = await findMembership(db, organizationId, userId);
    if (!membership) throw notFound('member', userId);
    const user = await getUser(db, userId);
    const label = contactLabel({ name: fullName(user), email: user.email });
    await add(ctx, { user_id: userId }, { label, values: { [CONTACT_SEARCH_PARAM]: formField(ctx, CONTACT_SEARCH_PARAM) } }, 'member');
  });

  router.post(IT_CONTACTS_PATH, ...form, async (ctx) => {
    const read = readContactForm(ctx);
    if ('errors' in read) {
      return renderAuthentication(consoleRouter, ctx, { section: 'contacts', values: read.values, errors: read.errors }, 422);
    }
    await add(ctx, read.input, read.fields, 'email');
  });

  async function ownContact(ctx: Context, executor: Executor = db) {
    const id = ctx.params.id!;
    // getItContact answers 404 for an unknown id, ownedBy the same for another org's.
    return ownedBy(ctx, await getItContact(executor, id), 'IT contact', id);
  }

  router.get(`${IT_CONTACTS_PATH}/:id/remove`, page, async (ctx) => {
    const contact = await ownContact(ctx);
    const count = (await listItContacts(db, contact.organization_id)).length;
    await consoleRouter.render(ctx, 'console/authentication/contacts-remove.njk', 'authentication', {
      contact: { id: contact.id, name: contact.name, email: contact.email, synced: toItContactView(contact).synced, member: contact.user_id !== null, label: contactLabel(contact) },
      last: count === 1,
      back: SECTION,
    });
  });

  router.post(`${IT_CONTACTS_PATH}/:id/remove`, ...form, goneTo(consoleRouter, SECTION, 'IT contact'), async (ctx) => {
    const contact = await uow(async (trx) => {
      const row = await ownContact(ctx, trx);
      await removeItContact(trx, adminCall(ctx, deps.ctx), row.id);
      return row;
    });
    consoleRouter.done(ctx, SECTION, `${contactLabel(contact)} is no longer an IT contact.`);
  });
}
