import type { Context } from 'koa';
import type { ServiceContext } from '../../context.ts';
import type { Executor } from '../../db/database.ts';
import type { ConsoleAdmin } from '../console-admin.ts';
import type { ConsoleRouter } from '../console.router.ts';
import type { SectionForm } from './authentication.page.ts';

// STUB: filled in by the sso section's owner.
export async function loadSsoSection(_db: Executor, _service: ServiceContext, _admin: ConsoleAdmin, _form?: SectionForm): Promise<Record<string, unknown>> {
  return {};
}

export function registerSsoForms(_consoleRouter: ConsoleRouter): void {}

export type { Context };
