/**
 * The base error for everything Gatehouse refuses on purpose. `message` is public; `detail` is for the
 * log and events only; `expose` follows Koa's contract (show the message only when true).
 */
export interface FieldError {
  field: string;
  code: string;
  message: string;
}

export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string | undefined;
  readonly expose: boolean;
  readonly errors: FieldError[];
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { detail?: string; errors?: FieldError[]; cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    this.detail = options.detail;
    this.expose = status < 500;
    this.errors = options.errors ?? [];
    this.headers = options.headers ?? {};
  }
}

/** A refusal Gatehouse meant (an AppError under 500: bad input, a rule, a conflict), as opposed to a failure. */
export const isRefusal = (err: unknown): err is AppError => err instanceof AppError && err.status < 500;

export const badRequest = (code: string, message: string, errors?: FieldError[]) => new AppError(400, code, message, { errors });

export const validationFailed = (errors: FieldError[]) =>
  new AppError(422, 'validation_failed', errors.length === 1 ? errors[0]!.message : `${errors.length} fields are invalid.`, { errors });

export const fieldInvalid = (field: string, code: string, message: string) => validationFailed([{ field, code, message }]);

export const notFound = (resource: string, id: string) => new AppError(404, 'not_found', `No ${resource} with id ${id}.`);

export const conflict = (code: string, message: string) => new AppError(409, code, message);

export const unauthorized = (message: string) =>
  new AppError(401, 'unauthorized', message, { headers: { 'WWW-Authenticate': 'Bearer realm="gatehouse"' } });
