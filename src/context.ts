import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { SecretBox } from './crypto/secret-box.ts';
import type { Actor } from './events/catalogue.ts';
import type { MailTemplates } from './mail/templates.ts';

/** What every service needs besides its executor; built once in app.ts. */
export interface ServiceContext {
  config: Config;
  clock: Clock;
  box: SecretBox;
  templates: MailTemplates;
}

/** A service call: its context and who is acting. */
export interface Call {
  ctx: ServiceContext;
  actor: Actor;
}
