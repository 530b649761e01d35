import type { ConsoleRouter } from '../console.router.ts';
import { registerUserPage } from './user-page.routes.ts';
import { registerUsersList } from './users-list.routes.ts';

/**
 * The console's Users section (DESIGN.md Console): the list with search, paging and invitations at
 * /console/users, and one page per member at /console/users/:userId (role, sites, access). Every
 * change goes through users/provisioning.ts or users/invitations.service.ts, as the API's do.
 */
export function registerUsersPages(consoleRouter: ConsoleRouter): void {
  registerUsersList(consoleRouter);
  registerUserPage(consoleRouter);
}
