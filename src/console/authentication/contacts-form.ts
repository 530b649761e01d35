import type { Context } from 'koa';
import { emailAddress } from '../../http/validate.ts';
import type { ItContactInput } from '../../orgs/it-contacts.service.ts';
import { formField } from '../console-admin.ts';

/** What the section re-renders with after a refusal: the values typed, and how to name the person. */
export interface ContactFields {
  label: string;
  values: Record<string, string>;
}

const NAME_MAX = 200;
const email = emailAddress();

/** "Ada Lovelace (ada@example.com)", or the address alone. */
export const contactLabel = (contact: { name: string | null; email: string }): string =>
  contact.name ? `${contact.name} (${contact.email})` : contact.email;

/**
 * The "add by email" form, checked by the rules the management API applies to the same fields
 * (src/api/schemas.ts itContactCreate), with messages written for the person at the form.
 */
export function readContactForm(ctx: Context): { input: ItContactInput; fields: ContactFields } | { values: Record<string, string>; errors: Record<string, string> } {
  const values = { email: formField(ctx, 'email'), name: formField(ctx, 'name') };
  const errors: Record<string, string> = {};
  const parsed = email.safeParse(values.email);
  if (!values.email) errors.email = 'Enter the email address of the IT contact.';
  else if (!parsed.success) errors.email = 'Enter an email address like it@example.com.';
  if (/[\x00-\x1f\x7f]/.test(values.name)) errors.name = 'The name must not contain line breaks or other control characters.';
  else if (values.name.length > NAME_MAX) errors.name = `The name must be at most ${NAME_MAX} characters.`;
  if (Object.keys(errors).length > 0 || !parsed.success) return { values, errors };
  const name = values.name || null;
  return { input: { email: parsed.data, name }, fields: { label: parsed.data, values } };
}
