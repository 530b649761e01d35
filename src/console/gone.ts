import type { Context, Middleware, Next } from 'koa';
import { AppError } from '../http/errors.ts';
import type { ConsoleRouter } from './console.router.ts';

/** Where a form lands when what it is about is gone, and the word for that thing ("site", "domain"). */
export interface Gone {
  back: string;
  what: string;
}

/**
 * The 404 of a console lookup (`ownedBy`, the services' `getX`): a row that is missing and a row of
 * another org answer alike, so this cannot tell them apart either.
 */
export const isGone = (err: unknown): err is AppError => err instanceof AppError && err.status === 404 && err.code === 'not_found';

/** The one-time message of a form about something that is gone: the same words for a missing row and another org's. */
export const goneMessage = (what: string) => `That ${what} no longer exists: someone removed it. Nothing was changed.`;

/**
 * After `...form` on a POST route: a form about something another admin removed meanwhile (or an id
 * that is not the admin's org's) lands back on the page it came from with a one-time message, instead
 * of the bare 404 page. `where` is decided after the 404, for routes whose way back depends on which
 * of their objects is gone; it must only name pages of the admin's own org. GETs keep their 404 page.
 */
export function goneWhere(consoleRouter: ConsoleRouter, where: (ctx: Context) => Gone | Promise<Gone>): Middleware {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
    } catch (err) {
      // Each route's transaction rolled back before the error got here: nothing was changed.
      if (!isGone(err)) throw err;
      const { back, what } = await where(ctx);
      consoleRouter.done(ctx, back, goneMessage(what), 'error');
    }
  };
}

/** `goneWhere` with a fixed page and word: `goneTo(consoleRouter, SITES_PATH, 'site')`. */
export const goneTo = (consoleRouter: ConsoleRouter, back: string, what: string): Middleware => goneWhere(consoleRouter, () => ({ back, what }));
