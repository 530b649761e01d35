import { parentPort } from 'node:worker_threads';
import { validateSamlResponse, type ValidationInput } from './response-validator.ts';

// One validation at a time per worker; the pool on the main thread queues the rest.
parentPort!.on('message', async ({ id, input }: { id: number; input: ValidationInput }) => {
  try {
    parentPort!.postMessage({ id, result: await validateSamlResponse(input) });
  } catch (error) {
    parentPort!.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
