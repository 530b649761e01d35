import { AppError } from '../../http/errors.ts';

/** The management API's limit for names (api/schemas.ts `name`): a site named there can be renamed here. */
export const SITE_NAME_MAX = 200;

/** What is wrong with a typed site name, in the words the form shows under the field; undefined when fine. */
export function siteNameProblem(name: string): string | undefined {
  if (!name) return 'Enter a name for the site, like “Berlin office”.';
  if (name.length > SITE_NAME_MAX) return `Use at most ${SITE_NAME_MAX} characters (this name has ${name.length}).`;
  if (/[\x00-\x1f\x7f]/.test(name)) return 'Use a name without line breaks or other control characters.';
  return undefined;
}

/**
 * A refusal of the sites service as the name field says it. The service's own message names the
 * clashing site's id, which means nothing to an admin; the rule (names differ ignoring capitals) does.
 */
export function siteServiceProblem(error: AppError, name: string, organizationName: string): string {
  if (error.code === 'site_name_taken') return `${organizationName} already has a site named “${name}” (names are compared ignoring capitals). Choose another name.`;
  return error.errors[0]?.message ?? error.message;
}
