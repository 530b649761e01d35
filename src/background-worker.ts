import type { Logger } from 'pino';

/**
 * A single-flight background job (the mail sender, the webhook dispatcher): woken after commits,
 * polled on an interval, drained on demand. One pass runs at a time; a wake-up during a pass runs
 * another pass inside the same promise, so flush() and stop() wait for it too — a follow-up started
 * after stop() would write to a closed database.
 */
export interface BackgroundWorker<R extends Record<string, number>> {
  /** Wake the worker after a commit that queued work (only once started). */
  kick(): void;
  /** Do everything due now; resolves with the pass's counts (tests and the CLI use it). */
  flush(): Promise<R>;
  start(): void;
  /** Stop polling, let the pass in flight finish, start no other. */
  stop(): Promise<void>;
}

export function createBackgroundWorker<R extends Record<string, number>>(options: {
  name: string;
  pollMs: number;
  log: Logger;
  pass: () => Promise<R>;
}): BackgroundWorker<R> {
  let started = false;
  let stopped = false;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<R> | undefined;
  const fail = (err: unknown) => options.log.error({ err }, `${options.name} failed`);
  const add = (total: R, more: R) => Object.fromEntries(Object.entries(more).map(([k, v]) => [k, (total[k] ?? 0) + v])) as R;

  function run(): Promise<R> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let total: R | undefined;
      do {
        again = false;
        const counts = await options.pass();
        total = total ? add(total, counts) : counts;
      } while (again && !stopped);
      return total;
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  return {
    kick() {
      if (!started) return;
      // Checked again when it fires: a kick just before stop() must not run after it.
      setImmediate(() => {
        if (started) void run().catch(fail);
      });
    },
    async flush() {
      if (running) await running.catch(() => undefined);
      return run();
    },
    start() {
      started = true;
      stopped = false;
      timer = setInterval(() => {
        if (started) void run().catch(fail);
      }, options.pollMs);
      timer.unref();
      this.kick();
    },
    async stop() {
      started = false;
      stopped = true;
      if (timer) clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
