import { z } from 'zod';
import { type FieldError, badRequest, validationFailed } from './errors.ts';

function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => {
    const field = issue.path.length ? issue.path.join('.') : '(body)';
    let message = issue.message;
    if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) message = `${field} is required.`;
    else if (issue.code === 'invalid_type') message = `${field} must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}.`;
    else if (issue.code === 'unrecognized_keys') message = `Unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}.`;
    else if (!message.startsWith(field)) message = `${field}: ${message}`;
    return { field, code: issue.code, message };
  });
}

/**
 * An email address as Gatehouse accepts it everywhere (API, sign-in page, SSO profiles): trimmed,
 * lower-cased, one @, no spaces or control characters, at most 254 characters.
 */
export function emailAddress(message?: string) {
  return z.string().trim().toLowerCase().pipe(z.email(message).max(254));
}

/** Parses a JSON body against a schema; a missing or non-object body is a 400, bad fields a 422. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('malformed_body', 'The request body must be a JSON object.');
  }
  const result = schema.safeParse(body);
  if (!result.success) throw validationFailed(fieldErrors(result.error));
  return result.data;
}

export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  const result = schema.safeParse(query);
  if (!result.success) throw badRequest('invalid_query', fieldErrors(result.error).map((e) => e.message).join(' '), fieldErrors(result.error));
  return result.data;
}
