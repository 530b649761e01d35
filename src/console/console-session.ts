import type { Context } from 'koa';
import type { SecretBox } from '../crypto/secret-box.ts';

export const SESSION_COOKIE = 'gh_console';
export const AUTH_COOKIE = 'gh_console_auth';
export const FLASH_COOKIE = 'gh_console_flash';
export const SESSION_TTL_MS = 8 * 3_600_000;
const AUTH_TTL_MS = 10 * 60_000;
const FLASH_TTL_MS = 60_000;

export interface ConsoleSession {
  userId: string;
  organizationId: string;
  idToken: string;
  expiresAt: number;
}

/** What the page after a change says about it ("Site renamed"): shown once, then cleared. */
export interface Flash {
  tone: 'success' | 'error' | 'info';
  message: string;
  expiresAt: number;
}

export interface PendingAuth {
  state: string;
  nonce: string;
  verifier: string;
  expiresAt: number;
}

/**
 * The console keeps its session in a cookie sealed with the master key (AES-GCM): nothing to store
 * server side, nothing readable or forgeable by the browser. Each cookie's name is bound as context.
 */
export function createConsoleCookies(box: SecretBox, options: { secure: boolean; now: () => Date }) {
  const cookieOptions = (maxAge: number) => ({ httpOnly: true, sameSite: 'lax' as const, secure: options.secure, path: '/console', maxAge, overwrite: true });
  function read<T extends { expiresAt: number }>(ctx: Context, name: string): T | undefined {
    const raw = ctx.cookies.get(name);
    if (!raw) return undefined;
    try {
      const value = JSON.parse(box.open(raw, name)) as T;
      return value.expiresAt > options.now().getTime() ? value : undefined;
    } catch {
      return undefined;
    }
  }
  const write = (ctx: Context, name: string, value: object, ttl: number) => ctx.cookies.set(name, box.seal(JSON.stringify(value), name), cookieOptions(ttl));
  return {
    readSession: (ctx: Context) => read<ConsoleSession>(ctx, SESSION_COOKIE),
    writeSession: (ctx: Context, session: Omit<ConsoleSession, 'expiresAt'>) => write(ctx, SESSION_COOKIE, { ...session, expiresAt: options.now().getTime() + SESSION_TTL_MS }, SESSION_TTL_MS),
    clearSession: (ctx: Context) => ctx.cookies.set(SESSION_COOKIE, '', { ...cookieOptions(0), expires: new Date(0) }),
    readAuth: (ctx: Context) => read<PendingAuth>(ctx, AUTH_COOKIE),
    writeAuth: (ctx: Context, auth: Omit<PendingAuth, 'expiresAt'>) => write(ctx, AUTH_COOKIE, { ...auth, expiresAt: options.now().getTime() + AUTH_TTL_MS }, AUTH_TTL_MS),
    clearAuth: (ctx: Context) => ctx.cookies.set(AUTH_COOKIE, '', { ...cookieOptions(0), expires: new Date(0) }),
    writeFlash: (ctx: Context, flash: Omit<Flash, 'expiresAt'>) => write(ctx, FLASH_COOKIE, { ...flash, expiresAt: options.now().getTime() + FLASH_TTL_MS }, FLASH_TTL_MS),
    /** The flash of this request, cleared so a reload does not say it again. */
    takeFlash(ctx: Context): Flash | undefined {
      const flash = read<Flash>(ctx, FLASH_COOKIE);
      if (ctx.cookies.get(FLASH_COOKIE)) ctx.cookies.set(FLASH_COOKIE, '', { ...cookieOptions(0), expires: new Date(0) });
      return flash;
    },
  };
}
