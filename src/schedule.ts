import type { Logger } from 'pino';

export interface Schedule {
  /** No run starts after this; a run in flight finishes on its own. */
  stop(): void;
}

/**
 * Runs `run` every `intervalMs` inside the server (no cron), first after `firstAfterMs` (0: at once;
 * absent: after one interval). A failure is logged as "<name> failed" and the next run tries again. The
 * timers never keep the process alive, and a run due just after stop() does not start: it would meet a
 * closed database.
 */
export function every(options: { name: string; intervalMs: number; firstAfterMs?: number; log: Logger; run: () => Promise<unknown> }): Schedule {
  let stopped = false;
  const guarded = () => {
    if (!stopped) void options.run().catch((err: unknown) => options.log.error({ err }, `${options.name} failed`));
  };
  const first = options.firstAfterMs === undefined ? undefined : setTimeout(guarded, options.firstAfterMs);
  first?.unref();
  const timer = setInterval(guarded, options.intervalMs);
  timer.unref();
  return {
    stop() {
      stopped = true;
      if (first) clearTimeout(first);
      clearInterval(timer);
    },
  };
}
