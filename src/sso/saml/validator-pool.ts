import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { AppError } from '../../http/errors.ts';
import type { ValidationInput, ValidationResult } from './response-validator.ts';

/**
 * SAML validation (~7 ms of blocking CPU per response) runs in worker threads, one per core at most, so
 * the main thread keeps answering other requests while people sign in (DESIGN.md Performance). Workers
 * start on first use. The queue is bounded: when it is full the ACS answers 503 with Retry-After.
 */
export interface ValidatorPool {
  validate(input: ValidationInput): Promise<ValidationResult>;
  stop(): Promise<void>;
}

export const poolBusy = () =>
  new AppError(503, 'saml_validation_busy', 'Too many sign-ins are being checked right now. Wait a moment and try again.', { headers: { 'Retry-After': '1' } });

interface Job {
  id: number;
  input: ValidationInput;
  resolve(result: ValidationResult): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
}

const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './validator.worker.ts' : './validator.worker.js', import.meta.url);

export function createValidatorPool(options: { size?: number; maxQueue?: number } = {}): ValidatorPool {
  const size = Math.max(1, Math.min(options.size ?? os.availableParallelism(), os.availableParallelism()));
  const maxQueue = options.maxQueue ?? size * 32;
  const slots: Slot[] = [];
  const queue: Job[] = [];
  let nextId = 1;
  let stopped = false;

  function spawn(): Slot {
    const slot: Slot = { worker: new Worker(WORKER_URL), job: undefined };
    slot.worker.on('message', (message: { id: number; result?: ValidationResult; error?: string }) => {
      const job = slot.job;
      slot.job = undefined;
      if (job && job.id === message.id) {
        if (message.result) job.resolve(message.result);
        else job.reject(new Error(`SAML validation failed: ${message.error}`));
      }
      dispatch();
    });
    const fail = (error: Error) => {
      // A worker that died takes only its own job with it; a fresh one replaces it.
      slot.job?.reject(error);
      slot.job = undefined;
      slots.splice(slots.indexOf(slot), 1);
      if (!stopped) dispatch();
    };
    slot.worker.on('error', fail);
    slot.worker.on('exit', (code) => {
      if (slots.includes(slot)) fail(new Error(`SAML validation worker exited with code ${code}`));
    });
    slots.push(slot);
    return slot;
  }

  function dispatch(): void {
    while (queue.length > 0) {
      const idle = slots.find((s) => s.job === undefined) ?? (slots.length < size ? spawn() : undefined);
      if (!idle) return;
      const job = queue.shift()!;
      idle.job = job;
      idle.worker.postMessage({ id: job.id, input: job.input });
    }
  }

  return {
    validate(input) {
      if (stopped) return Promise.reject(new Error('The SAML validator pool is stopped.'));
      if (queue.length >= maxQueue) return Promise.reject(poolBusy());
      return new Promise<ValidationResult>((resolve, reject) => {
        queue.push({ id: nextId++, input, resolve, reject });
        dispatch();
      });
    },
    async stop() {
      stopped = true;
      for (const job of queue.splice(0)) job.reject(new Error('The SAML validator pool is stopped.'));
      const running = slots.splice(0);
      await Promise.all(running.map((slot) => slot.worker.terminate()));
    },
  };
}
