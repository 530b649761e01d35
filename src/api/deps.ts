import type { Context } from 'koa';
import type { Call, ServiceContext } from '../context.ts';
import type { Db } from '../db/database.ts';
import type { UnitOfWork } from '../db/transaction.ts';
import type { Actor } from '../events/catalogue.ts';
import type { DnsVerifier } from '../orgs/dns-verifier.ts';

export interface ApiDeps {
  ctx: ServiceContext;
  db: Db;
  uow: UnitOfWork;
  dns: DnsVerifier;
}

/** The service call for this request: the API key that authenticated it is the actor. */
export function callFor(deps: ApiDeps, koa: Context): Call {
  return { ctx: deps.ctx, actor: koa.state.actor as Actor };
}
