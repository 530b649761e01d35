import type { Context, Next } from 'koa';
import { AppError } from '../../http/errors.ts';

/**
 * Reads a form that may carry a file (multipart/form-data, or a plain urlencoded form) up to
 * `limitBytes`: fields into ctx.request.body (where verifyCsrf looks), files into ctx.state.files.
 * pages.formBody reads urlencoded forms of 20 kB; IdP metadata is larger (AD FS: ~80 kB) and comes as
 * a file. The body is read whole (bounded) and parsed by the platform's own FormData reader.
 */
export function uploadBody(limitBytes: number) {
  const tooLarge = () => new AppError(413, 'payload_too_large', `This upload is larger than Gatehouse accepts (${Math.round(limitBytes / 1024 / 1024)} MB).`);
  return async (ctx: Context, next: Next) => {
    const type = ctx.get('content-type');
    if (!/^(multipart\/form-data|application\/x-www-form-urlencoded)\b/i.test(type)) {
      throw new AppError(415, 'unsupported_encoding', 'This form was sent with an encoding Gatehouse does not accept.');
    }
    if (Number(ctx.get('content-length')) > limitBytes) throw tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limitBytes) throw tooLarge();
      chunks.push(chunk);
    }
    let form: FormData;
    try {
      form = await new Request('http://portal.invalid/', { method: 'POST', headers: { 'content-type': type }, body: Buffer.concat(chunks) }).formData();
    } catch (cause) {
      throw new AppError(400, 'malformed_body', 'This form could not be read. Go back, reload the page and try again.', { cause });
    }
    const fields: Record<string, string> = {};
    const files: Record<string, Buffer> = {};
    for (const [name, value] of form) {
      if (typeof value === 'string') fields[name] = value;
      else if (value.size > 0) files[name] = Buffer.from(await value.arrayBuffer());
    }
    (ctx.request as { body?: unknown }).body = fields;
    ctx.state.files = files;
    await next();
  };
}

export const filesOf = (ctx: Context): Record<string, Buffer> => (ctx.state.files as Record<string, Buffer> | undefined) ?? {};
